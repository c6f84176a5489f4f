"""The verification revisit (mission.verification.RevisitVerifier) over an in-memory store and dock
link: the watcher released, one revisit per incident, the outcome from the revisit's own detections,
the revisit sent home, and nothing reported for a revisit that never got on scene."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, cast

from docks.protocol import Channel, Message
from docks.protocol.envelope import Envelope
from mission.grid_callbacks import GridCallbacks
from mission.lifecycle_types import MissionInput, WatchEnded
from mission.model import AlertType, Incident, Lead, Mission, MissionEvent, MissionKind, MissionState
from mission.verification import RevisitVerifier
from tests.unit.mission.fake_store import FakeStore
from tests.unit.mission.fakes_links import FakeDockLink
from tests.unit.mission.grid_helpers import LAT, LON, detection, event


class InstantClock:
    def now_s(self) -> float:
        return 0.0

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


@dataclass
class Rig:
    store: FakeStore = field(default_factory=FakeStore)
    link: FakeDockLink = field(default_factory=FakeDockLink)
    told: list[tuple[str, MissionInput]] = field(default_factory=list)
    launched: list[Mission] = field(default_factory=list)
    verified: list[tuple[str, bytes | None, bool]] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def verifier(self) -> RevisitVerifier:
        async def respond(incident: Incident, actor: str, **kw: Any) -> Mission:
            await asyncio.sleep(0)  # a real dispatch awaits the store and the fleet
            m = Mission(incident.id, kw["lon_deg"], kw["lat_deg"], kind=kw["kind"], requested_by=actor)
            m.drone_id = "D08-UAV"
            await self.store.add_mission(m, MissionEvent(m.id, 1, "state", to_state=MissionState.REQUESTED))
            self.launched.append(m)
            return m

        def tell(mission_id: str, e: MissionInput) -> bool:
            self.told.append((mission_id, e))
            return True

        def spawn(coro: Any, name: str) -> None:
            self.tasks.append(asyncio.ensure_future(coro))

        v = RevisitVerifier(self.store, respond, tell, self.link, InstantClock(), spawn, poll_wall_s=0.01)
        rig = self

        class Callbacks:
            async def verified(self, lead_id: str, after: bytes | None, cleared: bool) -> None:
                rig.verified.append((lead_id, after, cleared))

        v.callbacks = cast(GridCallbacks, Callbacks())
        v.attach()
        return v

    async def move(self, mission_id: str, state: MissionState) -> None:
        m = await self.store.get_mission(mission_id)
        m.state = state
        self.store.missions[mission_id] = m

    def detect(self, flight_id: str, label: str = "fire") -> None:
        body = event(detection(label)).model_copy(update={"flight_id": flight_id})
        envelope = Envelope(gateway="D08-UAV", method="ai_detection")
        for listener in list(self.link._listeners):
            listener(Message(Channel.EVENTS, "D08-UAV", envelope, body))


async def incident_with_leads(rig: Rig, n: int) -> list[Lead]:
    incident = Incident(AlertType.FIRE_SMOKE, LON, LAT, 1)
    await rig.store.add_incident(incident)
    return [Lead("M1", incident.id, "D12-UAV", "fire", 0.9, LON, LAT, 8.0) for _ in range(n)]


async def test_one_revisit_per_incident_and_a_clear_scene_closes_each_lead() -> None:
    rig = Rig()
    v = rig.verifier()
    a, b = await incident_with_leads(rig, 2)
    first = await v.request_verification(a)
    second = await v.request_verification(b)
    assert first is not None and second == first and len(rig.launched) == 1
    assert rig.launched[0].kind is MissionKind.VERIFY
    assert ("M1", WatchEnded("case_handled")) in rig.told  # the watcher goes home
    await rig.move(first, MissionState.ON_SCENE)
    await rig.move(first, MissionState.SUPERVISING)
    await asyncio.gather(*rig.tasks)
    assert sorted(rig.verified) == sorted([(a.id, None, True), (b.id, None, True)])
    assert (first, WatchEnded("verified")) in rig.told


async def test_leads_resolved_at_once_share_one_revisit() -> None:
    """The platform resolves a fire's leads (fire, smoke, hot spot) together: the requests overlap
    while the first revisit is being launched, and still make one revisit that reports every lead."""
    rig = Rig()
    v = rig.verifier()
    leads = await incident_with_leads(rig, 3)
    ids = await asyncio.gather(*(v.request_verification(lead) for lead in leads))
    assert len(rig.launched) == 1 and set(ids) == {rig.launched[0].id}
    await rig.move(ids[0], MissionState.ON_SCENE)  # type: ignore[arg-type]
    await rig.move(ids[0], MissionState.SUPERVISING)  # type: ignore[arg-type]
    await asyncio.gather(*rig.tasks)
    assert sorted(lead_id for lead_id, _, _ in rig.verified) == sorted(lead.id for lead in leads)


async def test_the_fire_seen_again_is_not_cleared() -> None:
    rig = Rig()
    v = rig.verifier()
    (lead,) = await incident_with_leads(rig, 1)
    mission_id = await v.request_verification(lead)
    assert mission_id is not None
    rig.detect("another-flight")  # not this revisit's
    await rig.move(mission_id, MissionState.ON_SCENE)
    rig.detect(mission_id)
    await rig.move(mission_id, MissionState.SUPERVISING)
    await asyncio.gather(*rig.tasks)
    [(lead_id, after, cleared)] = rig.verified
    assert lead_id == lead.id and cleared is False and after is not None


async def test_a_revisit_that_never_got_on_scene_reports_nothing() -> None:
    rig = Rig()
    v = rig.verifier()
    (lead,) = await incident_with_leads(rig, 1)
    mission_id = await v.request_verification(lead)
    assert mission_id is not None
    await rig.move(mission_id, MissionState.FAILED)
    await asyncio.gather(*rig.tasks)
    assert rig.verified == [] and v.gave_up == 1
    assert await v.request_verification(lead) not in (None, mission_id)  # the next request flies again
    for task in rig.tasks:
        task.cancel()


async def test_a_lead_resolved_while_the_revisit_reports_gets_its_own_revisit() -> None:
    """Seen in the fire e2e: the hot spot's lead was resolved while the fire's revisit was reporting;
    its revisit flew, but the first revisit's clean-up dropped the second's entry, so the second never
    reported and the case stayed open."""
    rig = Rig()
    v = rig.verifier()
    fire, hot_spot = await incident_with_leads(rig, 2)
    late: list[str | None] = []

    class Callbacks:
        async def verified(self, lead_id: str, after: bytes | None, cleared: bool) -> None:
            rig.verified.append((lead_id, after, cleared))
            if not late:  # the platform resolves the hot spot meanwhile
                late.append(await v.request_verification(hot_spot))

    v.callbacks = cast(GridCallbacks, Callbacks())
    first = await v.request_verification(fire)
    assert first is not None
    await rig.move(first, MissionState.SUPERVISING)
    await asyncio.gather(*rig.tasks)
    (second,) = late
    assert second is not None and second != first and len(rig.launched) == 2
    await rig.move(second, MissionState.SUPERVISING)
    await asyncio.gather(*rig.tasks)
    assert [lead_id for lead_id, _, _ in rig.verified] == [fire.id, hot_spot.id]
    assert (second, WatchEnded("verified")) in rig.told
