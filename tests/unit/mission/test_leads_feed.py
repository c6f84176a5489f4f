"""The lead feed: payload ai_detection events from the dock link reach the lead intake, attributed,
in order, and survive a store that fails for a while."""

from __future__ import annotations

from pydantic import BaseModel

from docks.protocol import Channel, Envelope, Message
from docks.protocol.payload import PayloadOsd
from mission.lead_feed import Attribution, LeadFeed
from mission.lead_settings import LeadSettings
from mission.leads import LeadIntake
from mission.model import Lead, OutboxMessage
from mission.ports import StoreError
from payload.model import Label
from tests.unit.mission.fake_store import FakeStore
from tests.unit.mission.grid_helpers import ManualClock, detection, event


def message(
    sn: str, body: BaseModel, method: str = "ai_detection", channel: Channel = Channel.EVENTS
) -> Message:
    envelope = Envelope(gateway=sn, method=method, data={})
    return Message(channel=channel, sn=sn, envelope=envelope, body=body)


class FlakyStore(FakeStore):
    """Refuses the first ``failures`` lead writes, as a database that is restarting would."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def add_lead(self, lead: Lead, outbox: OutboxMessage | None = None) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise StoreError("connection refused")
        await super().add_lead(lead, outbox)


async def test_detections_are_attributed_and_ingested_other_messages_ignored() -> None:
    store, clock = FakeStore(), ManualClock()

    def attribute(sn: str, ev: object) -> Attribution:
        return Attribution(drone_id={"PAYLOAD07": "DRONE07"}[sn], mission_id="M7", incident_id="I7")

    feed = LeadFeed(LeadIntake(store, LeadSettings(), clock=clock), attribute)
    feed.on_message(message("PAYLOAD07", event(detection(label=Label.FIRE))))
    feed.on_message(message("PAYLOAD07", event(detection(label=Label.PERSON, lead_id="p"))))
    feed.on_message(message("PAYLOAD07", event(detection()), method="hms"))  # not a detection
    feed.on_message(
        message("PAYLOAD07", PayloadOsd(detecting=True), method="payload_osd", channel=Channel.OSD)
    )
    assert feed.received == 2 and feed.pending() == 2
    await feed.drain()
    leads = sorted(store.leads.values(), key=lambda x: x.class_name)
    assert [(x.class_name, x.drone_id, x.mission_id, x.incident_id) for x in leads] == [
        ("fire", "DRONE07", "M7", "I7"),
        ("person", "DRONE07", "M7", "I7"),
    ]


async def test_a_failing_store_is_retried_and_nothing_is_lost() -> None:
    store, clock, slept = FlakyStore(failures=3), ManualClock(), []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    feed = LeadFeed(LeadIntake(store, LeadSettings(), clock=clock), sleep=sleep, retry_s=1.0)
    feed.on_message(message("PAYLOAD01", event(detection())))
    await feed.drain()
    assert len(store.leads) == 1 and len(store.messages) == 1
    assert slept == [1.0, 2.0, 4.0] and feed.store_retries == 3
    (lead,) = store.leads.values()
    assert lead.drone_id == "PAYLOAD01" and lead.mission_id == "F1"  # default: serial, flight_id


async def test_a_full_queue_counts_what_it_drops() -> None:
    feed = LeadFeed(LeadIntake(FakeStore(), LeadSettings()), queue_size=1)
    feed.on_message(message("PAYLOAD01", event(detection())))
    feed.on_message(message("PAYLOAD01", event(detection())))
    assert feed.received == 1 and feed.dropped == 1


async def test_an_event_that_cannot_be_ingested_is_skipped_and_counted() -> None:
    store = FakeStore()

    def attribute(sn: str, ev: object) -> Attribution:
        if sn == "BROKEN":
            raise KeyError(sn)  # e.g. a payload nobody registered
        return Attribution(drone_id=sn)

    feed = LeadFeed(LeadIntake(store, LeadSettings()), attribute)
    feed.on_message(message("BROKEN", event(detection())))
    feed.on_message(message("PAYLOAD01", event(detection())))
    await feed.drain()
    assert feed.failed == 1 and [x.drone_id for x in store.leads.values()] == ["PAYLOAD01"]
