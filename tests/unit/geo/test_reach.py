"""The response-time model (geo/reach.py) against hand computation and a time-stepped flight."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from geo.model import EnergyParams, ReachParams, Wind
from geo.reach import (
    air_distance_m,
    constant_speed_leg_time_s,
    cruise_time_s,
    energy_required_pct,
    overhead_s,
    reach_disc,
    reach_radius_m,
    response_time_s,
    wind_cruise_time_s,
)

# planning.md §5 example table. Budget = 300 - dispatch - prep - climb (h/5) - settle; above 2v/a
# seconds of budget the reach is v·(budget - v/a) with a = 3 m/s².
REACH_TABLE = [
    # (dispatch, prep, height, v, settle, hand-computed reach, the table's rounded km)
    (0.0, 30.0, 100.0, 21.0, 5.0, 21.0 * ((300 - 0 - 30 - 20 - 5) - 21.0 / 3.0), 5.0),
    (30.0, 60.0, 100.0, 15.0, 10.0, 15.0 * ((300 - 30 - 60 - 20 - 10) - 5.0), 2.6),
    (20.0, 45.0, 80.0, 15.0, 10.0, 15.0 * ((300 - 20 - 45 - 16 - 10) - 5.0), 3.1),
    (30.0, 90.0, 100.0, 15.0, 10.0, 15.0 * ((300 - 30 - 90 - 20 - 10) - 5.0), 2.2),
]


@pytest.mark.parametrize(("dispatch", "prep", "height", "v", "settle", "expected_m", "table_km"), REACH_TABLE)
def test_reach_radius_matches_the_planning_table(dispatch, prep, height, v, settle, expected_m, table_km):
    p = ReachParams(
        dispatch_s=dispatch,
        prep_s=prep,
        cruise_height_m=height,
        on_scene_height_m=height,
        cruise_mps=v,
        settle_s=settle,
    )
    assert reach_radius_m(p) == pytest.approx(expected_m, abs=1e-6)
    assert round(reach_radius_m(p) / 1000.0, 1) == table_km


def test_headwind_row_of_the_table():
    # 8 m/s headwind: the shifted disc's upwind edge is R - 8·budget = 2625 - 1440 = 1185 m (≈1.2 km).
    p = ReachParams()
    cx, cy, r = reach_disc(p, Wind(8.0, 90.0))  # from the east: the disc moves west
    assert cx == pytest.approx(-8.0 * 180.0)
    assert cy == pytest.approx(0.0, abs=1e-9)
    assert r - math.hypot(cx, cy) == pytest.approx(1185.0)
    # A point 1185 m upwind (east) is reached exactly at the target.
    assert float(response_time_s(1185.0, 0.0, p, Wind(8.0, 90.0))) == pytest.approx(300.0)


def test_short_budget_uses_the_acceleration_branch_and_no_budget_reaches_nothing():
    p = ReachParams()
    # Budget 6 s < 2v/a = 10 s: accelerate 3 s, brake 3 s, distance a·(t/2)² = 3·9 = 27 m.
    assert reach_radius_m(p, target_s=overhead_s(p) + 6.0) == pytest.approx(27.0)
    assert reach_radius_m(p, target_s=overhead_s(p) - 1.0) == 0.0
    assert reach_disc(p, Wind(5.0, 0.0), target_s=overhead_s(p)) == (0.0, 0.0, 0.0)


def test_overhead_counts_descent_to_a_lower_scene_height():
    p = ReachParams(cruise_height_m=100.0, on_scene_height_m=60.0)
    assert overhead_s(p) == pytest.approx(30 + 60 + 100 / 5 + 40 / 4 + 10)


def test_cruise_time_is_the_inverse_of_air_distance():
    t = np.concatenate([np.linspace(0.0, 10.0, 41), np.linspace(10.0, 600.0, 300)])
    d = air_distance_m(t, 15.0, 3.0)
    assert np.all(np.diff(d) >= 0)
    np.testing.assert_allclose(cruise_time_s(d, 15.0, 3.0), t, atol=1e-9)
    # Continuous at the branch point d = v²/a = 75 m, t = 2v/a = 10 s.
    assert float(cruise_time_s(75.0, 15.0, 3.0)) == pytest.approx(10.0)
    assert float(cruise_time_s(74.999, 15.0, 3.0)) == pytest.approx(10.0, abs=1e-3)


def test_constant_speed_leg_uses_the_wind_triangle():
    wind = Wind(5.0, 270.0)  # from the west: pushes east
    assert float(constant_speed_leg_time_s(1500.0, 0.0, wind, 15.0)) == pytest.approx(1500.0 / 20.0)
    assert float(constant_speed_leg_time_s(-1500.0, 0.0, wind, 15.0)) == pytest.approx(1500.0 / 10.0)
    crosswind = float(constant_speed_leg_time_s(0.0, 1500.0, wind, 15.0))
    assert crosswind == pytest.approx(1500.0 / math.sqrt(15.0**2 - 5.0**2))
    assert math.isinf(float(constant_speed_leg_time_s(-100.0, 0.0, Wind(16.0, 270.0), 15.0)))


def _simulated_arrival_s(d: np.ndarray, wind: Wind, v: float, a: float, guess_s: float, dt: float) -> float:
    """Brute force: for each candidate arrival time T, aim (in the air frame) at d − w·T and fly a
    rest-to-rest profile step by step (accelerate at a up to v while the stopping distance still fits,
    else brake; trapezoidal integration); keep the earliest T whose flight ends by T."""
    w = np.array(wind.vector_mps)
    candidates = np.arange(max(guess_s - 2.0, dt), guess_s + 2.0, dt)
    aim = d[None, :] - candidates[:, None] * w[None, :]
    length = np.hypot(aim[:, 0], aim[:, 1])
    flown = np.zeros(len(candidates))
    speed = np.zeros(len(candidates))
    done_at = np.full(len(candidates), np.inf)
    t = 0.0
    while np.any(np.isinf(done_at)) and t < candidates[-1] + 5.0:
        up = np.minimum(speed + a * dt, v)
        fits = (speed + up) / 2.0 * dt + up * up / (2.0 * a) <= length - flown
        new = np.where(fits, up, np.maximum(speed - a * dt, 0.0))
        flown = flown + (speed + new) / 2.0 * dt
        speed = new
        t += dt
        done_at = np.where(np.isinf(done_at) & (speed == 0.0), t, done_at)
    assert np.allclose(flown, length, atol=v * dt), "every flight ends at its aim point"
    feasible = done_at <= candidates + 1e-9
    assert not feasible[0], "the search window must start before the arrival"
    return float(candidates[np.argmax(feasible)])


@pytest.mark.parametrize(
    ("dx", "dy", "speed", "from_deg"),
    [(2000.0, 500.0, 8.0, 90.0), (-1500.0, 1200.0, 6.0, 30.0), (300.0, -2500.0, 10.0, 200.0)],
)
def test_shifted_disc_equals_a_time_stepped_flight(dx, dy, speed, from_deg):
    wind = Wind(speed, from_deg)
    model_s = float(wind_cruise_time_s(dx, dy, wind, 15.0, 3.0))
    dt = 0.02
    simulated_s = _simulated_arrival_s(np.array([dx, dy]), wind, 15.0, 3.0, model_s, dt)
    # The stepped flight ends up to ~3 steps late (switch to braking, last step); since the aim moves
    # with T, that error grows by at most 1/(1 − |w|/v); plus one step of the candidate grid.
    assert simulated_s == pytest.approx(model_s, abs=3 * dt / (1.0 - speed / 15.0) + dt)


def test_point_on_the_shifted_disc_boundary_is_reached_at_the_target():
    p = ReachParams()
    wind = Wind(7.0, 135.0)
    cx, cy, r = reach_disc(p, wind)
    angles = np.linspace(0, 2 * np.pi, 13)
    xs, ys = cx + r * np.cos(angles), cy + r * np.sin(angles)
    np.testing.assert_allclose(response_time_s(xs, ys, p, wind), p.target_s, atol=1e-6)


def test_calm_wind_cruise_time_equals_still_air_time():
    d = np.array([10.0, 75.0, 1000.0, 3000.0])
    np.testing.assert_allclose(
        wind_cruise_time_s(d, 0.0, Wind.calm(), 15.0, 3.0), cruise_time_s(d, 15.0, 3.0)
    )


def test_energy_in_calm_air_by_hand():
    reach, energy = ReachParams(), EnergyParams()
    # 3 km out and back at 15 m/s (+5 s acceleration each way), climb 20 s, descent 25 s, landing 30 s;
    # cruise drain 100 %/3000 s; on scene 900 s + settle 10 s at 100 %/2700 s; reserve 25 %.
    flying_s = 2 * (3000.0 / 15.0 + 5.0) + 20.0 + 25.0 + 30.0
    expected = flying_s * 100.0 / 3000.0 + (900.0 + 10.0) * 100.0 / 2700.0 + 25.0
    assert energy_required_pct(3000.0, 0.0, reach, energy) == pytest.approx(expected)


def test_more_wind_costs_more_energy_and_the_reserve_is_added():
    reach = ReachParams()
    energy = EnergyParams()
    needs = [energy_required_pct(3000.0, 0.0, reach, energy, Wind(s, 90.0)) for s in (0.0, 4.0, 8.0, 12.0)]
    assert all(b > a for a, b in itertools.pairwise(needs))
    crosswind = energy_required_pct(3000.0, 0.0, reach, energy, Wind(8.0, 0.0))
    assert crosswind > needs[0]
    no_reserve = EnergyParams(reserve_pct=0.0)
    assert needs[2] - energy_required_pct(3000.0, 0.0, reach, no_reserve, Wind(8.0, 90.0)) == pytest.approx(
        25.0
    )
    assert math.isinf(energy_required_pct(3000.0, 0.0, reach, energy, Wind(16.0, 90.0)))
