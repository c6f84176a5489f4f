"""The flight controller of the sim: what each PX4 mode wants the vehicle to do next.

:class:`Navigator` keeps the targets the commands set (hold point, reposition, orbit, RTL phase) and
turns them, every physics step, into a desired ground velocity for :mod:`sim.vehicle.kinematics`.
Pure: no I/O, no clock; the vehicle passes time and wind in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from sim.vehicle import kinematics
from sim.vehicle.flight_modes import Px4Mode
from sim.vehicle.kinematics import Limits
from sim.vehicle.model import LandedState, VehicleState
from sim.vehicle.params import ParamTable

#: Height above ground below which a descending vehicle counts as landed (m).
GROUND_CONTACT_M = 0.05


@dataclass
class PointTarget:
    """Fly to (north_m, east_m, up_m) at ``speed_mps`` air speed; altitude change spread over the leg."""

    north_m: float
    east_m: float
    up_m: float
    speed_mps: float | None = None  # None = MPC_XY_CRUISE


@dataclass
class OrbitTarget:
    """Circle ``center`` at ``radius_m`` (positive = clockwise) and ``speed_mps`` at ``up_m``."""

    north_m: float
    east_m: float
    up_m: float
    radius_m: float
    speed_mps: float


#: Modes that may lift the vehicle off the ground.
_CAN_LIFT_OFF = frozenset({Px4Mode.TAKEOFF, Px4Mode.MISSION})


class RtlPhase(Enum):
    CLIMB = "climb"
    RETURN = "return"
    DESCEND = "descend"
    LOITER = "loiter"
    LAND = "land"


@dataclass
class Setpoint:
    """Desired ground velocity for the next step."""

    v_north_mps: float
    v_east_mps: float
    v_up_mps: float


class Navigator:
    """Targets for the current mode, and the per-step setpoint they give."""

    def __init__(self, params: ParamTable) -> None:
        self.params = params
        self.hold = PointTarget(0.0, 0.0, 0.0)
        self.orbit: OrbitTarget | None = None
        self.rtl_phase = RtlPhase.CLIMB
        self.rtl_phase_since_s = 0.0
        self.speed_override_mps: float | None = None  # DO_CHANGE_SPEED
        self.rtl_return_up_m = 0.0
        self.mission_landing = False  # a mission NAV_LAND item is descending

    # ---- targets set by commands
    def hold_here(self, s: VehicleState) -> None:
        m = s.motion
        self.hold = PointTarget(m.north_m, m.east_m, max(m.up_m, 0.0), 0.0)

    def set_reposition(self, north_m: float, east_m: float, up_m: float, speed_mps: float | None) -> None:
        self.hold = PointTarget(north_m, east_m, up_m, speed_mps)

    def start_takeoff(self, s: VehicleState, up_m: float | None = None) -> None:
        """Climb to ``up_m`` (default MIS_TAKEOFF_ALT above home) where the vehicle is; one already
        higher stays there."""
        m = s.motion
        up = s.home.up_m + self.params["MIS_TAKEOFF_ALT"] if up_m is None else max(up_m, s.home.up_m + 1.0)
        if s.in_air:
            up = max(up, m.up_m)
        self.hold = PointTarget(m.north_m, m.east_m, up)

    def start_rtl(self, now_s: float) -> None:
        self.rtl_phase = RtlPhase.CLIMB
        self.rtl_phase_since_s = now_s

    def limits(self) -> Limits:
        p = self.params
        return Limits(
            acc_hor_mps2=p["MPC_ACC_HOR"],
            acc_up_mps2=p["MPC_ACC_UP_MAX"],
            acc_down_mps2=p["MPC_ACC_DOWN_MAX"],
            climb_max_mps=p["MPC_Z_VEL_MAX_UP"],
            descent_max_mps=p["MPC_Z_VEL_MAX_DN"],
            xy_vel_max_mps=p["MPC_XY_VEL_MAX"],
        )

    def cruise_mps(self, requested_mps: float | None = None) -> float:
        if requested_mps is not None and requested_mps > 0:
            return requested_mps
        if self.speed_override_mps is not None:
            return self.speed_override_mps
        return self.params["MPC_XY_CRUISE"]

    # ---- per-step guidance
    def fly_to(self, s: VehicleState, t: PointTarget, wind_ne: tuple[float, float], dt_s: float) -> Setpoint:
        """Fly to ``t``, spreading the altitude change over the horizontal leg (PX4 reposition)."""
        m, lim = s.motion, self.limits()
        speed = self.cruise_mps(t.speed_mps)
        vn, ve = kinematics.velocity_to_point(m, t.north_m, t.east_m, speed, *wind_ne, lim, dt_s)
        dist_h = math.hypot(t.north_m - m.north_m, t.east_m - m.east_m)
        dz = t.up_m - m.up_m
        rate_cap = None
        gs = math.hypot(vn, ve)
        if dist_h > 2.0 and gs > 0.5:
            rate_cap = max(abs(dz) / (dist_h / gs), 0.3)
        vu = kinematics.climb_rate_to_mps(m.up_m, t.up_m, lim, dt_s, rate_cap)
        return Setpoint(vn, ve, vu)

    def climb_only(
        self, s: VehicleState, up_m: float, dt_s: float, rate_mps: float | None = None
    ) -> Setpoint:
        lim = self.limits()
        vn, ve = kinematics.velocity_to_point(
            s.motion, self.hold.north_m, self.hold.east_m, 1.0, 0.0, 0.0, lim, dt_s
        )
        return Setpoint(vn, ve, kinematics.climb_rate_to_mps(s.motion.up_m, up_m, lim, dt_s, rate_mps))

    def land_rate_mps(self, s: VehicleState) -> float:
        """PX4 landing: MPC_Z_VEL_MAX_DN high up, MPC_LAND_SPEED below MPC_LAND_ALT2."""
        if s.motion.up_m > self.params["MPC_LAND_ALT2"]:
            return self.params["MPC_Z_VEL_MAX_DN"]
        return self.params["MPC_LAND_SPEED"]

    def land_here(self, s: VehicleState, dt_s: float) -> Setpoint:
        lim = self.limits()
        vn, ve = kinematics.velocity_to_point(
            s.motion, self.hold.north_m, self.hold.east_m, 2.0, 0.0, 0.0, lim, dt_s
        )
        return Setpoint(vn, ve, -self.land_rate_mps(s))

    def fly_orbit(
        self, s: VehicleState, o: OrbitTarget, wind_ne: tuple[float, float], dt_s: float
    ) -> Setpoint:
        m, lim = s.motion, self.limits()
        rn, re = m.north_m - o.north_m, m.east_m - o.east_m
        r = math.hypot(rn, re)
        radius = abs(o.radius_m)
        vu = kinematics.climb_rate_to_mps(m.up_m, o.up_m, lim, dt_s)
        if r < 1e-3 or abs(r - radius) > 0.5 * radius + 5.0:  # far from the circle: go to its nearest point
            if r < 1e-3:
                rn, re, r = 1.0, 0.0, 1.0
            pn, pe = o.north_m + rn / r * radius, o.east_m + re / r * radius
            vn, ve = kinematics.velocity_to_point(m, pn, pe, self.cruise_mps(), *wind_ne, lim, dt_s)
            return Setpoint(vn, ve, vu)
        sign = 1.0 if o.radius_m >= 0 else -1.0  # clockwise seen from above (north-east-down frame)
        tn, te = -re / r * sign, rn / r * sign
        speed = min(o.speed_mps, math.sqrt(lim.acc_hor_mps2 * radius * 0.8), lim.xy_vel_max_mps)
        err = radius - r  # positive: inside the circle, push outwards
        k = 0.5
        return Setpoint(speed * tn + k * err * rn / r, speed * te + k * err * re / r, vu)

    def rtl(self, s: VehicleState, wind_ne: tuple[float, float], now_s: float, dt_s: float) -> Setpoint:
        """RTL: climb to RTL_RETURN_ALT (or keep a higher height), fly home, descend, land."""
        p, m, h = self.params, s.motion, s.home
        return_up = max(h.up_m + p["RTL_RETURN_ALT"], m.up_m if self.rtl_phase is RtlPhase.CLIMB else 0.0)
        if self.rtl_phase is RtlPhase.CLIMB:
            self.hold = PointTarget(m.north_m, m.east_m, return_up)
            self.rtl_return_up_m = return_up
            self._next_rtl(RtlPhase.RETURN, now_s)
        if self.rtl_phase is RtlPhase.RETURN:
            climb_left = self.rtl_return_up_m - m.up_m
            if climb_left > p["NAV_MC_ALT_RAD"]:
                return self.climb_only(s, self.rtl_return_up_m, dt_s)
            target = PointTarget(h.north_m, h.east_m, self.rtl_return_up_m)
            if (
                math.hypot(h.north_m - m.north_m, h.east_m - m.east_m) > p["NAV_ACC_RAD"]
                or m.ground_speed_mps > 0.5
            ):
                sp = self.fly_to(s, target, wind_ne, dt_s)
                sp.v_up_mps = kinematics.climb_rate_to_mps(m.up_m, self.rtl_return_up_m, self.limits(), dt_s)
                return sp
            self.hold = PointTarget(h.north_m, h.east_m, m.up_m)
            self._next_rtl(RtlPhase.DESCEND, now_s)
        if self.rtl_phase is RtlPhase.DESCEND:
            descend_up = h.up_m + p["RTL_DESCEND_ALT"]
            if m.up_m > descend_up + p["NAV_MC_ALT_RAD"]:
                return self.climb_only(s, descend_up, dt_s)
            self._next_rtl(RtlPhase.LOITER, now_s)
        if self.rtl_phase is RtlPhase.LOITER:
            if now_s - self.rtl_phase_since_s < max(p["RTL_LAND_DELAY"], 0.0):
                return self.climb_only(s, m.up_m, dt_s)
            if p["RTL_LAND_DELAY"] < 0:  # PX4: negative = loiter forever
                return self.climb_only(s, m.up_m, dt_s)
            self._next_rtl(RtlPhase.LAND, now_s)
        return self.land_here(s, dt_s)

    def _next_rtl(self, phase: RtlPhase, now_s: float) -> None:
        self.rtl_phase = phase
        self.rtl_phase_since_s = now_s

    def setpoint(self, s: VehicleState, wind_ne: tuple[float, float], now_s: float, dt_s: float) -> Setpoint:
        """The setpoint of the current mode (missions are resolved by the vehicle into hold targets)."""
        if not s.armed or (s.landed_state is LandedState.ON_GROUND and s.mode not in _CAN_LIFT_OFF):
            return Setpoint(0.0, 0.0, 0.0)
        if s.mode is Px4Mode.TAKEOFF:
            rate = self.params["MPC_TKO_SPEED"]
            return self.climb_only(s, self.hold.up_m, dt_s, rate)
        if s.mode is Px4Mode.LAND or (s.mode is Px4Mode.MISSION and self.mission_landing):
            return self.land_here(s, dt_s)
        if s.mode is Px4Mode.RETURN:
            return self.rtl(s, wind_ne, now_s, dt_s)
        if s.mode is Px4Mode.ORBIT and self.orbit is not None:
            return self.fly_orbit(s, self.orbit, wind_ne, dt_s)
        return self.fly_to(s, self.hold, wind_ne, dt_s)
