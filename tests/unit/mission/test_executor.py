"""The executor on fakes: every effect reaches the right port, failures become events, the loop
never crashes, and every transition is stored before it is acted on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from docks.ports import DockTimeoutError
from fleet.drone_model import Height
from fleet.errors import CommandDenied
from mission import lifecycle_types as fx
from mission.lifecycle import InvalidTransition
from mission.model import Mission, MissionEvent, MissionKind, MissionState
from mission.ports import StoreError
from mission.runner import UnknownMission
from tests.unit.fleet.fleet_helpers import healthy_dock
from tests.unit.mission.executor_rig import FIRE_LAT, FIRE_LON, Rig, rig
from tests.unit.mission.fakes_links import FakeDrone

S = MissionState
PLAN = fx.Planned("D01", "U01", eta_s=150.0)


async def test_a_fire_mission_from_plan_to_charging() -> None:
    async with rig() as r:
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.SUPERVISING)
        assert r.fleet.assignment("D01") == m.id
        assert r.runner.send(m.id, fx.WatchEnded("case_handled"))
        done = await r.over(m.id)
    assert done.state is S.CLOSED and done.reason is None
    assert r.states(m.id) == [s.value for s in MissionState if not s.terminal] + ["closed"]
    assert r.docks.methods("D01") == ["flighttask_prepare", "cover_open", "cover_close", "charge_start"]
    assert r.docks.methods("U01") == [
        "ai_detect_start",
        "ir_measure_area",
        "ai_detect_stop",
        "speaker_play_stop",
    ]
    detect = r.docks.calls[1][2]
    assert {"fire", "smoke"} <= set(detect["classes"]) and detect["flight_id"] == m.id
    cmds = [c[0] for c in r.drones["U01"].commands]
    assert cmds == ["arm", "takeoff", "goto", "orbit", "return_to_launch"]
    goto = r.drones["U01"].commands[2]
    assert goto[1:] == (FIRE_LAT, FIRE_LON, Height.above_home(100.0))
    assert r.drones["U01"].goto_speeds_mps == [15.0]  # the cruise speed the planner priced


async def test_go_to_flies_at_the_configured_cruise_speed() -> None:
    async with rig(cruise_mps=11.0) as r:
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.SUPERVISING)
        assert r.drones["U01"].goto_speeds_mps == [11.0]
        assert r.runner.send(m.id, fx.WatchEnded("case_handled"))
        await r.over(m.id)
    assert r.fleet.assignment("D01") is None
    payload_notes = [e for e in r.store.events[m.id] if e.kind == "payload"]
    assert [n.data["task"] for n in payload_notes] == ["DetectTask", "IrAreaTask"]
    assert payload_notes[1].data["max_temperature_c"] == 412.0


async def test_every_state_change_is_stored_before_the_next_effect() -> None:
    async with rig() as r:
        m = r.mission()
        gate = r.docks.hold("D01", "flighttask_prepare")
        await r.runner.launch(m, PLAN)
        await r.until(m.id, lambda _: r.docks.methods("D01") == ["flighttask_prepare"])
        assert r.store.missions[m.id].state is S.PLANNED  # stored while the dock is still preparing
        assert r.drones["U01"].commands == []
        gate.set()
        await r.state(m.id, S.SUPERVISING)
        r.runner.send(m.id, fx.WatchEnded("x"))
        await r.over(m.id)
    seqs = [e.seq for e in r.store.events[m.id]]
    assert seqs == list(range(1, len(seqs) + 1))


async def test_the_watch_budget_brings_the_drone_home() -> None:
    async with rig(watch_budget_s=0.01) as r:
        m = r.mission()
        await r.runner.launch(m, PLAN)
        done = await r.over(m.id)
    assert done.state is S.CLOSED
    ended = [e for e in r.store.events[m.id] if e.data.get("event") == "watch_ended"]
    assert ended[0].data["reason"] == "time_budget"


async def test_a_refused_dock_preparation_fails_and_closes_the_dock() -> None:
    async with rig() as r:
        r.docks.results[("D01", "flighttask_prepare")] = 514
        m = r.mission()
        await r.runner.launch(m, PLAN)
        done = await r.over(m.id)
    assert done.state is S.FAILED and "514" in (done.reason or "")
    assert r.docks.methods("D01") == ["flighttask_prepare", "cover_close"]
    assert r.drones["U01"].commands == [] and r.fleet.assignment("D01") is None
    assert any(n.level == "urgent" for _, n in r.notes)


async def test_a_dock_that_does_not_answer_fails_the_mission_too() -> None:
    async with rig() as r:
        r.docks.results[("D01", "flighttask_prepare")] = DockTimeoutError("D01", "flighttask_prepare", 150.0)
        m = r.mission()
        await r.runner.launch(m, PLAN)
        done = await r.over(m.id)
    assert done.state is S.FAILED and "no reply" in (done.reason or "")


async def test_a_denied_take_off_comes_back_down_and_ends_failed() -> None:
    async with rig() as r:
        r.drones["U01"].fail["takeoff"] = CommandDenied("U01", "takeoff", "preflight checks")
        m = r.mission()
        await r.runner.launch(m, PLAN)
        done = await r.over(m.id)
    assert done.state is S.FAILED and "preflight" in (done.reason or "")
    assert r.states(m.id)[-3:] == ["returning", "landed", "failed"]
    assert [c[0] for c in r.drones["U01"].commands] == ["arm", "takeoff", "disarm"]  # it never left
    assert r.docks.methods("D01")[-2:] == ["cover_close", "charge_start"]


async def test_payload_failures_do_not_stop_the_mission() -> None:
    async with rig() as r:
        r.docks.results[("U01", "ir_measure_area")] = 3
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.SUPERVISING)
        r.runner.send(m.id, fx.WatchEnded("x"))
        done = await r.over(m.id)
    assert done.state is S.CLOSED
    failed = [e for e in r.store.events[m.id] if e.kind == "payload_failed"]
    assert len(failed) == 1 and failed[0].data["task"] == "IrAreaTask"


async def test_operator_abort_en_route_returns_and_ends_aborted() -> None:
    async with rig() as r:
        r.drones["U01"].stall.add("goto")  # accepted, but it never gets there
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.EN_ROUTE)
        r.runner.command(m.id, fx.Abort("alice", "duplicate call"))
        done = await r.over(m.id)
    assert (done.state, done.reason) == (S.ABORTED, "duplicate call")
    abort = next(e for e in r.store.events[m.id] if e.data.get("event") == "abort")
    assert abort.actor == "alice"
    assert [c[0] for c in r.drones["U01"].commands][-1] == "return_to_launch"


async def test_commands_are_checked_before_they_are_queued() -> None:
    async with rig() as r:
        m = r.mission()
        gate = r.docks.hold("D01", "flighttask_prepare")
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.PLANNED)
        with pytest.raises(InvalidTransition):
            r.runner.command(m.id, fx.Hold("bob"))
        with pytest.raises(UnknownMission):
            r.runner.command("nope", fx.Hold("bob"))
        r.runner.command(m.id, fx.Abort("bob"))
        done = await r.over(m.id)
        gate.set()
    assert done.state is S.ABORTED and r.drones["U01"].commands == []


async def test_hold_and_speak_while_watching() -> None:
    async with rig() as r:
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.SUPERVISING)
        r.runner.command(m.id, fx.SpeakCommand("ops", text="请离开"))
        r.runner.command(m.id, fx.Hold("ops"))
        await r.until(m.id, lambda _: r.kinds(m.id).count("command") == 2)
        r.runner.send(m.id, fx.WatchEnded("x"))
        await r.over(m.id)
    assert "speaker_tts_play_start" in r.docks.methods("U01")
    assert "hold" in [c[0] for c in r.drones["U01"].commands]


async def test_low_battery_on_watch_asks_for_relief_then_comes_home() -> None:
    async with rig() as r:
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.SUPERVISING)
        r.drones["U01"].set_battery(35.0)  # 1 km from home: return at 27.2 %, relief at 37.2 %
        await r.until(m.id, lambda _: len(r.reliefs) == 1)
        assert r.store.missions[m.id].state is S.SUPERVISING
        r.drones["U01"].set_battery(20.0)
        done = await r.over(m.id)
    assert done.state is S.CLOSED and len(r.reliefs) == 1  # asked once
    assert r.reliefs[0].incident_id == r.incident.id


async def test_a_relief_drone_takes_over_the_watch() -> None:
    async with rig() as r:
        relief_ids: list[str] = []

        async def send_relief(first: Mission, e: fx.RequestRelief) -> None:
            relief = r.mission(kind=MissionKind.RELIEF, relieves_mission_id=e.mission_id)
            relief_ids.append(relief.id)
            await r.runner.launch(relief, fx.Planned("D02", "U02", eta_s=200.0))

        r.runner.deps.request_relief = send_relief
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.SUPERVISING)
        r.drones["U01"].set_battery(35.0)
        first = await r.over(m.id)
        relief = await r.state(relief_ids[0], S.SUPERVISING)
        r.runner.send(relief.id, fx.WatchEnded("case_handled"))
        await r.over(relief.id)
    assert first.state is S.CLOSED
    relieved = next(e for e in r.store.events[m.id] if e.data.get("event") == "relief_arrived")
    assert relieved.data["relief_mission_id"] == relief.id and relieved.to_state is S.RETURNING
    assert [c[0] for c in r.drones["U02"].commands][:3] == ["arm", "takeoff", "goto"]


async def test_a_busy_own_dock_sends_the_drone_to_the_nearest_free_one() -> None:
    async with rig() as r:
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.SUPERVISING)
        now = r.fleet.clock.now_s()
        r.fleet.put_dock_state(healthy_dock("D01", now, online=False))
        r.fleet.put_dock_state(healthy_dock("D02", now, drone_in_dock=False))  # its own drone is out
        r.runner.send(m.id, fx.WatchEnded("x"))
        done = await r.over(m.id)
    assert done.state is S.CLOSED and done.return_dock_id == "D02"
    assert r.docks.methods("D02") == ["cover_open", "cover_close", "charge_start"]
    assert [c[0] for c in r.drones["U01"].commands][-2:] == ["goto", "land"]
    assert r.fleet.assignment("D02") is None and r.fleet.assignment("D01") is None


async def test_the_own_dock_refusing_to_open_does_not_stop_the_return() -> None:
    async with rig() as r:
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.SUPERVISING)
        r.docks.results[("D01", "cover_open")] = 3
        r.runner.send(m.id, fx.WatchEnded("x"))
        done = await r.over(m.id)
    assert done.state is S.CLOSED
    assert "cover_open_failed" in r.kinds(m.id)


async def test_no_dock_that_can_take_the_drone_lands_it_where_it_is() -> None:
    async with rig() as r:
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.SUPERVISING)
        r.fleet.put_dock_state(healthy_dock("D01", r.fleet.clock.now_s(), online=False))
        r.runner.send(m.id, fx.WatchEnded("x"))
        done = await r.over(m.id)
    assert done.state is S.FAILED and "outside a dock" in (done.reason or "")
    assert [c[0] for c in r.drones["U01"].commands][-1] == "land"
    assert any(n.level == "urgent" and "recover" in n.text for _, n in r.notes)


async def link_lost_on_scene(r: Rig) -> tuple[Mission, FakeDrone]:
    """A mission watching its scene whose drone's link is lost (the autopilot's return begins)."""
    m = r.mission()
    await r.runner.launch(m, PLAN)
    await r.state(m.id, S.SUPERVISING)
    drone: FakeDrone = r.drones["U01"]
    drone.lose_link()
    await r.state(m.id, S.RETURNING)
    return m, drone


def land_home(drone: FakeDrone) -> None:
    """The autopilot's return-to-launch lands the drone at home."""
    home = drone.telemetry().home
    assert home is not None
    drone.move(home.lat_deg, home.lon_deg, 0.0)
    drone.publish(in_air=False)


