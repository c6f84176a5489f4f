"""Recovery after a restart: what each state needs again, what telemetry changes, and missions that
complete on a new runner after the old one died mid-flight."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fleet.drone_model import DroneTelemetry, LinkState, Position
from mission import lifecycle_types as fx
from mission.lifecycle import LifecycleParams, transition
from mission.model import Mission, MissionState
from mission.recovery import ResumePolicy, recover, resume_inputs
from tests.unit.mission.executor_rig import rig

S = MissionState
PLAN = fx.Planned("D01", "U01", eta_s=150.0)


def at_state(state: MissionState) -> Mission:
    m = Mission("inc1", 113.70, 34.75, id="m1", dock_id="d1", drone_id="u1", return_dock_id="d1")
    return replace(m, state=state)


RESUMED = {
    S.PLANNED: ["prepare_dock"],
    S.LAUNCHING: ["arm_and_take_off"],
    S.EN_ROUTE: ["go_to"],
    S.ON_SCENE: ["orbit", "start_payload_tasks"],
    S.SUPERVISING: ["orbit", "start_watch"],
    S.RETURNING: ["return_to_dock"],
    S.LANDED: ["close_cover"],
    S.REQUESTED: [],
}


@pytest.mark.parametrize("state", list(RESUMED))
def test_resumed_reissues_what_the_state_needs(state: MissionState) -> None:
    t = transition(at_state(state), fx.Resumed(), seq=9, params=LifecycleParams())
    assert t.mission.state is state and t.record.kind == "event"
    assert [e.name for e in t.effects] == RESUMED[state]


def flying(
    in_air: bool | None, link: LinkState = LinkState.ONLINE, rel_alt_m: float | None = None
) -> DroneTelemetry:
    position = None if rel_alt_m is None else Position(34.75, 113.70, 100.0 + rel_alt_m, rel_alt_m)
    return DroneTelemetry("u1", link=link, in_air=in_air, position=position)


@pytest.mark.parametrize(
    ("state", "telemetry", "dock", "expected"),
    [
        (S.REQUESTED, None, None, []),
        (S.PLANNED, None, None, ["resumed"]),
        (S.PLANNED, flying(False), "d1", ["resumed"]),
        # A drone re-tasked in the air before the restart: straight en route, no dock preparation.
        (S.PLANNED, flying(True), None, ["airborne"]),
        (S.LANDED, None, None, ["resumed"]),
        (S.LAUNCHING, flying(True), None, ["airborne"]),
        (S.LAUNCHING, flying(False), "d1", ["resumed"]),
        (S.EN_ROUTE, flying(True), None, ["resumed"]),
        (S.SUPERVISING, flying(False), "d1", ["landed"]),
        (S.RETURNING, flying(False), None, ["landed"]),
        (S.RETURNING, flying(True), None, ["resumed"]),
        (S.ON_SCENE, None, None, ["link_lost"]),
        (S.ON_SCENE, flying(True, LinkState.OFFLINE), None, ["link_lost"]),
        # A fresh link that has not reported in-air yet: judged by height, never "landed" by silence.
        (S.EN_ROUTE, flying(None), None, ["link_lost"]),
        (S.EN_ROUTE, flying(None, rel_alt_m=80.0), None, ["resumed"]),
        (S.SUPERVISING, flying(None, rel_alt_m=0.1), "d1", ["landed"]),
    ],
)
def test_resume_inputs_follow_live_telemetry(
    state: MissionState, telemetry: DroneTelemetry | None, dock: str | None, expected: list[str]
) -> None:
    inputs = resume_inputs(at_state(state), telemetry, dock)
    assert [e.name for e in inputs] == expected
    landed = [e for e in inputs if isinstance(e, fx.Landed)]
    assert all(e.dock_id == dock for e in landed)


def test_bring_home_policy_returns_a_working_drone() -> None:
    inputs = resume_inputs(at_state(S.SUPERVISING), flying(True), None, ResumePolicy.BRING_HOME)
    assert inputs == (fx.Return("recovery"),)
    assert resume_inputs(at_state(S.RETURNING), flying(True), None, ResumePolicy.BRING_HOME) == (
        fx.Resumed(),
    )


async def test_a_mission_killed_mid_watch_completes_on_the_new_runner() -> None:
    async with rig() as r:
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.SUPERVISING)
        seq_before = len(r.store.events[m.id])
        runner = await r.restart()
        assert runner.active == []
        report = await recover(r.store, runner, r.drones.__getitem__, r.fleet.registry)
        assert [(x.mission_id, x.posted, x.running) for x in report] == [(m.id, ("resumed",), True)]
        await r.until(m.id, lambda _: len(r.store.events[m.id]) > seq_before)
        assert r.store.events[m.id][seq_before].data["effects"] == ["orbit", "start_watch"]
        runner.send(m.id, fx.WatchEnded("case_handled"))
        done = await r.over(m.id)
    assert done.state is S.CLOSED
    seqs = [e.seq for e in r.store.events[m.id]]
    assert seqs == list(range(1, len(seqs) + 1))  # one log, continued


async def test_a_drone_that_landed_while_mission_control_was_down_is_closed_in() -> None:
    async with rig() as r:
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.SUPERVISING)
        runner = await r.restart()
        drone = r.drones["U01"]
        await drone.return_to_launch()  # the autopilot's failsafe, with nobody listening
        report = await recover(r.store, runner, r.drones.__getitem__, r.fleet.registry)
        assert report[0].posted == ("landed",)
        done = await r.over(m.id)
    assert done.state is S.CLOSED and done.return_dock_id == "D01"
    assert r.docks.methods("D01")[-2:] == ["cover_close", "charge_start"]


async def test_requested_missions_are_left_to_the_planner() -> None:
    async with rig() as r:
        m = r.mission()
        await r.runner.launch(m)
        runner = await r.restart()
        report = await recover(r.store, runner, r.drones.__getitem__, r.fleet.registry)
    assert [(x.state, x.running) for x in report] == [(S.REQUESTED, False)]
