"""Build the MAVLink messages a PX4 multicopter streams, from the vehicle's state.

Each builder takes the pymavlink codec and a :class:`TelemetryView`; no I/O here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pymavlink.dialects.v20 import common as mavlink2

from sim.vehicle.flight_modes import base_mode
from sim.vehicle.model import LocalFrame, VehicleState

MAV_TYPE_QUADROTOR = 2
MAV_AUTOPILOT_PX4 = 12
MAV_STATE_STANDBY = 3
MAV_STATE_ACTIVE = 4

# SYS_STATUS sensor bits (MAV_SYS_STATUS_SENSOR)
GYRO, ACCEL, MAG, BARO, GPS = 1, 2, 4, 8, 32
ATTITUDE_CTRL, XY_CTRL, Z_CTRL, MOTORS, BATTERY = 0x400, 0x1000, 0x800, 0x8000, 0x2000000
PREARM_CHECK = 0x10000000
SENSORS_PRESENT = (
    GYRO | ACCEL | MAG | BARO | GPS | ATTITUDE_CTRL | XY_CTRL | Z_CTRL | MOTORS | BATTERY | PREARM_CHECK
)

# AUTOPILOT_VERSION capabilities
CAPABILITIES = 1 | 2 | 4 | 8 | 16 | 32 | 128 | 256 | 1024 | 8192 | 65536
FLIGHT_SW_VERSION = (1 << 24) | (16 << 16) | (0 << 8) | 255  # 1.16.0 official

UINT16_UNKNOWN = 65535

MSG_HEARTBEAT = 0
MSG_SYS_STATUS = 1
MSG_GPS_RAW_INT = 24
MSG_ATTITUDE = 30
MSG_LOCAL_POSITION_NED = 32
MSG_GLOBAL_POSITION_INT = 33
MSG_MISSION_CURRENT = 42
MSG_AUTOPILOT_VERSION = 148
MSG_BATTERY_STATUS = 147
MSG_HOME_POSITION = 242
MSG_EXTENDED_SYS_STATE = 245
MSG_VFR_HUD = 74

#: Default stream intervals in sim seconds (PX4's normal-link rates, slightly reduced).
DEFAULT_INTERVALS_S: dict[int, float] = {
    MSG_HEARTBEAT: 1.0,
    MSG_SYS_STATUS: 1.0,
    MSG_BATTERY_STATUS: 1.0,
    MSG_GLOBAL_POSITION_INT: 0.2,
    MSG_LOCAL_POSITION_NED: 0.2,
    MSG_ATTITUDE: 0.2,
    MSG_GPS_RAW_INT: 1.0,
    MSG_EXTENDED_SYS_STATE: 1.0,
    MSG_HOME_POSITION: 5.0,
    MSG_VFR_HUD: 0.5,
    MSG_MISSION_CURRENT: 1.0,
}


@dataclass
class TelemetryView:
    """What the builders need besides the state: the frame, boot time and identity."""

    state: VehicleState
    frame: LocalFrame
    boot_ms: int
    sysid: int
    cells: int

    def lat_lon_e7(self) -> tuple[int, int]:
        m = self.state.motion
        lat, lon = self.frame.to_global(m.north_m, m.east_m)
        return round(lat * 1e7), round(lon * 1e7)

    def alt_amsl_mm(self) -> int:
        return round((self.frame.alt0_amsl_m + self.state.motion.up_m) * 1000)


def heartbeat(mav: mavlink2.MAVLink, v: TelemetryView) -> mavlink2.MAVLink_message:
    s = v.state
    status = MAV_STATE_ACTIVE if s.armed else MAV_STATE_STANDBY
    return mav.heartbeat_encode(
        MAV_TYPE_QUADROTOR, MAV_AUTOPILOT_PX4, base_mode(s.armed, s.mode), s.mode.custom_mode, status
    )


def sys_status(mav: mavlink2.MAVLink, v: TelemetryView) -> mavlink2.MAVLink_message:
    s = v.state
    health = ATTITUDE_CTRL | XY_CTRL | Z_CTRL | MOTORS | BATTERY
    if s.health.sensors_ok:
        health |= GYRO | ACCEL | MAG | BARO
    if s.health.gps_ok:
        health |= GPS
    if s.health.armable:
        health |= PREARM_CHECK
    b = s.battery
    return mav.sys_status_encode(
        SENSORS_PRESENT,
        SENSORS_PRESENT,
        health,
        150,
        round(b.voltage_v * 1000),
        round(b.current_a * 100),
        round(b.remaining * 100),
        0,
        0,
        0,
        0,
        0,
        0,
    )


def battery_status(mav: mavlink2.MAVLink, v: TelemetryView) -> mavlink2.MAVLink_message:
    b = v.state.battery
    cell_mv = round(b.voltage_v / v.cells * 1000)
    voltages = [cell_mv] * v.cells + [UINT16_UNKNOWN] * (10 - v.cells)
    return mav.battery_status_encode(
        0, 1, 1, 2500, voltages, round(b.current_a * 100), round(b.consumed_mah), -1, round(b.remaining * 100)
    )


def global_position_int(mav: mavlink2.MAVLink, v: TelemetryView) -> mavlink2.MAVLink_message:
    m, h = v.state.motion, v.state.home
    lat, lon = v.lat_lon_e7()
    return mav.global_position_int_encode(
        v.boot_ms,
        lat,
        lon,
        v.alt_amsl_mm(),
        round((m.up_m - h.up_m) * 1000),
        round(m.v_north_mps * 100),
        round(m.v_east_mps * 100),
        round(-m.v_up_mps * 100),
        round(m.heading_deg * 100) % 36000,
    )


def local_position_ned(mav: mavlink2.MAVLink, v: TelemetryView) -> mavlink2.MAVLink_message:
    m = v.state.motion
    return mav.local_position_ned_encode(
        v.boot_ms, m.north_m, m.east_m, -m.up_m, m.v_north_mps, m.v_east_mps, -m.v_up_mps
    )


def gps_raw_int(mav: mavlink2.MAVLink, v: TelemetryView) -> mavlink2.MAVLink_message:
    m = v.state.motion
    lat, lon = v.lat_lon_e7()
    fix = 3 if v.state.health.gps_ok else 0
    return mav.gps_raw_int_encode(
        v.boot_ms * 1000,
        fix,
        lat,
        lon,
        v.alt_amsl_mm(),
        70,
        110,
        round(m.ground_speed_mps * 100),
        round(m.heading_deg * 100) % 36000,
        14 if fix else 0,
    )


def attitude(
    mav: mavlink2.MAVLink, v: TelemetryView, wind_ne: tuple[float, float]
) -> mavlink2.MAVLink_message:
    """Tilt from the air-relative velocity (a multicopter leans into its air speed)."""
    m = v.state.motion
    an, ae = m.v_north_mps - wind_ne[0], m.v_east_mps - wind_ne[1]
    yaw = math.radians(m.heading_deg)
    fwd = an * math.cos(yaw) + ae * math.sin(yaw)
    right = -an * math.sin(yaw) + ae * math.cos(yaw)
    pitch = -math.radians(max(-30.0, min(30.0, 1.6 * fwd))) if v.state.in_air else 0.0
    roll = math.radians(max(-30.0, min(30.0, 1.6 * right))) if v.state.in_air else 0.0
    yaw_wrapped = math.atan2(math.sin(yaw), math.cos(yaw))
    return mav.attitude_encode(v.boot_ms, roll, pitch, yaw_wrapped, 0.0, 0.0, 0.0)


def vfr_hud(
    mav: mavlink2.MAVLink, v: TelemetryView, wind_ne: tuple[float, float]
) -> mavlink2.MAVLink_message:
    """Air and ground speed, heading, throttle (%), AMSL altitude, climb rate (what QGC's HUD shows)."""
    m, s = v.state.motion, v.state
    air = math.hypot(m.v_north_mps - wind_ne[0], m.v_east_mps - wind_ne[1]) if s.in_air else 0.0
    throttle = 0 if not s.armed else (15 if not s.in_air else 50)
    return mav.vfr_hud_encode(
        air, m.ground_speed_mps, round(m.heading_deg) % 360, throttle, v.alt_amsl_mm() / 1000, m.v_up_mps
    )


def extended_sys_state(mav: mavlink2.MAVLink, v: TelemetryView) -> mavlink2.MAVLink_message:
    return mav.extended_sys_state_encode(0, int(v.state.landed_state))


def home_position(mav: mavlink2.MAVLink, v: TelemetryView) -> mavlink2.MAVLink_message:
    h = v.state.home
    lat, lon = v.frame.to_global(h.north_m, h.east_m)
    return mav.home_position_encode(
        round(lat * 1e7),
        round(lon * 1e7),
        round((v.frame.alt0_amsl_m + h.up_m) * 1000),
        h.north_m,
        h.east_m,
        -h.up_m,
        [1.0, 0.0, 0.0, 0.0],
        0.0,
        0.0,
        0.0,
        v.boot_ms * 1000,
    )


def autopilot_version(mav: mavlink2.MAVLink, v: TelemetryView) -> mavlink2.MAVLink_message:
    uid2 = list((0x5C00 + v.sysid).to_bytes(18, "big"))
    return mav.autopilot_version_encode(
        CAPABILITIES,
        FLIGHT_SW_VERSION,
        0,
        0,
        0,
        list(bytes.fromhex("5c1d00f1") + v.sysid.to_bytes(4, "big")),  # a fake git hash
        [0] * 8,
        [0] * 8,
        0x26AC,
        0x11,
        0x534B594C00000000 + v.sysid,
        uid2,
    )


def statustext(mav: mavlink2.MAVLink, severity: int, text: str) -> mavlink2.MAVLink_message:
    return mav.statustext_encode(severity, text.encode("utf-8")[:50])
