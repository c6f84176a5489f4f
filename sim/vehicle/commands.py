"""Handle what a GCS sends a vehicle: COMMAND_LONG/INT (with COMMAND_ACK), parameters, GCS heartbeats,
and the mission protocol (delegated to :mod:`sim.vehicle.mission`). Follows PX4's answers."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.vehicle.flight_modes import Px4Mode, mode_from_set_mode
from sim.vehicle.model import LandedState
from sim.vehicle.navigator import OrbitTarget
from sim.vehicle.params import PARAM_SPECS, ParamError, decode_wire, encode_wire
from sim.vehicle.telemetry import DEFAULT_INTERVALS_S, MSG_AUTOPILOT_VERSION, MSG_HOME_POSITION

if TYPE_CHECKING:
    from sim.vehicle.mavlink_endpoint import MavMessage
    from sim.vehicle.vehicle import Vehicle

ACCEPTED, TEMPORARILY_REJECTED, DENIED, UNSUPPORTED, FAILED = 0, 1, 2, 3, 4
MAV_TYPE_GCS = 6
FORCE_MAGIC = 21196
#: COMMAND_INT x/y values that mean "not given" (0 by PX4 convention, INT32_MAX by the MAVLink spec).
_UNSET_INT = frozenset({0, 2**31 - 1})

CMD_NAV_RETURN_TO_LAUNCH = 20
CMD_NAV_LAND = 21
CMD_NAV_TAKEOFF = 22
CMD_DO_ORBIT = 34
CMD_DO_SET_MODE = 176
CMD_DO_CHANGE_SPEED = 178
CMD_DO_SET_HOME = 179
CMD_DO_REPOSITION = 192
CMD_MISSION_START = 300
CMD_COMPONENT_ARM_DISARM = 400
CMD_SET_MESSAGE_INTERVAL = 511
CMD_REQUEST_MESSAGE = 512
CMD_REQUEST_AUTOPILOT_CAPABILITIES = 520
#: Commands that choose the flight mode: accepted from the GCS, they end a failsafe action (PX4 lets
#: the user take over by switching modes).
_MODE_COMMANDS = frozenset(
    {
        CMD_NAV_RETURN_TO_LAUNCH, CMD_NAV_LAND, CMD_NAV_TAKEOFF, CMD_DO_ORBIT, CMD_DO_SET_MODE,
        CMD_DO_REPOSITION, CMD_MISSION_START,
    }
)  # fmt: skip


@dataclass(frozen=True)
class Command:
    """COMMAND_LONG and COMMAND_INT in one shape; lat/lon in degrees (NaN = unset), alt as sent."""

    command: int
    p1: float
    p2: float
    p3: float
    p4: float
    lat_deg: float
    lon_deg: float
    alt_m: float
    is_int: bool
    frame: int


def _command(msg: MavMessage) -> Command:
    if msg.get_type() == "COMMAND_INT":
        x, y = msg.x, msg.y
        lat = x / 1e7 if x not in _UNSET_INT else math.nan
        lon = y / 1e7 if y not in _UNSET_INT else math.nan
        return Command(
            msg.command, msg.param1, msg.param2, msg.param3, msg.param4, lat, lon, msg.z, True, msg.frame
        )
    return Command(
        msg.command,
        msg.param1,
        msg.param2,
        msg.param3,
        msg.param4,
        msg.param5,
        msg.param6,
        msg.param7,
        False,
        0,
    )


def handle_message(v: Vehicle, msg: MavMessage) -> None:
    """Entry point for every decoded message addressed to (or broadcast at) the vehicle."""
    kind = msg.get_type()
    target = getattr(msg, "target_system", 0)
    if target not in (0, v.config.sysid):
        return
    if kind == "HEARTBEAT":
        if msg.type == MAV_TYPE_GCS and msg.get_srcSystem() != v.config.sysid:
            v.gcs_seen, v.gcs_last_s, v.gcs_last_wall = True, v.now_s(), time.monotonic()
    elif kind in ("COMMAND_LONG", "COMMAND_INT"):
        if getattr(msg, "target_component", 0) not in (0, 1):
            return
        result = run_command(v, _command(msg))
        if result is not None:
            ack = v.endpoint.mav.command_ack_encode(
                msg.command, result, 0, 0, msg.get_srcSystem(), msg.get_srcComponent()
            )
            v.send(ack)
            if result == ACCEPTED:
                _after_ack(v, msg)
    elif kind == "PING":
        if msg.target_system == 0:  # a request: answer it like PX4 does
            v.send(
                v.endpoint.mav.ping_encode(
                    msg.time_usec, msg.seq, msg.get_srcSystem(), msg.get_srcComponent()
                )
            )
    elif kind == "PARAM_REQUEST_LIST":
        for i in range(len(v.params)):
            _send_param(v, i)
    elif kind == "PARAM_REQUEST_READ":
        _param_read(v, msg.param_id, msg.param_index)
    elif kind == "PARAM_SET":
        _param_set(v, msg.param_id, msg.param_value)
    elif kind.startswith("MISSION_"):
        v.mission.handle(msg)


def _after_ack(v: Vehicle, msg: MavMessage) -> None:
    """Messages PX4 sends after acking a request (REQUEST_MESSAGE and friends)."""
    if msg.command == CMD_REQUEST_MESSAGE:
        v.send_now(int(msg.param1))
    elif msg.command == CMD_REQUEST_AUTOPILOT_CAPABILITIES:
        v.send_now(MSG_AUTOPILOT_VERSION)
    elif msg.command == CMD_DO_SET_HOME:
        v.send_now(MSG_HOME_POSITION)


def run_command(v: Vehicle, c: Command) -> int | None:
    """Execute ``c``; the MAV_RESULT to ack with. An accepted mode change ends a failsafe action."""
    result = _run(v, c)
    if result == ACCEPTED and c.command in _MODE_COMMANDS:
        v.on_gcs_mode_change()
    return result


def _run(v: Vehicle, c: Command) -> int | None:
    s = v.state
    match c.command:
        case 400:  # COMPONENT_ARM_DISARM
            return _arm_disarm(v, c)
        case 22:  # NAV_TAKEOFF
            if not s.armed:
                v.say("Takeoff denied: disarmed", 4)
                return DENIED
            v.start_takeoff(_target_up_m(v, c) if math.isfinite(c.alt_m) else None)
            return ACCEPTED
        case 21:  # NAV_LAND
            if not s.armed or not s.in_air:
                return DENIED if not s.armed else ACCEPTED
            v.set_mode(Px4Mode.LAND)
            if _finite(c.lat_deg, c.lon_deg):
                v.nav.hold.north_m, v.nav.hold.east_m = v.frame.to_local(c.lat_deg, c.lon_deg)
            return ACCEPTED
        case 20:  # NAV_RETURN_TO_LAUNCH
            return _set_mode(v, Px4Mode.RETURN)
        case 176:  # DO_SET_MODE
            mode = mode_from_set_mode(c.p2, c.p3)
            if mode is None or mode in (Px4Mode.READY, Px4Mode.ORBIT):
                return UNSUPPORTED
            return _set_mode(v, mode)
        case 300:  # MISSION_START
            if not v.mission.items:
                return DENIED
            if math.isfinite(c.p1) and c.p1 >= 0:
                v.mission.set_current(int(c.p1))
            return _set_mode(v, Px4Mode.MISSION)
        case 224:  # DO_SET_MISSION_CURRENT
            ok = math.isfinite(c.p1) and v.mission.set_current(int(c.p1))
            return ACCEPTED if ok else DENIED
        case 192:  # DO_REPOSITION
            return _reposition(v, c)
        case 34:  # DO_ORBIT
            return _orbit(v, c)
        case 178:  # DO_CHANGE_SPEED
            if math.isfinite(c.p2) and c.p2 > 0:
                v.nav.speed_override_mps = min(c.p2, v.params["MPC_XY_VEL_MAX"])
            elif c.p2 == -1 or c.p2 == -2:
                v.nav.speed_override_mps = None
            return ACCEPTED
        case 179:  # DO_SET_HOME
            return _set_home(v, c)
        case 511:  # SET_MESSAGE_INTERVAL
            return _set_interval(v, c)
        case 512:  # REQUEST_MESSAGE
            return ACCEPTED if v.build(int(c.p1)) is not None else UNSUPPORTED
        case 520:  # REQUEST_AUTOPILOT_CAPABILITIES
            return ACCEPTED
    return UNSUPPORTED


def _finite(*xs: float) -> bool:
    return all(math.isfinite(x) for x in xs)


def _arm_disarm(v: Vehicle, c: Command) -> int:
    s = v.state
    force = int(c.p2) == FORCE_MAGIC if math.isfinite(c.p2) else False
    if c.p1 >= 0.5:
        if s.armed:
            return ACCEPTED
        if not s.health.armable and not force:
            v.say("Arming denied: Resolve system health failures first", 4)
            return DENIED
        v.arm()
        return ACCEPTED
    if not s.armed:
        return ACCEPTED
    if s.in_air and not force:
        v.say("Disarming denied: not landed", 4)
        return DENIED
    v.disarm("Disarmed by external command" if not force else "Kill switch engaged")
    return ACCEPTED


def _set_mode(v: Vehicle, mode: Px4Mode) -> int:
    s = v.state
    if mode is Px4Mode.MISSION and not v.mission.items:
        v.say("Mission rejected: no mission", 4)
        return DENIED
    if mode is Px4Mode.TAKEOFF:
        if not s.armed:
            return DENIED
        v.start_takeoff()
        return ACCEPTED
    v.set_mode(mode)
    if mode is Px4Mode.MISSION:
        v.mission.on_mission_mode()
    return ACCEPTED


def _target_up_m(v: Vehicle, c: Command) -> float:
    """Target height in the local frame from param7/z, which PX4 reads as AMSL whatever the frame.

    PX4's mavlink receiver copies COMMAND_INT's z into param7 and drops ``frame``; takeoff,
    reposition and FlightTaskOrbit all read param7 as AMSL. MAVSDK's ``do_orbit`` relies on it:
    it sends the AMSL altitude in a COMMAND_INT whose frame is GLOBAL_RELATIVE_ALT (3).
    """
    if not math.isfinite(c.alt_m):
        return v.state.motion.up_m
    return c.alt_m - v.frame.alt0_amsl_m


def _reposition(v: Vehicle, c: Command) -> int:
    s = v.state
    if not s.armed or not s.in_air:
        v.say("Reposition denied: not in air", 4)
        return DENIED
    n, e = s.motion.north_m, s.motion.east_m
    if _finite(c.lat_deg, c.lon_deg):
        n, e = v.frame.to_local(c.lat_deg, c.lon_deg)
    speed = c.p1 if math.isfinite(c.p1) and c.p1 > 0 else None
    if s.mode is not Px4Mode.HOLD:
        v.set_mode(Px4Mode.HOLD)
    v.nav.set_reposition(n, e, max(_target_up_m(v, c), 0.5), speed)
    return ACCEPTED


def _orbit(v: Vehicle, c: Command) -> int:
    s = v.state
    if not s.armed or not s.in_air:
        return DENIED
    radius = c.p1 if math.isfinite(c.p1) and c.p1 != 0 else 10.0
    if abs(radius) < 1.0 or abs(radius) > 10_000:
        return DENIED
    speed = abs(c.p2) if math.isfinite(c.p2) and c.p2 != 0 else 1.0
    n, e = s.motion.north_m, s.motion.east_m
    if _finite(c.lat_deg, c.lon_deg):
        n, e = v.frame.to_local(c.lat_deg, c.lon_deg)
    v.nav.orbit = OrbitTarget(n, e, max(_target_up_m(v, c), 0.5), radius, speed)
    v.set_mode(Px4Mode.ORBIT)
    return ACCEPTED


def _set_home(v: Vehicle, c: Command) -> int:
    h, m = v.state.home, v.state.motion
    if c.p1 >= 0.5:
        h.north_m, h.east_m, h.up_m = m.north_m, m.east_m, 0.0 if not v.state.in_air else h.up_m
        return ACCEPTED
    if not _finite(c.lat_deg, c.lon_deg, c.alt_m):
        return DENIED
    h.north_m, h.east_m = v.frame.to_local(c.lat_deg, c.lon_deg)
    h.up_m = c.alt_m - v.frame.alt0_amsl_m
    return ACCEPTED


def _set_interval(v: Vehicle, c: Command) -> int:
    msg_id = int(c.p1) if math.isfinite(c.p1) else -1
    if v.build(msg_id) is None:
        return UNSUPPORTED
    if c.p2 == 0:
        v.intervals_s[msg_id] = DEFAULT_INTERVALS_S.get(msg_id, 1.0)
    elif c.p2 < 0:
        v.intervals_s[msg_id] = 0.0 if msg_id != 0 else v.intervals_s[0]
    else:
        v.intervals_s[msg_id] = max(c.p2 / 1e6, 0.01)
    v.reschedule(msg_id)
    return ACCEPTED


def _send_param(v: Vehicle, index: int) -> None:
    spec = v.params.spec(index)
    wire = encode_wire(v.params.value_at(index), spec.type)
    msg = v.endpoint.mav.param_value_encode(spec.name.encode(), wire, int(spec.type), len(v.params), index)
    v.send(msg)


def _param_read(v: Vehicle, name: str, index: int) -> None:
    try:
        i = v.params.index(name) if index < 0 else index
        _send_param(v, i)
    except ParamError:  # PX4 stays silent; the client times out ("does not exist")
        return


def _param_set(v: Vehicle, name: str, wire: float) -> None:
    try:
        i = v.params.index(name)
    except ParamError:
        return
    spec = PARAM_SPECS[i]
    try:
        v.params.set(name, decode_wire(wire, spec.type))
    except ParamError as exc:
        v.say(str(exc), 4)
    _send_param(v, i)


__all__ = ["ACCEPTED", "DENIED", "LandedState", "handle_message", "run_command"]
