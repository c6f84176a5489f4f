"""The battery model: flight time from charge, energy for a sortie, charging predictions."""

from __future__ import annotations

import math

import pytest

from docks.charging import ChargingCurve
from fleet.battery import (
    airborne_energy_pct,
    pct_after_charging,
    reference_energy_pct,
    remaining_flight_s,
    remaining_hover_s,
    sortie_energy_pct,
    time_to_charge_s,
)
from geo.model import ReachParams, Wind
from geo.reach import energy_feasible, reach_radius_m

from .fleet_helpers import config_dock_types, config_params

REACH, ENERGY, _ = config_params()


def test_remaining_flight_time_is_linear_above_the_reserve() -> None:
    e = ENERGY
    assert remaining_flight_s(e.reserve_pct, e) == 0.0
    assert remaining_flight_s(e.reserve_pct - 5.0, e) == 0.0
    full = remaining_flight_s(100.0, e)
    assert full == pytest.approx((100.0 - e.reserve_pct) / 100.0 * e.flight_endurance_s)
    half_usable = e.reserve_pct + (100.0 - e.reserve_pct) / 2.0
    assert remaining_flight_s(half_usable, e) == pytest.approx(full / 2.0)
    assert remaining_flight_s(100.0, e, keep_reserve=False) == pytest.approx(e.flight_endurance_s)
    assert remaining_hover_s(100.0, e, keep_reserve=False) == pytest.approx(e.hover_endurance_s)


def test_sortie_energy_grows_with_distance_and_wind() -> None:
    near = sortie_energy_pct(1000.0, 0.0, REACH, ENERGY)
    far = sortie_energy_pct(4000.0, 0.0, REACH, ENERGY)
    windy = sortie_energy_pct(4000.0, 0.0, REACH, ENERGY, Wind(8.0, 90.0))
    assert ENERGY.reserve_pct < near < far < windy < 100.0
    # Exactly what the planner's feasibility test uses.
    assert energy_feasible(far, 4000.0, 0.0, REACH, ENERGY)
    assert not energy_feasible(far - 0.1, 4000.0, 0.0, REACH, ENERGY)


def test_sortie_against_a_wind_faster_than_the_drone_is_impossible() -> None:
    assert math.isinf(sortie_energy_pct(3000.0, 0.0, REACH, ENERGY, Wind(REACH.cruise_mps + 1.0, 270.0)))


def test_longer_on_scene_time_costs_hover_energy() -> None:
    base = sortie_energy_pct(2000.0, 0.0, REACH, ENERGY, on_scene_s=0.0)
    longer = sortie_energy_pct(2000.0, 0.0, REACH, ENERGY, on_scene_s=600.0)
    assert longer - base == pytest.approx(600.0 * 100.0 / ENERGY.hover_endurance_s)


def test_reference_sortie_is_the_edge_of_the_five_minute_disc() -> None:
    slow_prep = ReachParams(prep_s=90.0)
    fast_prep = ReachParams(prep_s=30.0)
    assert reach_radius_m(fast_prep) > reach_radius_m(slow_prep)
    assert reference_energy_pct(fast_prep, ENERGY) > reference_energy_pct(slow_prep, ENERGY)
    r = reach_radius_m(REACH)
    assert reference_energy_pct(REACH, ENERGY) == pytest.approx(sortie_energy_pct(r, 0.0, REACH, ENERGY))


def test_airborne_retasking_saves_the_climb() -> None:
    """A drone already at cruise height over its dock needs the dock sortie minus the climb."""
    dx, dy = 2500.0, -1200.0
    wind = Wind(5.0, 30.0)
    from_dock = sortie_energy_pct(dx, dy, REACH, ENERGY, wind)
    airborne = airborne_energy_pct(dx, dy, -dx, -dy, REACH, ENERGY, wind)
    climb_pct = REACH.cruise_height_m / REACH.climb_mps * 100.0 / ENERGY.flight_endurance_s
    assert from_dock - airborne == pytest.approx(climb_pct)


def test_airborne_retasking_far_from_home_costs_more() -> None:
    near = airborne_energy_pct(1000.0, 0.0, -1000.0, 0.0, REACH, ENERGY)
    # Same target seen from a drone 5 km further away: a longer outbound leg.
    far = airborne_energy_pct(6000.0, 0.0, -1000.0, 0.0, REACH, ENERGY)
    assert far > near


@pytest.mark.parametrize("dock_type", ["dock2", "dock3"])
def test_charging_prediction_matches_the_configured_20_to_90_time(dock_type: str) -> None:
    spec = config_dock_types()[dock_type]
    assert time_to_charge_s(20.0, 90.0, spec.charge_20_90_s) == pytest.approx(spec.charge_20_90_s)


def test_charging_is_slower_at_the_top() -> None:
    c = 1920.0
    assert time_to_charge_s(85.0, 95.0, c) > time_to_charge_s(30.0, 40.0, c)
    assert time_to_charge_s(60.0, 50.0, c) == 0.0
    assert math.isinf(time_to_charge_s(50.0, 100.0, c))
    assert math.isinf(time_to_charge_s(50.0, 101.0, c))


def test_charging_prediction_agrees_with_stepping_the_sim_docks_curve() -> None:
    """Charge the way a simulated dock does (small steps along the shared curve) and compare."""
    c = 1920.0
    curve = ChargingCurve(charge_20_90_s=c)
    pct, t_s, step_s = 23.0, 0.0, 2.0
    while pct < 81.0:
        pct = curve.pct_after(pct, step_s)
        t_s += step_s
    assert time_to_charge_s(23.0, 81.0, c) == pytest.approx(t_s, abs=step_s)
    assert pct_after_charging(23.0, t_s, c) == pytest.approx(pct)
