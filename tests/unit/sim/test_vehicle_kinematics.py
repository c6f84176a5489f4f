"""Kinematics: the wind triangle, acceleration limits, stopping on a target."""

from __future__ import annotations

import math

import pytest

from sim.vehicle import kinematics as kin
from sim.vehicle.model import Motion


def test_tail_head_and_cross_wind_change_ground_speed() -> None:
    # flying east (dir north=0, east=1) at 10 m/s air speed
    assert kin.track_ground_speed_mps(0, 1, 10.0, 0.0, 0.0) == pytest.approx(10.0)
    assert kin.track_ground_speed_mps(0, 1, 10.0, 0.0, 4.0) == pytest.approx(14.0)  # tail wind
    assert kin.track_ground_speed_mps(0, 1, 10.0, 0.0, -4.0) == pytest.approx(6.0)  # head wind
    assert kin.track_ground_speed_mps(0, 1, 10.0, 6.0, 0.0) == pytest.approx(
        8.0
    )  # cross wind 6 -> sqrt(100-36)
    assert kin.track_ground_speed_mps(0, 1, 10.0, 0.0, -12.0) < 0  # no headway


def test_acceleration_is_limited() -> None:
    lim = kin.Limits(acc_hor_mps2=3.0, acc_up_mps2=4.0, acc_down_mps2=3.0)
    m = kin.step(Motion(), 10.0, 0.0, 5.0, lim, 0.5)
    assert m.v_north_mps == pytest.approx(1.5)
    assert m.v_up_mps == pytest.approx(2.0)
    assert m.north_m == pytest.approx(0.375)


def fly_to(
    target_n: float, airspeed: float, wind_n: float = 0.0, dt: float = 0.1
) -> tuple[Motion, float, float]:
    lim = kin.Limits()
    m, t, vmax = Motion(), 0.0, 0.0
    while t < 600:
        vn, ve = kin.velocity_to_point(m, target_n, 0.0, airspeed, wind_n, 0.0, lim, dt)
        m = kin.step(m, vn, ve, 0.0, lim, dt)
        vmax = max(vmax, m.ground_speed_mps)
        t += dt
        if abs(m.north_m - target_n) < 0.05 and m.ground_speed_mps < 0.05:
            break
    return m, t, vmax


def test_flies_to_a_point_at_cruise_and_stops_on_it() -> None:
    m, t, vmax = fly_to(1000.0, 10.0)
    assert m.north_m == pytest.approx(1000.0, abs=0.1)
    assert vmax == pytest.approx(10.0, abs=0.01)
    assert t == pytest.approx(1000 / 10 + 10 / 3.0, rel=0.05)  # cruise + one accel/decel phase


def test_head_wind_slows_the_leg_tail_wind_speeds_it_up() -> None:
    _, calm, _ = fly_to(1000.0, 10.0)
    _, head, vhead = fly_to(1000.0, 10.0, wind_n=-4.0)
    _, tail, vtail = fly_to(1000.0, 10.0, wind_n=4.0)
    assert vhead == pytest.approx(6.0, abs=0.01) and vtail == pytest.approx(14.0, abs=0.01)
    assert tail < calm < head


def test_speed_capped_by_xy_vel_max() -> None:
    _, _, vmax = fly_to(500.0, 30.0)
    assert vmax == pytest.approx(kin.Limits().xy_vel_max_mps, abs=0.01)


def test_climb_rate_limits() -> None:
    lim = kin.Limits(climb_max_mps=3.0, descent_max_mps=1.5)
    assert kin.climb_rate_to_mps(0.0, 100.0, lim, 0.1) == 3.0
    assert kin.climb_rate_to_mps(100.0, 0.0, lim, 0.1) == -1.5
    assert kin.climb_rate_to_mps(0.0, 100.0, lim, 0.1, max_rate_mps=1.0) == 1.0
    assert abs(kin.climb_rate_to_mps(10.0, 10.01, lim, 0.1)) < 0.2


def test_heading_follows_the_velocity() -> None:
    m = kin.step(Motion(v_north_mps=0.0, v_east_mps=5.0), 0.0, 5.0, 0.0, kin.Limits(), 0.1)
    assert m.heading_deg == pytest.approx(90.0)
    m = kin.step(Motion(v_north_mps=-5.0), -5.0, 0.0, 0.0, kin.Limits(), 0.1)
    assert math.isclose(m.heading_deg, 180.0)
