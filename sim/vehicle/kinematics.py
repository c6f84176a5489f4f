"""Multicopter point-mass kinematics: acceleration-limited velocity tracking, speed and climb limits,
and the wind triangle (the vehicle holds its track at a commanded *air* speed, so the wind changes its
ground speed). Pure functions on :class:`~sim.vehicle.model.Motion`."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.vehicle.model import Motion

#: Share of the acceleration limit used to plan braking.
BRAKE_FRACTION = 0.7


@dataclass(frozen=True)
class Limits:
    """Acceleration and climb limits (PX4 MPC_* parameters)."""

    acc_hor_mps2: float = 3.0
    acc_up_mps2: float = 4.0
    acc_down_mps2: float = 3.0
    climb_max_mps: float = 3.0
    descent_max_mps: float = 1.5
    xy_vel_max_mps: float = 12.0


def track_ground_speed_mps(
    dir_north: float, dir_east: float, airspeed_mps: float, wind_north_mps: float, wind_east_mps: float
) -> float:
    """Ground speed along the unit direction (dir_north, dir_east) flying at ``airspeed_mps`` with a
    crab angle that cancels the cross wind. Negative when the head wind is stronger than the air speed;
    when the cross wind alone exceeds it, the vehicle heads straight into the wind along the track."""
    along = wind_north_mps * dir_north + wind_east_mps * dir_east
    cross = -wind_north_mps * dir_east + wind_east_mps * dir_north
    if airspeed_mps * airspeed_mps <= cross * cross:
        return along
    return along + math.sqrt(airspeed_mps * airspeed_mps - cross * cross)


def stopping_speed_mps(distance_m: float, accel_mps2: float, dt_s: float) -> float:
    """Largest speed from which the vehicle can still stop within ``distance_m`` braking at
    :data:`BRAKE_FRACTION` of ``accel_mps2`` (the margin keeps a discrete step from overshooting)."""
    d = max(distance_m, 0.0)
    return min(math.sqrt(2.0 * BRAKE_FRACTION * accel_mps2 * d), d / dt_s if dt_s > 0 else math.inf)


def velocity_to_point(
    m: Motion,
    north_m: float,
    east_m: float,
    airspeed_mps: float,
    wind_north_mps: float,
    wind_east_mps: float,
    limits: Limits,
    dt_s: float,
) -> tuple[float, float]:
    """Desired ground velocity (north, east) to fly to a point at ``airspeed_mps`` through the wind,
    slowing down to stop on it."""
    dn, de = north_m - m.north_m, east_m - m.east_m
    dist = math.hypot(dn, de)
    if dist < 1e-3:
        return 0.0, 0.0
    un, ue = dn / dist, de / dist
    air = min(airspeed_mps, limits.xy_vel_max_mps)
    gs = track_ground_speed_mps(un, ue, air, wind_north_mps, wind_east_mps)
    if gs <= 0.0:  # cannot make headway: full air speed into the track, drifting with the wind
        return wind_north_mps + air * un, wind_east_mps + air * ue
    gs = min(gs, stopping_speed_mps(dist, limits.acc_hor_mps2, dt_s))
    return gs * un, gs * ue


def climb_rate_to_mps(
    up_m: float, target_up_m: float, limits: Limits, dt_s: float, max_rate_mps: float | None = None
) -> float:
    """Desired vertical speed to reach ``target_up_m``, within the climb/descent limits."""
    dz = target_up_m - up_m
    if dz >= 0:
        cap = limits.climb_max_mps if max_rate_mps is None else min(max_rate_mps, limits.climb_max_mps)
        return min(cap, stopping_speed_mps(dz, limits.acc_down_mps2, dt_s))
    cap = limits.descent_max_mps if max_rate_mps is None else min(max_rate_mps, limits.descent_max_mps)
    return -min(cap, stopping_speed_mps(-dz, limits.acc_up_mps2, dt_s))


def step(
    m: Motion, v_north_mps: float, v_east_mps: float, v_up_mps: float, limits: Limits, dt_s: float
) -> Motion:
    """Advance ``dt_s`` towards the desired ground velocity, acceleration-limited; returns new Motion."""
    dvn, dve = v_north_mps - m.v_north_mps, v_east_mps - m.v_east_mps
    dv = math.hypot(dvn, dve)
    max_dv = limits.acc_hor_mps2 * dt_s
    if dv > max_dv:
        dvn, dve = dvn * max_dv / dv, dve * max_dv / dv
    vn, ve = m.v_north_mps + dvn, m.v_east_mps + dve
    dvu = v_up_mps - m.v_up_mps
    dvu = max(-limits.acc_down_mps2 * dt_s, min(limits.acc_up_mps2 * dt_s, dvu))
    vu = m.v_up_mps + dvu
    up = m.up_m + 0.5 * (m.v_up_mps + vu) * dt_s
    heading = m.heading_deg
    if math.hypot(vn, ve) > 0.5:
        heading = math.degrees(math.atan2(ve, vn)) % 360.0
    return Motion(
        north_m=m.north_m + 0.5 * (m.v_north_mps + vn) * dt_s,
        east_m=m.east_m + 0.5 * (m.v_east_mps + ve) * dt_s,
        up_m=up,
        v_north_mps=vn,
        v_east_mps=ve,
        v_up_mps=vu,
        heading_deg=heading,
    )
