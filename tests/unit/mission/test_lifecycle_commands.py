"""Operator commands from every active state, failed effects and a lost link."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from mission import lifecycle_types as ev
from mission.lifecycle import InvalidTransition, LifecycleParams, Transition, transition
from mission.model import Mission, MissionState

S = MissionState
AT = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
ACTIVE = [s for s in MissionState if not s.terminal]
HOME = ["stop_payload_tasks", "return_to_dock"]


def at_state(state: MissionState, **changes: object) -> Mission:
    m = Mission(incident_id="inc1", lon_deg=113.70, lat_deg=34.75, id="m1")
    if state is not S.REQUESTED:
        m = replace(m, dock_id="d1", drone_id="u1", cruise_height_m=100.0, return_dock_id="d1")
    return replace(m, state=state, **changes)  # type: ignore[arg-type]


def step(m: Mission, e: ev.MissionInput) -> Transition:
    return transition(m, e, seq=5, at=AT, params=LifecycleParams())


def outcome(state: MissionState, event: ev.MissionInput) -> tuple[object, ...]:
    try:
        t = step(at_state(state), event)
    except InvalidTransition:
        return ("invalid",)
    return (t.mission.state, t.mission.end_state, [e.name for e in t.effects])


ABORT = ev.Abort("ops", "false alarm")
# state -> expected (state after, end_state, effects) or ("invalid",), for each command
EXPECTED: dict[str, dict[MissionState, tuple[object, ...]]] = {
    "abort": {
        S.REQUESTED: (S.ABORTED, None, ["notify"]),
        S.PLANNED: (S.ABORTED, None, ["close_cover", "release_dock", "notify"]),
        S.LAUNCHING: (S.RETURNING, S.ABORTED, HOME),
        S.EN_ROUTE: (S.RETURNING, S.ABORTED, HOME),
        S.ON_SCENE: (S.RETURNING, S.ABORTED, HOME),
        S.SUPERVISING: (S.RETURNING, S.ABORTED, HOME),
        S.RETURNING: (S.RETURNING, S.ABORTED, []),
        S.LANDED: (S.LANDED, S.ABORTED, []),
    },
    "return": {
        S.REQUESTED: ("invalid",),
        S.PLANNED: ("invalid",),
        S.LAUNCHING: (S.RETURNING, None, HOME),
        S.EN_ROUTE: (S.RETURNING, None, HOME),
        S.ON_SCENE: (S.RETURNING, None, HOME),
        S.SUPERVISING: (S.RETURNING, None, HOME),
        S.RETURNING: (S.RETURNING, None, ["return_to_dock"]),
        S.LANDED: ("invalid",),
    },
    "hold": {
        S.REQUESTED: ("invalid",),
        S.PLANNED: ("invalid",),
        S.LAUNCHING: (S.LAUNCHING, None, ["hover"]),
        S.EN_ROUTE: (S.EN_ROUTE, None, ["hover"]),
        S.ON_SCENE: (S.ON_SCENE, None, ["hover"]),
        S.SUPERVISING: (S.SUPERVISING, None, ["hover"]),
        S.RETURNING: (S.RETURNING, None, ["hover"]),
        S.LANDED: ("invalid",),
    },
    "go_to_point": {
        S.REQUESTED: (S.REQUESTED, None, []),
        S.PLANNED: (S.PLANNED, None, []),
        S.LAUNCHING: (S.LAUNCHING, None, []),
        S.EN_ROUTE: (S.EN_ROUTE, None, ["go_to"]),
        S.ON_SCENE: (S.EN_ROUTE, None, ["stop_payload_tasks", "go_to"]),
        S.SUPERVISING: (S.EN_ROUTE, None, ["stop_payload_tasks", "go_to"]),
        S.RETURNING: (S.EN_ROUTE, None, ["go_to"]),
        S.LANDED: ("invalid",),
    },
    "speak_command": {
        S.REQUESTED: ("invalid",),
        S.PLANNED: ("invalid",),
        S.LAUNCHING: ("invalid",),
        S.EN_ROUTE: (S.EN_ROUTE, None, ["speak"]),
        S.ON_SCENE: (S.ON_SCENE, None, ["speak"]),
        S.SUPERVISING: (S.SUPERVISING, None, ["speak"]),
        S.RETURNING: (S.RETURNING, None, ["speak"]),
        S.LANDED: ("invalid",),
    },
}
COMMANDS: list[ev.MissionInput] = [
    ABORT,
    ev.Return("ops"),
    ev.Hold("ops"),
    ev.GoToPoint("ops", 34.76, 113.71),
    ev.SpeakCommand("ops", message="crowd"),
]


def test_the_table_covers_every_active_state_and_command() -> None:
    assert {c.name for c in COMMANDS} == set(EXPECTED)
    assert all(set(row) == set(ACTIVE) for row in EXPECTED.values())


@pytest.mark.parametrize("state", ACTIVE)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_operator_command_from_every_active_state(state: MissionState, command: ev.MissionInput) -> None:
    assert outcome(state, command) == EXPECTED[command.name][state]


def test_commands_are_logged_with_their_actor() -> None:
    t = step(at_state(S.SUPERVISING), ev.Hold("alice"))
    assert (t.record.kind, t.record.actor, t.record.data["event"]) == ("command", "alice", "hold")
    t = step(at_state(S.SUPERVISING), ABORT)
    assert (t.record.kind, t.record.actor) == ("state", "ops")
    assert t.mission.reason == "false alarm"


def test_an_aborted_flight_ends_aborted_once_the_dock_has_closed() -> None:
    m = step(at_state(S.EN_ROUTE), ABORT).mission
    m = step(m, ev.Landed("d1")).mission
    t = step(m, ev.DockClosed())
    assert t.mission.state is S.ABORTED and t.mission.reason == "false alarm"
    assert [e.name for e in t.effects] == ["start_charging", "release_dock"]


def test_go_to_moves_the_target() -> None:
    t = step(at_state(S.SUPERVISING), ev.GoToPoint("ops", 34.76, 113.71))
    assert (t.mission.lat_deg, t.mission.lon_deg) == (34.76, 113.71)
    goto = t.effects[-1]
    assert isinstance(goto, ev.GoTo) and (goto.lat_deg, goto.lon_deg) == (34.76, 113.71)


def test_go_to_before_take_off_is_flown_once_airborne() -> None:
    m = step(at_state(S.LAUNCHING), ev.GoToPoint("ops", 34.80, 113.60)).mission
    goto = step(m, ev.Airborne()).effects[0]
    assert isinstance(goto, ev.GoTo) and (goto.lat_deg, goto.lon_deg) == (34.80, 113.60)


@pytest.mark.parametrize(
    "build",
    [
        lambda: ev.GoToPoint("ops", 95.0, 113.0),
        lambda: ev.GoToPoint("ops", float("nan"), 113.0),
        lambda: ev.SpeakCommand("ops"),
        lambda: ev.SpeakCommand("ops", text="hi", message="crowd"),
        lambda: ev.SpeakCommand("ops", text="  "),
    ],
)
def test_malformed_commands_are_refused_on_construction(build: object) -> None:
    with pytest.raises(ValueError):
        build()  # type: ignore[operator]


# --- failures --------------------------------------------------------------------------------------


def failed(state: MissionState, effect: str, **changes: object) -> Transition:
    return step(at_state(state, **changes), ev.EffectFailed(effect, "boom"))


def test_dock_preparation_failure_fails_and_closes_the_dock() -> None:
    t = failed(S.PLANNED, "prepare_dock")
    assert t.mission.state is S.FAILED and t.mission.reason == "prepare_dock failed: boom"
    assert [e.name for e in t.effects] == ["close_cover", "release_dock", "notify"]


def test_a_dock_that_could_not_be_reserved_is_not_released() -> None:
    t = failed(S.PLANNED, "reserve_dock")
    assert t.mission.state is S.FAILED and [e.name for e in t.effects] == ["notify"]


@pytest.mark.parametrize("state", [S.LAUNCHING, S.EN_ROUTE, S.ON_SCENE, S.SUPERVISING])
def test_a_flight_command_failure_in_the_air_brings_the_drone_home(state: MissionState) -> None:
    t = failed(state, "go_to")
    assert (t.mission.state, t.mission.end_state) == (S.RETURNING, S.FAILED)
    assert [e.name for e in t.effects] == [*HOME, "notify"]
    assert "go_to failed: boom; returning" in t.effects[-1].as_data()["text"]


@pytest.mark.parametrize("effect", ["start_payload_tasks", "speak", "request_relief", "start_watch"])
def test_best_effort_failures_only_notify(effect: str) -> None:
    t = failed(S.SUPERVISING, effect)
    assert t.mission.state is S.SUPERVISING and [e.name for e in t.effects] == ["notify"]


def test_an_orbit_that_fails_becomes_a_hover() -> None:
    t = failed(S.ON_SCENE, "orbit")
    assert t.mission.state is S.ON_SCENE and t.effects == (ev.Hover("u1"),)


def test_return_failure_lands_where_it_is_then_land_failure_fails() -> None:
    t = failed(S.RETURNING, "return_to_dock")
    assert (t.mission.state, t.mission.end_state) == (S.RETURNING, S.FAILED)
    assert [e.name for e in t.effects] == ["land", "notify"]
    t2 = step(t.mission, ev.EffectFailed("land", "denied"))
    assert t2.mission.state is S.FAILED and [e.name for e in t2.effects] == ["release_dock", "notify"]


def test_cover_that_will_not_close_fails_the_mission() -> None:
    t = failed(S.LANDED, "close_cover")
    assert t.mission.state is S.FAILED and [e.name for e in t.effects] == ["notify"]


def test_an_earlier_abort_is_not_overwritten_by_a_later_failure() -> None:
    t = failed(S.RETURNING, "return_to_dock", end_state=S.ABORTED, reason="ops said so")
    assert t.mission.end_state is S.ABORTED


@pytest.mark.parametrize("state", [S.LAUNCHING, S.EN_ROUTE, S.ON_SCENE, S.SUPERVISING])
def test_link_lost_in_the_air_expects_the_failsafe_return(state: MissionState) -> None:
    t = step(at_state(state), ev.LinkLost("no heartbeat for 5 s"))
    assert (t.mission.state, t.mission.end_state) == (S.RETURNING, S.FAILED)
    assert [e.name for e in t.effects] == ["notify"]  # no command can reach it


def test_link_lost_while_the_dock_prepares_fails_and_closes_it() -> None:
    t = step(at_state(S.PLANNED), ev.LinkLost())
    assert t.mission.state is S.FAILED
    assert [e.name for e in t.effects] == ["close_cover", "release_dock", "notify"]
