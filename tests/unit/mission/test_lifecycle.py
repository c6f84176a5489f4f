"""The mission state machine: the happy path, every transition's effects, invalid events, failures."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from fleet.drone_model import Height
from mission import lifecycle_types as ev
from mission.lifecycle import AIRBORNE, InvalidTransition, LifecycleParams, Transition, transition
from mission.model import DispatchDecision, Mission, MissionState

S = MissionState
AT = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
PARAMS = LifecycleParams(cruise_height_m=110.0, on_scene_height_m=80.0, orbit_radius_m=35.0)


def fresh() -> Mission:
    return Mission(incident_id="inc1", lon_deg=113.70, lat_deg=34.75, id="m1")


def at_state(state: MissionState, **changes: object) -> Mission:
    """A mission planned from dock d1 with drone u1, put in ``state``."""
    base = replace(fresh(), dock_id="d1", drone_id="u1", cruise_height_m=110.0, return_dock_id="d1")
    return replace(base, state=state, **changes)  # type: ignore[arg-type]


def step(m: Mission, e: ev.MissionInput, seq: int = 2) -> Transition:
    return transition(m, e, seq=seq, at=AT, params=PARAMS)


def names(t: Transition) -> list[str]:
    return [e.name for e in t.effects]


def test_happy_path_from_request_to_closed_with_its_effects() -> None:
    m = fresh()
    path: list[tuple[ev.MissionInput, MissionState, list[str]]] = [
        (ev.Planned("d1", "u1", eta_s=140.0), S.PLANNED, ["reserve_dock", "prepare_dock"]),
        (ev.DockReady(), S.LAUNCHING, ["arm_and_take_off"]),
        (ev.Airborne(), S.EN_ROUTE, ["go_to"]),
        (ev.Arrived(), S.ON_SCENE, ["orbit", "start_payload_tasks"]),
        (ev.SceneDone(findings=1), S.SUPERVISING, ["start_watch"]),
        (ev.WatchEnded("case_handled"), S.RETURNING, ["stop_payload_tasks", "return_to_dock"]),
        (ev.Landed("d1"), S.LANDED, ["close_cover"]),
        (ev.DockClosed(), S.CLOSED, ["start_charging", "release_dock"]),
    ]
    for seq, (event, state, effects) in enumerate(path, start=2):
        t = step(m, event, seq)
        assert (t.mission.state, names(t)) == (state, effects), event
        assert t.record.seq == seq and t.record.kind == "state"
        assert (t.record.from_state, t.record.to_state) == (m.state, state)
        assert t.record.data["event"] == event.name and t.record.data["effects"] == effects
        m = t.mission
    assert m.state.terminal and m.end_state is None and m.reason is None


def test_planned_records_the_decision_and_asks_for_the_dock() -> None:
    t = step(fresh(), ev.Planned("d7", "u7", eta_s=200.0, cruise_height_m=95.0))
    assert (t.mission.dock_id, t.mission.drone_id, t.mission.eta_s) == ("d7", "u7", 200.0)
    assert t.mission.cruise_height_m == 95.0 and t.mission.return_dock_id == "d7"
    assert t.effects[:2] == (ev.ReserveDock("d7", "m1"), ev.PrepareDock("d7", "m1"))


def test_planned_without_height_uses_the_configured_cruise_height() -> None:
    t = step(fresh(), ev.Planned("d1", "u1"))
    assert t.mission.cruise_height_m == PARAMS.cruise_height_m


def test_breached_promise_is_announced() -> None:
    t = step(fresh(), ev.Planned("d1", "u1", eta_s=412.0, promise_breached=True))
    assert t.mission.promise_breached
    notes = [e for e in t.effects if isinstance(e, ev.Notify)]
    assert len(notes) == 1 and "412 s" in notes[0].text


def test_nothing_can_go_fails_the_mission_at_once() -> None:
    t = step(fresh(), ev.Planned(None, None))
    assert t.mission.state is S.FAILED and t.mission.reason
    assert names(t) == ["notify"]


def test_retasked_airborne_drone_skips_the_dock() -> None:
    t = step(fresh(), ev.Planned("d2", "u2", airborne=True))
    assert names(t) == ["reserve_dock", "confirm_airborne"]
    t2 = step(t.mission, ev.Airborne())
    assert t2.mission.state is S.EN_ROUTE and names(t2) == ["go_to"]


def test_take_off_and_go_to_use_explicit_heights_above_home() -> None:
    t = step(at_state(S.PLANNED), ev.DockReady())
    assert t.effects == (ev.ArmAndTakeOff("u1", Height.above_home(110.0)),)
    t = step(at_state(S.LAUNCHING), ev.Airborne())
    assert t.effects == (ev.GoTo("u1", 34.75, 113.70, Height.above_home(110.0)),)


def test_arrival_orbits_at_the_on_scene_height_and_starts_the_payload() -> None:
    t = step(at_state(S.EN_ROUTE), ev.Arrived())
    orbit = t.effects[0]
    assert isinstance(orbit, ev.Orbit)
    assert orbit.height == Height.above_home(80.0) and orbit.radius_m == 35.0
    assert (orbit.lat_deg, orbit.lon_deg) == (34.75, 113.70)
    assert t.effects[1] == ev.StartPayloadTasks("u1", "m1", "inc1")


def test_a_relief_mission_tells_the_relieved_one_on_arrival() -> None:
    m = at_state(S.EN_ROUTE, relieves_mission_id="m0")
    t = step(m, ev.Arrived())
    assert ev.TellRelieved("m0", "m1") in t.effects
    t2 = step(at_state(S.SUPERVISING), ev.ReliefArrived("m1"))
    assert t2.mission.state is S.RETURNING and t2.record.data["relief_mission_id"] == "m1"
    assert t2.mission.end_state is None and t2.mission.reason is None  # a normal end


def test_battery_warning_on_watch_requests_relief_and_keeps_watching() -> None:
    t = step(at_state(S.SUPERVISING), ev.BatteryLow(35.0, must_return=False))
    assert t.mission.state is S.SUPERVISING and t.record.kind == "event"
    assert names(t) == ["request_relief", "notify"]
    assert t.effects[0] == ev.RequestRelief("m1", "inc1", 34.75, 113.70)


@pytest.mark.parametrize("state", [S.EN_ROUTE, S.ON_SCENE, S.SUPERVISING])
def test_battery_must_return_goes_home_and_asks_for_a_relief(state: MissionState) -> None:
    t = step(at_state(state), ev.BatteryLow(22.0, must_return=True))
    assert t.mission.state is S.RETURNING and t.mission.end_state is None
    assert names(t) == ["request_relief", "stop_payload_tasks", "return_to_dock", "notify"]


def test_battery_low_while_returning_only_warns() -> None:
    t = step(at_state(S.RETURNING), ev.BatteryLow(15.0, must_return=True))
    assert t.mission.state is S.RETURNING and names(t) == ["notify"]


def test_return_goes_to_the_return_dock() -> None:
    t = step(at_state(S.SUPERVISING, return_dock_id="d9"), ev.WatchEnded("time_budget"))
    assert ev.ReturnToDock("u1", "d9") in t.effects


def test_landing_at_another_dock_charges_there_and_frees_the_own_one() -> None:
    t = step(at_state(S.RETURNING), ev.Landed("d3"))
    assert t.mission.return_dock_id == "d3" and t.effects == (ev.CloseCover("d3"),)
    t2 = step(t.mission, ev.DockClosed())
    assert t2.effects == (ev.StartCharging("d3"), ev.ReleaseDock("d1", "m1"))


@pytest.mark.parametrize("state", sorted(AIRBORNE))
def test_landing_outside_a_dock_fails_and_says_so(state: MissionState) -> None:
    t = step(at_state(state), ev.Landed(None))
    assert t.mission.state is S.FAILED and "outside" in (t.mission.reason or "")
    assert names(t) == ["release_dock", "notify"]


def test_a_terminal_mission_accepts_nothing() -> None:
    for state in (S.CLOSED, S.ABORTED, S.FAILED):
        with pytest.raises(InvalidTransition, match="over"):
            step(at_state(state), ev.Abort("ops"))


INVALID: list[tuple[MissionState, ev.MissionInput]] = [
    (S.PLANNED, ev.Planned("d1", "u1")),
    (S.REQUESTED, ev.DockReady()),
    (S.EN_ROUTE, ev.DockReady()),
    (S.REQUESTED, ev.Airborne()),
    (S.ON_SCENE, ev.Airborne()),
    (S.LAUNCHING, ev.Arrived()),
    (S.SUPERVISING, ev.Arrived()),
    (S.EN_ROUTE, ev.SceneDone()),
    (S.EN_ROUTE, ev.WatchEnded("x")),
    (S.RETURNING, ev.ReliefArrived("m2")),
    (S.PLANNED, ev.BatteryLow(20.0, True)),
    (S.LANDED, ev.BatteryLow(20.0, True)),
    (S.PLANNED, ev.Landed("d1")),
    (S.RETURNING, ev.DockClosed()),
    (S.REQUESTED, ev.LinkLost()),
    (S.LANDED, ev.LinkLost()),
]


@pytest.mark.parametrize(("state", "event"), INVALID, ids=[f"{s}-{e.name}" for s, e in INVALID])
def test_invalid_transitions_raise_and_change_nothing(state: MissionState, event: ev.MissionInput) -> None:
    m = at_state(state)
    with pytest.raises(InvalidTransition) as info:
        step(m, event)
    assert info.value.state is state and info.value.event == event.name
    assert m.state is state  # untouched


def test_events_carry_their_fields_into_the_log() -> None:
    t = step(at_state(S.SUPERVISING), ev.WatchEnded("case_handled"))
    assert t.record.data["reason"] == "case_handled" and t.record.actor == "system"
    assert t.mission.updated_at == AT and t.record.at == AT


def test_planned_from_a_stored_decision() -> None:
    decision = DispatchDecision("m1", "d4", "u4", 310.0, 300.0, True, airborne=True)
    event = ev.Planned.from_decision(decision, cruise_height_m=90.0)
    assert event == ev.Planned("d4", "u4", 310.0, True, True, 90.0)
    nothing = ev.Planned.from_decision(DispatchDecision("m1", None, None, None, 300.0, True))
    assert step(fresh(), nothing).mission.state is S.FAILED
