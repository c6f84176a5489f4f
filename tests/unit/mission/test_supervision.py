"""Supervision rules: the battery budget of a watch and the dock a drone returns to."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fleet.model import DockState
from geo.model import EnergyParams
from mission.supervision import BatteryBudget, DockOption, ExecutorSettings, can_take, choose_return_dock

S = ExecutorSettings()
DOCK2 = EnergyParams(flight_endurance_s=3000.0, reserve_pct=25.0)


def test_the_budget_grows_with_the_distance_home() -> None:
    near, far = BatteryBudget.for_distance(0.0, DOCK2, S), BatteryBudget.for_distance(9000.0, DOCK2, S)
    assert near.return_pct == DOCK2.reserve_pct
    assert far.return_pct > near.return_pct
    assert far.relief_pct - far.return_pct == S.relief_lead_pct
    # 9 km at 15 m/s is 600 s of a 3000 s battery: 20 %
    assert far.return_pct == pytest.approx(DOCK2.reserve_pct + 20.0)


def test_the_budget_takes_the_reserve_and_endurance_it_is_given() -> None:
    longer = EnergyParams(flight_endurance_s=6000.0, reserve_pct=30.0)
    budget = BatteryBudget.for_distance(9000.0, longer, S)
    assert budget.return_pct == pytest.approx(30.0 + 10.0)  # 600 s of a 6000 s battery


def test_unsafe_settings_are_refused() -> None:
    with pytest.raises(ValidationError):
        ExecutorSettings(speaker_lang="fr")


def test_a_reserve_or_endurance_of_its_own_is_refused_saying_where_it_lives() -> None:
    with pytest.raises(
        ValidationError,
        match=r"reserve_pct is no longer a \[missions\] setting, set \[planning\.energy\] reserve_pct",
    ):
        ExecutorSettings.model_validate({"reserve_pct": 30.0})
    with pytest.raises(
        ValidationError,
        match=r"flight_endurance_s is no longer a \[missions\] setting, set \[dock_types\.<type>\]",
    ):
        ExecutorSettings.model_validate({"flight_endurance_s": 3000.0})


def test_flight_timeouts_have_a_floor_and_scale_with_distance() -> None:
    assert S.flight_timeout_s(0.0) == S.min_flight_timeout_s
    assert S.flight_timeout_s(6000.0) == pytest.approx(3 * 6000.0 / S.cruise_mps)


def dock(
    dock_id: str, lat: float, *, online: bool = True, inside: bool = False, to: str | None = None
) -> DockOption:
    return DockOption(dock_id, lat, 113.8, DockState(dock_id, online=online, drone_in_dock=inside), to)


def test_the_own_dock_is_preferred_even_when_farther() -> None:
    options = [dock("D01", 34.80, inside=True, to="m1"), dock("D02", 34.85)]
    assert choose_return_dock(options, 34.849, 113.8, "m1", "D01") == "D01"


def test_otherwise_the_nearest_dock_that_can_take_it() -> None:
    options = [
        dock("D01", 34.80, online=False),
        dock("D02", 34.90),
        dock("D03", 34.85, inside=True),  # its own drone is home
        dock("D04", 34.86, to="m9"),  # serves another mission
        dock("D05", 34.87),
    ]
    assert choose_return_dock(options, 34.85, 113.8, "m1", "D01") == "D05"
    assert choose_return_dock(options[:1], 34.85, 113.8, "m1", "D01") is None


def test_a_faulty_dock_cannot_take_a_drone() -> None:
    option = DockOption("D02", 34.8, 113.8, DockState("D02", online=True, faults=("cover_stuck",)), None)
    assert not can_take(option, "m1", "D01")
    assert not can_take(DockOption("D02", 34.8, 113.8, None, None), "m1", "D01")
