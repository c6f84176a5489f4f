"""The live feed's store wrapper: every stored mission-control change is published once, after the
write and as written (a later in-place change does not leak into it); a refused write publishes
nothing; reads and unshown writes publish nothing; the executor's notices become live-only events."""

from __future__ import annotations

import pytest

from mission.api.backend import LiveItem
from mission.api.live_hub import LiveHub, LiveQueue
from mission.lifecycle_types import Notify
from mission.live_feed import NOTIFY_KIND, LiveStore, notify_live
from mission.model import (
    Alert,
    AlertStatus,
    AlertType,
    CoordSystem,
    DispatchDecision,
    Incident,
    IncidentStatus,
    Lead,
    Mission,
    MissionEvent,
    MissionState,
)
from mission.ports import StoreError
from tests.unit.mission.fake_store import FakeStore

LON, LAT = 113.75, 34.77


def alert() -> Alert:
    return Alert(
        "video_ai", AlertType.FIRE_SMOKE, LON, LAT, LON, LAT, CoordSystem.WGS84, 1, AlertStatus.ACCEPTED
    )


async def drained(hub: LiveHub, sub: LiveQueue) -> list[LiveItem]:
    """Everything published to ``sub`` so far."""
    hub.close()
    return [item async for item in sub]


async def test_every_stored_change_is_published_once_after_the_write() -> None:
    hub = LiveHub()
    sub = hub.subscribe()
    store = LiveStore(FakeStore(), hub)
    a, incident = alert(), Incident(AlertType.FIRE_SMOKE, LON, LAT, 1)
    mission = Mission(incident.id, LON, LAT)
    first = MissionEvent(mission.id, 1, "state", to_state=MissionState.REQUESTED)
    lead = Lead(mission.id, incident.id, "D01-UAV", "fire", 0.9, LON, LAT, 10.0)
    await store.add_incident(incident)
    await store.add_alert(a)
    await store.add_mission(mission, first)
    planned = MissionEvent(
        mission.id, 2, "state", from_state=MissionState.REQUESTED, to_state=MissionState.PLANNED
    )
    await store.append_event(
        planned, Mission(incident.id, LON, LAT, id=mission.id, state=MissionState.PLANNED)
    )
    await store.add_lead(lead)
    incident.status = IncidentStatus.RESPONDING
    await store.update_incident(incident)
    lead.details["platform_events"] = ["accepted"]
    await store.update_lead(lead)
    lead.details["note"] = "changed in place after the write"
    seen = await drained(hub, sub)
    kinds = [(type(x).__name__, getattr(x, "state", getattr(x, "status", None))) for x in seen]
    assert kinds == [
        ("Incident", IncidentStatus.OPEN),
        ("Alert", AlertStatus.ACCEPTED),
        ("Mission", MissionState.REQUESTED),
        ("MissionEvent", None),
        ("Mission", MissionState.PLANNED),
        ("MissionEvent", None),
        ("Lead", lead.status),
        ("Incident", IncidentStatus.RESPONDING),
        ("Lead", lead.status),
    ]
    # as written: the services' later in-place changes do not reach what was published
    first_lead, last_lead = seen[6], seen[8]
    assert isinstance(first_lead, Lead) and isinstance(last_lead, Lead)
    assert first_lead is not lead and first_lead.details == {}
    assert last_lead.details == {"platform_events": ["accepted"]}


async def test_reads_and_unshown_writes_publish_nothing_and_a_refused_write_nothing_either() -> None:
    hub = LiveHub()
    sub = hub.subscribe()
    inner = FakeStore()
    store = LiveStore(inner, hub)
    a = alert()
    await inner.add_alert(a)
    with pytest.raises(StoreError):  # a duplicate id
        await store.add_alert(a)
    await store.get_alert(a.id)
    await store.list_alerts()
    await store.add_decision(DispatchDecision("m", None, None, None, 300.0, False))
    assert await drained(hub, sub) == []


async def test_an_executor_notice_is_a_live_only_mission_event() -> None:
    hub = LiveHub()
    sub = hub.subscribe()
    notify_live(hub)("M1", Notify("urgent", "no dock or drone can go"))
    (event,) = await drained(hub, sub)
    assert isinstance(event, MissionEvent) and event.kind == NOTIFY_KIND and event.seq == 0
    assert event.mission_id == "M1" and event.data == {"level": "urgent", "text": "no dock or drone can go"}
