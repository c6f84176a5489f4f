"""Airborne re-tasking in the state machine: the old mission hands its flying drone over (closed with
a reason, no return, no landing, no cover), in every state it can be in; the new one starts from the
air (no dock preparation, no take-off)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from mission import lifecycle_types as ev
from mission.lifecycle import RETASKABLE, InvalidTransition, LifecycleParams, Transition, transition
from mission.model import Mission, MissionState

S = MissionState
AT = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
PARAMS = LifecycleParams(cruise_height_m=110.0)
NEVER_ON_HANDOVER = {"return_to_dock", "land", "close_cover", "release_dock", "hover", "go_to"}


def at_state(state: MissionState, **changes: object) -> Mission:
    base = Mission(incident_id="inc1", lon_deg=113.70, lat_deg=34.75, id="m1")
    base = replace(base, dock_id="d1", drone_id="u1", cruise_height_m=110.0, return_dock_id="d1")
    return replace(base, state=state, **changes)  # type: ignore[arg-type]


def step(m: Mission, e: ev.MissionInput) -> Transition:
    return transition(m, e, seq=7, at=AT, params=PARAMS)


@pytest.mark.parametrize(
    ("state", "effects", "level"),
    [
        (S.EN_ROUTE, ["notify"], "info"),
        (S.ON_SCENE, ["stop_payload_tasks", "notify"], "warning"),
        (S.SUPERVISING, ["stop_payload_tasks", "notify"], "warning"),
        (S.RETURNING, ["notify"], "info"),
    ],
)
def test_a_flying_drone_is_handed_over_and_the_mission_closes_with_the_reason(
    state: MissionState, effects: list[str], level: str
) -> None:
    t = step(at_state(state), ev.Retasked("m2"))
    assert t.mission.state is S.CLOSED and t.mission.end_state is None
    assert t.mission.reason is not None and "m2" in t.mission.reason and "u1" in t.mission.reason
    assert [e.name for e in t.effects] == effects
    assert not NEVER_ON_HANDOVER & {e.name for e in t.effects}
    notice = t.effects[-1]
    assert isinstance(notice, ev.Notify) and notice.level == level and "m2" in notice.text
    assert t.record.kind == "state" and (t.record.from_state, t.record.to_state) == (state, S.CLOSED)
    assert t.record.data["event"] == "retasked" and t.record.data["new_mission_id"] == "m2"


@pytest.mark.parametrize("state", [S.REQUESTED, S.PLANNED, S.LAUNCHING, S.LANDED])
def test_a_drone_on_the_ground_or_climbing_out_cannot_be_handed_over(state: MissionState) -> None:
    assert state not in RETASKABLE
    with pytest.raises(InvalidTransition, match="retasked"):
        step(at_state(state), ev.Retasked("m2"))


@pytest.mark.parametrize("state", [S.CLOSED, S.ABORTED, S.FAILED])
def test_an_ended_mission_accepts_no_hand_over(state: MissionState) -> None:
    with pytest.raises(InvalidTransition, match="over"):
        step(at_state(state), ev.Retasked("m2"))


@pytest.mark.parametrize("end_state", [S.ABORTED, S.FAILED])
def test_a_drone_coming_home_from_an_aborted_or_failed_mission_is_not_handed_over(
    end_state: MissionState,
) -> None:
    with pytest.raises(InvalidTransition, match=f"ending {end_state}"):
        step(at_state(S.RETURNING, end_state=end_state), ev.Retasked("m2"))


def test_a_mission_cannot_take_over_its_own_drone() -> None:
    with pytest.raises(InvalidTransition, match="own drone"):
        step(at_state(S.RETURNING), ev.Retasked("m1"))


def test_the_new_mission_starts_from_the_air_straight_en_route() -> None:
    m = replace(at_state(S.REQUESTED), dock_id=None, drone_id=None, return_dock_id=None)
    planned = step(m, ev.Planned("d1", "u1", eta_s=90.0, airborne=True))
    assert planned.mission.state is S.PLANNED
    assert [e.name for e in planned.effects] == ["reserve_dock", "confirm_airborne"]
    flying = transition(planned.mission, ev.Airborne(), seq=8, at=AT, params=PARAMS)
    assert flying.mission.state is S.EN_ROUTE
    (goto,) = flying.effects
    assert isinstance(goto, ev.GoTo) and goto.drone_id == "u1"
    assert (goto.lat_deg, goto.lon_deg, goto.height.value_m) == (34.75, 113.70, 110.0)
