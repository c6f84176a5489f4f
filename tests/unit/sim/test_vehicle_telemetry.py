"""The messages MAVSDK derives state from, decoded as MAVSDK would see them (reference §3, §3.1)."""

from __future__ import annotations

import pytest
from pymavlink.dialects.v20 import common as mavlink2

from sim.vehicle import telemetry
from sim.vehicle.flight_modes import Px4Mode
from sim.vehicle.vehicle import Vehicle
from sim.weather import SteadyWind, Weather
from tests.unit.sim.vehicle_helpers import (
    HOME_ALT,
    HOME_LAT,
    HOME_LON,
    advance,
    airborne,
    command,
    make_vehicle,
)

PREARM, GPS, GYRO_ACCEL_MAG = 0x10000000, 32, 1 | 2 | 4


def wire(v: Vehicle, msg_id: int) -> mavlink2.MAVLink_message:
    """Build stream ``msg_id``, pack it and parse it back."""
    msg = v.build(msg_id)
    assert msg is not None
    parsed = mavlink2.MAVLink(None).parse_buffer(msg.pack(v.endpoint.mav))
    assert parsed is not None and len(parsed) == 1
    out = parsed[0]
    assert (out.get_srcSystem(), out.get_srcComponent()) == (v.config.sysid, 1)
    return out


def test_heartbeat_is_a_px4_quadrotor_with_custom_mode() -> None:
    v, _ = make_vehicle(sysid=7)
    hb = wire(v, telemetry.MSG_HEARTBEAT)
    assert (hb.type, hb.autopilot) == (2, 12)
    assert hb.base_mode & 1 and not hb.base_mode & 128
    assert hb.custom_mode == Px4Mode.HOLD.custom_mode


def test_health_bits_appear_after_the_health_delay() -> None:
    v, clock = make_vehicle(health_delay_s=3.0)
    advance(v, clock, 1.0)
    st = wire(v, telemetry.MSG_SYS_STATUS)
    assert (
        st.onboard_control_sensors_present & (GPS | GYRO_ACCEL_MAG | PREARM) == GPS | GYRO_ACCEL_MAG | PREARM
    )
    assert not st.onboard_control_sensors_health & (GPS | PREARM)
    assert wire(v, telemetry.MSG_GPS_RAW_INT).fix_type == 0
    advance(v, clock, 3.0)
    st = wire(v, telemetry.MSG_SYS_STATUS)
    assert (
        st.onboard_control_sensors_health & (GPS | GYRO_ACCEL_MAG | PREARM) == GPS | GYRO_ACCEL_MAG | PREARM
    )
    assert wire(v, telemetry.MSG_GPS_RAW_INT).fix_type == 3


def test_positions_are_amsl_and_relative_to_home() -> None:
    v, _ = airborne(params={"MIS_TAKEOFF_ALT": 12.0})
    gp = wire(v, telemetry.MSG_GLOBAL_POSITION_INT)
    assert gp.lat == pytest.approx(HOME_LAT * 1e7, abs=5) and gp.lon == pytest.approx(HOME_LON * 1e7, abs=5)
    assert gp.alt == pytest.approx((HOME_ALT + 12.0) * 1000, abs=300)
    assert gp.relative_alt == pytest.approx(12_000, abs=300)
    home = wire(v, telemetry.MSG_HOME_POSITION)
    assert home.altitude == pytest.approx(HOME_ALT * 1000, abs=1)
    assert wire(v, telemetry.MSG_EXTENDED_SYS_STATE).landed_state == 2  # IN_AIR
    hb = wire(v, telemetry.MSG_HEARTBEAT)
    assert hb.base_mode & 128


def test_autopilot_version_announces_mission_int_and_a_unique_uid() -> None:
    a, _ = make_vehicle(sysid=1)
    b, _ = make_vehicle(sysid=2)
    va, vb = wire(a, telemetry.MSG_AUTOPILOT_VERSION), wire(b, telemetry.MSG_AUTOPILOT_VERSION)
    assert va.capabilities & 4 and va.capabilities & 8 and va.capabilities & 16 and va.capabilities & 8192
    assert va.flight_sw_version >> 24 == 1 and va.flight_sw_version & 0xFF == 255
    assert va.uid != vb.uid


def test_battery_status_reports_cells_and_percent() -> None:
    v, _ = make_vehicle(battery_remaining=0.5)
    bs = wire(v, telemetry.MSG_BATTERY_STATUS)
    cells = [c for c in bs.voltages if c != 65535]
    assert len(cells) == 4 and bs.battery_remaining == 50
    assert 3500 < cells[0] < 4200


def test_vfr_hud_shows_air_and_ground_speed() -> None:
    v, clock = airborne(Weather(SteadyWind(3.0, 0.0)), params={"MPC_XY_CRUISE": 10.0})
    command(v, 192, lat=HOME_LAT - 0.01, lon=HOME_LON, alt=HOME_ALT + 2.5, is_int=True, frame=5)  # south
    advance(v, clock, 30.0)
    hud = wire(v, telemetry.MSG_VFR_HUD)
    assert hud.airspeed == pytest.approx(10.0, abs=0.1) and hud.groundspeed == pytest.approx(13.0, abs=0.1)
    assert hud.heading == 180