async def test_a_lost_link_waits_for_the_failsafe_landing() -> None:
    async with rig() as r:
        m, drone = await link_lost_on_scene(r)
        land_home(drone)
        done = await r.over(m.id)
    assert done.state is S.FAILED and "link lost" in (done.reason or "")
    assert r.docks.methods("D01")[-1] == "charge_start"


async def test_a_link_back_during_the_failsafe_return_takes_the_return_over() -> None:
    """The autopilot's own return flies straight home, through any keep-out zone: once the link is
    back, mission control flies the return itself (routed around the zones)."""
    async with rig() as r:
        m, drone = await link_lost_on_scene(r)
        before = len(drone.commands)
        drone.restore_link()
        done = await r.over(m.id)  # the fake's return-to-launch lands it at once
    assert "return_to_launch" in [c[0] for c in drone.commands[before:]]
    assert done.state is S.FAILED and "link lost" in (done.reason or "")
    events = [e.data.get("event") for e in r.store.events[m.id]]
    assert "link_restored" in events
    assert r.docks.methods("D01")[-1] == "charge_start"


async def test_a_link_back_after_the_failsafe_landing_flies_nothing() -> None:
    async with rig() as r:
        m, drone = await link_lost_on_scene(r)
        land_home(drone)
        before = len(drone.commands)
        drone.restore_link()
        done = await r.over(m.id)
    assert done.state is S.FAILED
    assert not {"goto", "return_to_launch", "takeoff"} & {c[0] for c in drone.commands[before:]}


