"""Flying the uploaded mission as PX4 does: items in order, MISSION_CURRENT and MISSION_ITEM_REACHED,
implicit takeoff when started on the ground, HOLD at the end (or Return / Land when the plan says so).

The runner turns the current item into a target for the :class:`~sim.vehicle.navigator.Navigator`;
the vehicle calls :meth:`MissionRunner.guide` every physics step while in Mission mode.
"""

from __future__ import annotations

import math
import time
from enum import IntEnum
from typing import TYPE_CHECKING

from sim.vehicle.flight_modes import Px4Mode
from sim.vehicle.mission import MISSION_TYPE_FENCE, MISSION_TYPE_MISSION, MissionItem, MissionProtocol
from sim.vehicle.model import LandedState
from sim.vehicle.navigator import PointTarget
from sim.vehicle.telemetry import MSG_EXTENDED_SYS_STATE, MSG_MISSION_CURRENT

if TYPE_CHECKING:
    from sim.vehicle.mavlink_endpoint import MavMessage
    from sim.vehicle.vehicle import Vehicle

NAV_WAYPOINT, NAV_LOITER_UNLIM, NAV_LOITER_TURNS, NAV_LOITER_TIME = 16, 17, 18, 19
NAV_RETURN_TO_LAUNCH, NAV_LAND, NAV_TAKEOFF, NAV_DELAY = 20, 21, 22, 93
DO_CHANGE_SPEED = 178
POSITION_ITEMS = frozenset({NAV_WAYPOINT, NAV_LOITER_UNLIM, NAV_LOITER_TURNS, NAV_LOITER_TIME})
RELATIVE_FRAMES = frozenset({3, 6})


class MissionState(IntEnum):
    """MISSION_STATE (MISSION_CURRENT.mission_state)."""

    NO_MISSION = 1
    NOT_STARTED = 2
    ACTIVE = 3
    PAUSED = 4
    COMPLETE = 5


