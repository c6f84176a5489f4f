"""The re-tasking policy: which running missions may hand their flying drone to a new one."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mission.model import Mission, MissionState
from mission.retask_policy import ActiveMission, RetaskPolicy, retaskable_missions

S = MissionState


def active(mission_id: str, state: MissionState, priority: int | None, **changes: object) -> ActiveMission:
    m = Mission(incident_id=f"i-{mission_id}", lon_deg=113.7, lat_deg=34.75, id=mission_id)
    m = replace(m, state=state, dock_id="d1", drone_id="u1", **changes)  # type: ignore[arg-type]
    return ActiveMission(m, priority)


def test_a_drone_returning_normally_may_be_retasked_whatever_the_priorities() -> None:
    got = retaskable_missions(RetaskPolicy(), 4, [active("a", S.RETURNING, 1)])
    assert got == {"a"}


@pytest.mark.parametrize("end_state", [S.ABORTED, S.FAILED])
def test_a_drone_coming_home_from_an_aborted_or_failed_mission_is_never_taken(
    end_state: MissionState,
) -> None:
    assert retaskable_missions(RetaskPolicy(), 1, [active("a", S.RETURNING, 4, end_state=end_state)]) == set()


@pytest.mark.parametrize("state", [S.EN_ROUTE, S.ON_SCENE, S.SUPERVISING])
def test_a_lower_priority_watch_gives_way_to_a_more_urgent_incident_only(state: MissionState) -> None:
    missions = [active("low", state, 3), active("same", state, 2), active("high", state, 1)]
    assert retaskable_missions(RetaskPolicy(), 2, missions) == {"low"}  # never same or higher
    assert retaskable_missions(RetaskPolicy(), 3, missions) == set()
    assert retaskable_missions(RetaskPolicy(), 1, missions) == {"low", "same"}
    assert retaskable_missions(RetaskPolicy(min_priority_gap=2), 2, missions) == set()
    assert retaskable_missions(RetaskPolicy(min_priority_gap=2), 1, missions) == {"low"}


@pytest.mark.parametrize("state", [S.REQUESTED, S.PLANNED, S.LAUNCHING, S.LANDED, S.CLOSED])
def test_a_drone_on_the_ground_or_climbing_out_is_never_listed(state: MissionState) -> None:
    assert retaskable_missions(RetaskPolicy(), 1, [active("a", state, 4)]) == set()


def test_unknown_priorities_only_free_returning_drones() -> None:
    missions = [active("w", S.SUPERVISING, None), active("r", S.RETURNING, None)]
    assert retaskable_missions(RetaskPolicy(), 1, missions) == {"r"}
    assert retaskable_missions(RetaskPolicy(), None, [active("w", S.SUPERVISING, 4)]) == set()


def test_the_policy_can_switch_each_rule_off() -> None:
    missions = [active("w", S.SUPERVISING, 4), active("r", S.RETURNING, 4)]
    assert retaskable_missions(RetaskPolicy(returning=False), 1, missions) == {"w"}
    assert retaskable_missions(RetaskPolicy(lower_priority=False), 1, missions) == {"r"}


def test_the_policy_is_part_of_the_missions_settings() -> None:
    from mission.settings import Settings

    s = Settings.model_validate({"missions": {"retask": {"returning": False, "min_priority_gap": 2}}})
    assert s.missions.retask == RetaskPolicy(returning=False, min_priority_gap=2)
    with pytest.raises(ValueError, match="min_priority_gap"):
        Settings.model_validate({"missions": {"retask": {"min_priority_gap": 0}}})