Append = Callable[[MissionEvent, Mission | None], Awaitable[None]]


class FlakyStore:
    """Fails the first ``n`` appends."""

    def __init__(self, n: int) -> None:
        self.n = n

    def wrap(self, append: Append) -> Append:
        async def failing(event: MissionEvent, mission: Mission | None = None) -> None:
            if self.n > 0:
                self.n -= 1
                raise StoreError("database is locked")
            await append(event, mission)

        return failing


async def test_a_store_that_fails_for_a_moment_is_retried() -> None:
    async with rig() as r:
        r.store.append_event = FlakyStore(2).wrap(r.store.append_event)  # type: ignore[method-assign, assignment]
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.SUPERVISING)
        r.runner.send(m.id, fx.WatchEnded("x"))
        done = await r.over(m.id)
    assert done.state is S.CLOSED


async def test_an_event_the_store_refuses_is_not_acted_on() -> None:
    async with rig(store_retries=1) as r:
        m = r.mission()
        await r.runner.launch(m)
        r.store.append_event = FlakyStore(1).wrap(r.store.append_event)  # type: ignore[method-assign, assignment]
        r.runner.send(m.id, PLAN)
        run = r.runner.get(m.id)
        await r.until(m.id, lambda _: ("planned", "lost") in run.history)
        assert r.docks.calls == [] and r.fleet.assignment("D01") is None
        r.runner.command(m.id, fx.Abort("ops"))
        done = await r.over(m.id)
    assert done.state is S.ABORTED