class MissionRunner:
    """Mission storage (via :class:`MissionProtocol`) and execution for one vehicle."""

    def __init__(self, vehicle: Vehicle) -> None:
        self.v = vehicle
        self.protocol = MissionProtocol(vehicle.endpoint.mav, self._on_plan, self.set_current)
        self.items: list[MissionItem] = []
        self.current = 0
        self.state = MissionState.NO_MISSION
        self.reached: list[int] = []
        self._hold_until_s: float | None = None
        self._arrived = False
        self._taking_off = False

    # ---- protocol glue
    # The protocol's retry timer runs on wall time, as PX4's does: it is about the link, not the
    # flight, and at a speed-up sim seconds would give a loaded ground station a tenth of the time.
    def handle(self, msg: MavMessage) -> None:
        for reply in self.protocol.handle(msg, time.monotonic()):
            self.v.send(reply)

    def poll(self) -> None:
        for reply in self.protocol.poll(time.monotonic()):
            self.v.send(reply)

    def _on_plan(self, mission_type: int, items: list[MissionItem]) -> None:
        if mission_type == MISSION_TYPE_FENCE:
            self.v.set_fence(items)
        if mission_type != MISSION_TYPE_MISSION:
            return
        self.items = list(items)
        self.current, self.reached = 0, []
        self._reset_item()
        self.state = MissionState.NOT_STARTED if items else MissionState.NO_MISSION
        if self.v.state.mode is Px4Mode.MISSION and not items:
            self.v.set_mode(Px4Mode.HOLD)
        elif self.v.state.mode is Px4Mode.MISSION:
            self.state = MissionState.ACTIVE
        self.v.send_now(MSG_MISSION_CURRENT)

    def set_current(self, seq: int) -> bool:
        """MISSION_SET_CURRENT: continue from ``seq``; False if out of range."""
        if not 0 <= seq < len(self.items):
            return False
        self.current = seq
        self._reset_item()
        if self.state is MissionState.COMPLETE:
            self.state = (
                MissionState.ACTIVE if self.v.state.mode is Px4Mode.MISSION else MissionState.NOT_STARTED
            )
        self.v.send_now(MSG_MISSION_CURRENT)
        return True

    def current_message(self) -> MavMessage | None:
        if not self.items:
            return self.v.endpoint.mav.mission_current_encode(0, 65535, int(MissionState.NO_MISSION), 0)
        mode = 1 if self.v.state.mode is Px4Mode.MISSION else 2
        seq = min(self.current, len(self.items) - 1)
        return self.v.endpoint.mav.mission_current_encode(seq, len(self.items), int(self.state), mode)

    # ---- mode changes
    def on_mission_mode(self) -> None:
        if self.state is MissionState.COMPLETE:  # PX4 restarts a finished mission
            self.current, self.reached = 0, []
        self.state = MissionState.ACTIVE
        self._reset_item()
        self.v.send_now(MSG_MISSION_CURRENT)

    def on_armed_in_mission(self) -> None:
        self._reset_item()

    def _reset_item(self) -> None:
        self._hold_until_s, self._arrived, self.v.nav.mission_landing = None, False, False

    # ---- execution
    def _up_m(self, it: MissionItem) -> float:
        if not math.isfinite(it.z):
            return self.v.state.motion.up_m
        if it.frame in RELATIVE_FRAMES:
            return self.v.state.home.up_m + it.z
        return it.z - self.v.frame.alt0_amsl_m

    def _point(self, it: MissionItem) -> tuple[float, float]:
        m = self.v.state.motion
        if math.isfinite(it.lat_deg) and math.isfinite(it.lon_deg):
            return self.v.frame.to_local(it.lat_deg, it.lon_deg)
        return m.north_m, m.east_m

    def guide(self, now_s: float) -> None:
        """Set the navigator's target for the current item; advance when it is done."""
        if self.state is not MissionState.ACTIVE or not self.items:
            return
        s, nav = self.v.state, self.v.nav
        for _ in range(len(self.items)):  # instant items chain within one step
            if self.current >= len(self.items):
                return self._finish()
            it = self.items[self.current]
            if not s.in_air and s.landed_state is LandedState.ON_GROUND and not self.v.nav.mission_landing:
                self._implicit_takeoff(it)
                return None
            if self._taking_off:
                if nav.hold.up_m - s.motion.up_m > self.v.params["NAV_MC_ALT_RAD"]:
                    return None
                self._taking_off = False
            if it.command == NAV_TAKEOFF:
                n, e = s.motion.north_m, s.motion.east_m
                nav.hold = PointTarget(n, e, max(self._up_m(it), s.motion.up_m))
                if nav.hold.up_m - s.motion.up_m > self.v.params["NAV_MC_ALT_RAD"]:
                    return None
            elif it.command in POSITION_ITEMS:
                if not self._fly_to_item(it, now_s):
                    return None
            elif it.command == NAV_LAND:
                if not self._land(it):
                    return None
            elif it.command == NAV_RETURN_TO_LAUNCH:
                self.state = MissionState.COMPLETE
                self.v.send_now(MSG_MISSION_CURRENT)
                self.v.set_mode(Px4Mode.RETURN)
                return None
            elif it.command == NAV_DELAY:
                if self._hold_until_s is None:
                    nav.hold_here(s)
                    self._hold_until_s = now_s + max(it.param1, 0.0)
                if now_s < self._hold_until_s:
                    return None
            elif it.command == DO_CHANGE_SPEED and math.isfinite(it.param2) and it.param2 > 0:
                nav.speed_override_mps = min(it.param2, self.v.params["MPC_XY_VEL_MAX"])
            self._item_done()
            if self.state is not MissionState.ACTIVE:
                return None
        return None

    def _implicit_takeoff(self, it: MissionItem) -> None:
        """Armed on the ground in Mission mode: climb to the first item's height (at least
        MIS_TAKEOFF_ALT) where the vehicle stands, as PX4's mission takeoff does."""
        s = self.v.state
        up = s.home.up_m + self.v.params["MIS_TAKEOFF_ALT"]
        if it.command in (NAV_TAKEOFF, *POSITION_ITEMS):
            up = max(up, self._up_m(it))
        self.v.nav.hold = PointTarget(s.motion.north_m, s.motion.east_m, up)
        s.took_off = True
        self._taking_off = True
        s.landed_state = LandedState.TAKEOFF
        self.v.send_now(MSG_EXTENDED_SYS_STATE)

    def _fly_to_item(self, it: MissionItem, now_s: float) -> bool:
        s, nav, p = self.v.state, self.v.nav, self.v.params
        n, e = self._point(it)
        nav.hold = PointTarget(n, e, self._up_m(it))
        if not self._arrived:
            accept = it.param2 if it.command == NAV_WAYPOINT and it.param2 > 0 else p["NAV_ACC_RAD"]
            dh = math.hypot(n - s.motion.north_m, e - s.motion.east_m)
            if dh > accept or abs(nav.hold.up_m - s.motion.up_m) > p["NAV_MC_ALT_RAD"]:
                return False
            self._arrived = True
            if it.command == NAV_LOITER_UNLIM:
                self._hold_until_s = math.inf
            elif it.command in (NAV_WAYPOINT, NAV_LOITER_TIME):
                self._hold_until_s = now_s + max(it.param1 if math.isfinite(it.param1) else 0.0, 0.0)
            else:
                self._hold_until_s = now_s
        return self._hold_until_s is not None and now_s >= self._hold_until_s

    def _land(self, it: MissionItem) -> bool:
        s, nav, p = self.v.state, self.v.nav, self.v.params
        if not self.v.nav.mission_landing:
            n, e = self._point(it)
            nav.hold = PointTarget(n, e, s.motion.up_m)
            if math.hypot(n - s.motion.north_m, e - s.motion.east_m) > p["NAV_ACC_RAD"]:
                return False
            self.v.nav.mission_landing = True
        return s.landed_state is LandedState.ON_GROUND

    def _item_done(self) -> None:
        self.reached.append(self.current)
        self.v.send(self.v.endpoint.mav.mission_item_reached_encode(self.current))
        self.current += 1
        self._reset_item()
        if self.current >= len(self.items):
            self._finish()
        else:
            self.v.send_now(MSG_MISSION_CURRENT)

    def _finish(self) -> None:
        """All items done: PX4 reports COMPLETE and loiters (unless it landed)."""
        self.current = len(self.items) - 1
        self.state = MissionState.COMPLETE
        self.v.send_now(MSG_MISSION_CURRENT)
        if self.v.state.in_air and self.v.state.mode is Px4Mode.MISSION:
            self.v.set_mode(Px4Mode.HOLD, keep_target=True)
        elif not self.v.state.in_air:
            self.v.nav.hold_here(self.v.state)  # landed: stay on the ground until disarmed
