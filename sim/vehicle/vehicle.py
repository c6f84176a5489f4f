"""One simulated PX4 quadrotor: state + navigator + failsafes + streams, on its own MAVLink endpoint.

:meth:`Vehicle.tick` advances physics to the clock's time and sends the streams that are due; the
fleet calls it from one shared loop. Incoming messages are handled in :mod:`sim.vehicle.commands`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sim.clock import SimClock
from sim.vehicle import battery, telemetry
from sim.vehicle import kinematics as kin
from sim.vehicle.commands import handle_message
from sim.vehicle.failsafe import Action, FailsafeMonitor, Situation
from sim.vehicle.flight_modes import Px4Mode
from sim.vehicle.geofence import BreachCheck, Fence, FenceError, check_breach, fence_from_items
from sim.vehicle.mavlink_endpoint import MavlinkEndpoint, MavMessage
from sim.vehicle.mission import MissionItem
from sim.vehicle.mission_runner import MissionRunner
from sim.vehicle.model import Home, LandedState, LocalFrame, Motion, VehicleState
from sim.vehicle.navigator import GROUND_CONTACT_M, Navigator, PointTarget, RtlPhase
from sim.vehicle.params import ParamTable
from sim.vehicle.telemetry import (
    DEFAULT_INTERVALS_S,
    MSG_EXTENDED_SYS_STATE,
    MSG_HEARTBEAT,
    MSG_HOME_POSITION,
)
from sim.weather import Weather

log = logging.getLogger(__name__)

#: Longest wall-clock gap allowed between heartbeats (MAVSDK times out after 3 s).
MAX_HEARTBEAT_WALL_S = 1.0
#: A stream runs at most this many times its nominal rate in wall time: faster clocks stretch the
#: stream intervals in sim time. Rates are in sim seconds, so at x20 the 16 demo vehicles would send
#: ~3700 messages per wall second and saturate the event loop they share with mission control
#: (1300 with the cap).
MAX_STREAM_SPEEDUP = 4.0
#: Longest physics step (sim seconds); larger ticks are split.
MAX_STEP_S = 0.1
#: PX4's failsafe actions by severity: when several are active the most severe one is flown
#: (PX4 commander/failsafe/framework.h, "Actions further down take precedence").
SEVERITY = {
    Action.NONE: 0,
    Action.WARN: 1,
    Action.HOLD: 5,
    Action.RETURN: 6,
    Action.LAND: 7,
    Action.DISARM: 9,
}
#: GF_ACTION values -> action (4 terminate is modelled as land, like NAV_DLL_ACT's terminate).
GF_ACTIONS = {
    0: Action.NONE,
    1: Action.WARN,
    2: Action.HOLD,
    3: Action.RETURN,
    4: Action.LAND,
    5: Action.LAND,
}


@dataclass(frozen=True)
class VehicleConfig:
    """One vehicle's identity, place and network. Ports: the vehicle binds ``local_port`` (0 = any free
    one) and pushes to ``gcs_port`` where MAVSDK listens (``udpin://0.0.0.0:<gcs_port>``)."""

    home_lat_deg: float
    home_lon_deg: float
    home_alt_amsl_m: float = 0.0
    sysid: int = 1
    gcs_host: str = "127.0.0.1"
    gcs_port: int = 14540
    bind_host: str = "127.0.0.1"
    local_port: int = 18570
    heartbeat_hz: float = 1.0
    health_delay_s: float = 2.0
    battery_remaining: float = 1.0
    params: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (-90 <= self.home_lat_deg <= 90 and -180 <= self.home_lon_deg <= 180):
            raise ValueError(f"home ({self.home_lon_deg}, {self.home_lat_deg}) is not a WGS84 lon/lat")
        if not 1 <= self.sysid <= 254:
            raise ValueError(f"sysid must be 1..254, got {self.sysid}")
        if not self.heartbeat_hz > 0:
            raise ValueError("heartbeat_hz must be > 0")

    @property
    def connection_url(self) -> str:
        """What to give MAVSDK ``add_any_connection`` for this vehicle."""
        return f"udpin://{self.gcs_host}:{self.gcs_port}"


class Vehicle:
    """A simulated PX4 multicopter. Test hooks: :meth:`cut_link`, :meth:`set_battery`."""

    def __init__(self, config: VehicleConfig, clock: SimClock, weather: Weather | None = None) -> None:
        self.config = config
        self.clock = clock
        self.weather = weather or Weather()
        self.params = ParamTable({"MAV_SYS_ID": config.sysid, **dict(config.params)})
        self.frame = LocalFrame(config.home_lat_deg, config.home_lon_deg, config.home_alt_amsl_m)
        self.state = VehicleState()
        self.state.battery = battery.set_level(self.state.battery, config.battery_remaining, *self._cells())
        self.nav = Navigator(self.params)
        self.failsafe = FailsafeMonitor(self.params)
        self.intervals_s = dict(DEFAULT_INTERVALS_S)
        self.intervals_s[MSG_HEARTBEAT] = 1.0 / config.heartbeat_hz
        self._next_due_s: dict[int, float] = {}
        self._last_hb_wall = 0.0
        self.endpoint = MavlinkEndpoint(config.sysid, 1, self._on_message)
        self.mission = MissionRunner(self)
        self.t0_s = clock.now_s()
        self.last_tick_s = self.t0_s
        self.gcs_seen = False
        self.gcs_last_s = 0.0
        self.gcs_last_wall = 0.0
        self.status_log: list[str] = []
        self.fence = Fence()
        #: The failsafe action being flown (PX4 keeps it until a mode change by the GCS or disarming).
        self.failsafe_action = Action.NONE
        self._fence_breached = False

    # ---- lifecycle
    async def start(self) -> None:
        await self.endpoint.open(
            self.config.bind_host, self.config.local_port, (self.config.gcs_host, self.config.gcs_port)
        )
        self.tick()

    def stop(self) -> None:
        self.endpoint.close()

    @property
    def connection_url(self) -> str:
        return self.config.connection_url

    # ---- test hooks
    def cut_link(self, cut: bool = True) -> None:
        """Stop (True) or resume (False) all MAVLink traffic, as if the radio failed."""
        self.endpoint.cut = cut

    def set_battery(self, remaining: float) -> None:
        """Set the charge (fraction 0..1), e.g. to trigger the battery failsafes."""
        self.state.battery = battery.set_level(self.state.battery, remaining, *self._cells())

    # ---- helpers shared with commands/mission
    def now_s(self) -> float:
        return self.clock.now_s()

    def boot_ms(self) -> int:
        return int((self.now_s() - self.t0_s) * 1000) & 0xFFFFFFFF

    def view(self) -> telemetry.TelemetryView:
        return telemetry.TelemetryView(
            self.state, self.frame, self.boot_ms(), self.config.sysid, self.params.int("BAT1_N_CELLS")
        )

    def send(self, msg: MavMessage) -> None:
        self.endpoint.send(msg)

    def say(self, text: str, severity: int = 6) -> None:
        """STATUSTEXT (6 info, 4 warning, 2 critical), also kept in :attr:`status_log`."""
        self.status_log.append(text)
        log.info("vehicle %d: %s", self.config.sysid, text)
        self.send(telemetry.statustext(self.endpoint.mav, severity, text))

    def wind_ne(self) -> tuple[float, float]:
        lat, lon = self.frame.to_global(self.state.motion.north_m, self.state.motion.east_m)
        w = self.weather.wind_at(lon, lat, self.frame.alt0_amsl_m + self.state.motion.up_m, self.now_s())
        return w.north_mps, w.east_mps

    def _cells(self) -> tuple[int, float, float]:
        return self.params.int("BAT1_N_CELLS"), self.params["BAT1_V_EMPTY"], self.params["BAT1_V_CHARGED"]

    def set_mode(self, mode: Px4Mode, keep_target: bool = False) -> None:
        """Switch mode as PX4 does: HOLD stops where the vehicle is (unless ``keep_target``)."""
        s = self.state
        if mode is Px4Mode.HOLD and s.mode is not Px4Mode.HOLD and not keep_target:
            self.nav.hold_here(s)
        if mode is Px4Mode.RETURN and s.mode is not Px4Mode.RETURN:
            self.nav.start_rtl(self.now_s())
        if mode is Px4Mode.LAND:
            self.nav.hold_here(s)
        s.mode = mode
        self.send_now(MSG_HEARTBEAT)

    def arm(self) -> None:
        s = self.state
        s.armed, s.armed_at_s, s.took_off = True, self.now_s(), False
        if not s.in_air:  # PX4 sets home where it arms
            m = s.motion
            s.home = Home(m.north_m, m.east_m, m.up_m)
            self.send_now(MSG_HOME_POSITION)
        self.say("Armed by external command")
        if s.mode is Px4Mode.MISSION:
            self.mission.on_armed_in_mission()
        self.send_now(MSG_HEARTBEAT)

    def disarm(self, reason: str) -> None:
        self.state.armed = False
        self.failsafe_action = Action.NONE
        self.say(reason)
        self.send_now(MSG_HEARTBEAT)

    def start_takeoff(self, up_m: float | None = None) -> None:
        """Take off to ``up_m`` in the local frame (None: MIS_TAKEOFF_ALT above home)."""
        s = self.state
        self.nav.start_takeoff(s, up_m)
        s.mode, s.took_off = Px4Mode.TAKEOFF, True
        if s.landed_state is LandedState.ON_GROUND:
            s.landed_state = LandedState.TAKEOFF
        self.send_now(MSG_HEARTBEAT)
        self.send_now(MSG_EXTENDED_SYS_STATE)

    # ---- streams
    def send_now(self, msg_id: int) -> None:
        """Send one message of a stream at once (also what REQUEST_MESSAGE does)."""
        msg = self.build(msg_id)
        if msg is not None:
            self.send(msg)
        if msg_id == MSG_HEARTBEAT:
            self._last_hb_wall = time.monotonic()

    def build(self, msg_id: int) -> MavMessage | None:
        mav, v = self.endpoint.mav, self.view()
        match msg_id:
            case telemetry.MSG_HEARTBEAT:
                return telemetry.heartbeat(mav, v)
            case telemetry.MSG_SYS_STATUS:
                return telemetry.sys_status(mav, v)
            case telemetry.MSG_GPS_RAW_INT:
                return telemetry.gps_raw_int(mav, v)
            case telemetry.MSG_ATTITUDE:
                return telemetry.attitude(mav, v, self.wind_ne())
            case telemetry.MSG_LOCAL_POSITION_NED:
                return telemetry.local_position_ned(mav, v)
            case telemetry.MSG_GLOBAL_POSITION_INT:
                return telemetry.global_position_int(mav, v)
            case telemetry.MSG_MISSION_CURRENT:
                return self.mission.current_message()
            case telemetry.MSG_BATTERY_STATUS:
                return telemetry.battery_status(mav, v)
            case telemetry.MSG_AUTOPILOT_VERSION:
                return telemetry.autopilot_version(mav, v)
            case telemetry.MSG_HOME_POSITION:
                return telemetry.home_position(mav, v)
            case telemetry.MSG_VFR_HUD:
                return telemetry.vfr_hud(mav, v, self.wind_ne())
            case telemetry.MSG_EXTENDED_SYS_STATE:
                return telemetry.extended_sys_state(mav, v)
        return None

    def reschedule(self, msg_id: int) -> None:
        """Send stream ``msg_id`` on the next tick and from then on at its (new) interval."""
        self._next_due_s.pop(msg_id, None)

    def _send_due(self, now_s: float) -> None:
        # the streams stretch in sim time when the clock runs faster than MAX_STREAM_SPEEDUP
        stretch = max(1.0, self.clock.speed / MAX_STREAM_SPEEDUP)
        for msg_id, interval in self.intervals_s.items():
            if interval <= 0:
                continue
            due = self._next_due_s.get(msg_id, now_s)
            hb_late = (
                msg_id == MSG_HEARTBEAT and time.monotonic() - self._last_hb_wall >= MAX_HEARTBEAT_WALL_S
            )
            if now_s >= due or hb_late:
                self.send_now(msg_id)
                self._next_due_s[msg_id] = max(due + interval * stretch, now_s)

    # ---- physics
    def tick(self) -> None:
        """Advance to the clock's now and send what is due."""
        now = self.now_s()
        dt = now - self.last_tick_s
        t = self.last_tick_s
        while dt > 1e-9:
            step = min(dt, MAX_STEP_S)
            t += step
            self._physics(step, t)
            dt -= step
        self.last_tick_s = now
        self._update_health(now)
        self._run_failsafes(now)
        if not self.endpoint.cut:
            self.mission.poll()
            self._send_due(now)

    def _update_health(self, now_s: float) -> None:
        ok = now_s - self.t0_s >= self.config.health_delay_s
        self.state.health = replace(self.state.health, sensors_ok=ok, gps_ok=ok)

    def _physics(self, dt_s: float, now_s: float) -> None:
        s = self.state
        wind = self.wind_ne()
        if s.mode is Px4Mode.MISSION and s.armed:
            self.mission.guide(now_s)
        if not s.armed and s.motion.up_m > GROUND_CONTACT_M:  # killed in the air: fall
            m = s.motion
            s.motion = replace(
                m, v_up_mps=m.v_up_mps - 9.81 * dt_s, up_m=max(0.0, m.up_m + m.v_up_mps * dt_s)
            )
        else:
            sp = self.nav.setpoint(s, wind, now_s, dt_s)
            if s.in_air or sp.v_up_mps > 0:
                s.motion = kin.step(
                    s.motion, sp.v_north_mps, sp.v_east_mps, sp.v_up_mps, self.nav.limits(), dt_s
                )
        self._landing_state(now_s)
        self._check_fence()
        m = s.motion
        air = math.hypot(m.v_north_mps - wind[0], m.v_east_mps - wind[1]) if s.in_air else 0.0
        s.battery = battery.drain(
            s.battery, dt_s, air, m.v_up_mps, s.in_air, s.armed, self.params["SIM_BAT_ENDUR"], *self._cells()
        )

    def _landing_state(self, now_s: float) -> None:
        s, m = self.state, self.state.motion
        before = s.landed_state
        if m.up_m <= GROUND_CONTACT_M and m.v_up_mps <= 0 and s.landed_state is not LandedState.TAKEOFF:
            if s.landed_state is not LandedState.ON_GROUND:
                s.landed_state, s.landed_at_s = LandedState.ON_GROUND, now_s
                s.motion = Motion(m.north_m, m.east_m, 0.0, 0.0, 0.0, 0.0, m.heading_deg)
                self.say("Landing detected")
        elif s.mode is Px4Mode.TAKEOFF:
            if abs(self.nav.hold.up_m - m.up_m) < 0.3:
                s.landed_state = LandedState.IN_AIR
                self.set_mode(Px4Mode.HOLD, keep_target=True)
        elif self._descending_to_land():
            s.landed_state = LandedState.LANDING
        elif m.up_m > GROUND_CONTACT_M:
            s.landed_state = LandedState.IN_AIR
        if s.landed_state is not before:
            self.send_now(MSG_EXTENDED_SYS_STATE)

    def _descending_to_land(self) -> bool:
        s = self.state
        return (
            s.mode is Px4Mode.LAND
            or (s.mode is Px4Mode.RETURN and self.nav.rtl_phase is RtlPhase.LAND)
            or (s.mode is Px4Mode.MISSION and self.nav.mission_landing)
        )

    def _run_failsafes(self, now_s: float) -> None:
        s = self.state
        sit = Situation(
            now_s=now_s,
            armed=s.armed,
            in_air=s.in_air,
            took_off=s.took_off,
            armed_at_s=s.armed_at_s,
            landed_at_s=s.landed_at_s,
            battery_remaining=s.battery.remaining,
            gcs_seen=self.gcs_seen,
            gcs_silent_s=now_s - self.gcs_last_s,
            gcs_silent_wall_s=time.monotonic() - self.gcs_last_wall,
        )
        for d in self.failsafe.evaluate(sit):
            if d.message:
                self.say(d.message, 4 if d.action is Action.WARN else 2)
            match d.action:
                case Action.DISARM:
                    self.disarm_quietly()
                case Action.HOLD | Action.RETURN | Action.LAND:
                    self.set_mode(_MODE_OF[d.action])
                    self.failsafe_action = d.action

    def disarm_quietly(self) -> None:
        self.state.armed = False
        self.failsafe_action = Action.NONE
        self.send_now(MSG_HEARTBEAT)

    def _on_message(self, msg: MavMessage) -> None:
        handle_message(self, msg)

    # ---- geofence
    def set_fence(self, items: list[MissionItem]) -> None:
        """Store the uploaded fence items (an empty list clears the fence)."""
        try:
            self.fence = fence_from_items(items, self.frame)
        except FenceError as exc:  # PX4 checks the plan on upload; the sim keeps no fence
            self.fence = Fence()
            self.say(f"Geofence invalid: {exc}", 4)
        self._fence_breached = False

    def on_gcs_mode_change(self) -> None:
        """A mode chosen by the GCS ends the failsafe action being flown (PX4: user takeover)."""
        self.failsafe_action = Action.NONE

    def _check_fence(self) -> None:
        """PX4's geofence breach check (see :mod:`sim.vehicle.geofence`), acted on once per breach; the
        action is flown only when it is more severe than the failsafe action already being flown."""
        s, p = self.state, self.params
        if self.fence.empty and p["GF_MAX_HOR_DIST"] <= 0:
            return
        if not (s.armed and s.in_air):
            self._fence_breached = False
            return
        m = s.motion
        breach = check_breach(
            self.fence,
            BreachCheck(
                position=(m.north_m, m.east_m),
                velocity_ne_mps=(m.v_north_mps, m.v_east_mps),
                home=(s.home.north_m, s.home.east_m),
                predict=p.int("GF_PREDICT") == 1,
                max_hor_dist_m=p["GF_MAX_HOR_DIST"],
                acc_hor_mps2=p["MPC_ACC_HOR"],
            ),
        )
        if breach is None:
            self._fence_breached = False
            return
        if self._fence_breached:
            return
        self._fence_breached = True
        action = GF_ACTIONS.get(p.int("GF_ACTION"), Action.WARN)
        what = "maximum distance" if breach.max_distance else "geofence"
        if SEVERITY[action] <= SEVERITY[self.failsafe_action] or action in (Action.NONE, Action.WARN):
            if action is not Action.NONE:
                self.say(f"Geofence violation ({what})", 4)
            return
        self.say(f"Failsafe activated: {what} violation, {action.value}", 2)
        self.failsafe_action = action
        if action is Action.RETURN:
            self.set_mode(Px4Mode.RETURN)
            return
        self.set_mode(_MODE_OF[action])
        north_m, east_m = breach.stop_point
        self.nav.hold = PointTarget(north_m, east_m, max(m.up_m, 0.0))


_MODE_OF = {Action.HOLD: Px4Mode.HOLD, Action.RETURN: Px4Mode.RETURN, Action.LAND: Px4Mode.LAND}
