"""Whole-vehicle behaviours on virtual time (no sockets): the PX4 behaviours of REFERENCE.md."""

from __future__ import annotations

import math

import pytest
from pymavlink.dialects.v20 import common as mavlink2

from sim.vehicle.commands import ACCEPTED, DENIED, handle_message
from sim.vehicle.flight_modes import Px4Mode
from sim.vehicle.model import LandedState
from sim.weather import SteadyWind, Weather
from tests.unit.sim.vehicle_helpers import (
    HOME_ALT,
    HOME_LAT,
    HOME_LON,
    advance,
    airborne,
    command,
    distance_from_home_m,
    healthy_armed,
    make_vehicle,
    run_until,
)

ARM, TAKEOFF, RTL, SET_MODE, REPOSITION, ORBIT, SET_HOME = 400, 22, 20, 176, 192, 34, 179
SET_INTERVAL, REQUEST_MESSAGE = 511, 512


def test_arming_is_denied_until_healthy() -> None:
    v, clock = make_vehicle(health_delay_s=5.0)
    advance(v, clock, 1.0)
    assert command(v, ARM, 1.0) == DENIED and not v.state.armed
    advance(v, clock, 5.0)
    assert command(v, ARM, 1.0) == ACCEPTED and v.state.armed


def test_takeoff_climbs_to_mis_takeoff_alt_then_holds() -> None:
    v, clock = healthy_armed(params={"MIS_TAKEOFF_ALT": 12.0})
    assert command(v, TAKEOFF) == ACCEPTED
    assert v.state.mode is Px4Mode.TAKEOFF
    advance(v, clock, 1.0)
    assert v.state.landed_state is LandedState.TAKEOFF
    run_until(v, clock, lambda: v.state.mode is Px4Mode.HOLD, 60)
    advance(v, clock, 5.0)
    assert v.state.motion.up_m == pytest.approx(12.0, abs=0.3)
    assert v.state.landed_state is LandedState.IN_AIR
    assert distance_from_home_m(v) < 1.0


def test_takeoff_denied_when_disarmed_and_goto_denied_on_ground() -> None:
    v, clock = make_vehicle()
    advance(v, clock, 3.0)
    assert command(v, TAKEOFF) == DENIED
    assert command(v, ARM, 1.0) == ACCEPTED
    assert (
        command(v, REPOSITION, lat=HOME_LAT + 0.001, lon=HOME_LON, alt=HOME_ALT + 20, is_int=True, frame=5)
        == DENIED
    )


def test_preflight_auto_disarm() -> None:
    v, clock = healthy_armed()
    advance(v, clock, v.params["COM_DISARM_PRFLT"] - 1.0)
    assert v.state.armed
    advance(v, clock, 2.0)
    assert not v.state.armed


def test_reposition_takes_amsl_altitude_spreads_the_climb_and_flies_at_cruise() -> None:
    v, clock = airborne(params={"MIS_TAKEOFF_ALT": 10.0, "MPC_XY_CRUISE": 8.0})
    target_lat = HOME_LAT + 1000 / 111_195  # ~1 km north
    assert command(v, REPOSITION, 1.0 if False else math.nan, 1.0, lat=target_lat, lon=HOME_LON,
                   alt=HOME_ALT + 50.0, is_int=True, frame=5) == ACCEPTED  # fmt: skip
    assert v.state.mode is Px4Mode.HOLD
    speeds, halfway_up = [], None
    while distance_from_home_m(v) < 990:
        advance(v, clock, 1.0)
        speeds.append(v.state.motion.ground_speed_mps)
        if halfway_up is None and distance_from_home_m(v) > 500:
            halfway_up = v.state.motion.up_m
    run_until(v, clock, lambda: v.state.motion.ground_speed_mps < 0.05, 60)
    assert max(speeds) == pytest.approx(8.0, abs=0.05)
    assert halfway_up is not None and 20.0 < halfway_up < 45.0  # climb spread over the leg
    lat, lon = v.frame.to_global(v.state.motion.north_m, v.state.motion.east_m)
    assert lat == pytest.approx(target_lat, abs=1e-6) and lon == pytest.approx(HOME_LON, abs=1e-6)
    assert v.state.motion.up_m == pytest.approx(50.0, abs=0.5)


def test_reposition_speed_parameter_wins_over_cruise() -> None:
    v, clock = airborne()
    command(
        v, REPOSITION, 3.0, 1.0, lat=HOME_LAT + 0.005, lon=HOME_LON, alt=HOME_ALT + 5, is_int=True, frame=5
    )
    advance(v, clock, 20.0)
    assert v.state.motion.ground_speed_mps == pytest.approx(3.0, abs=0.05)


def test_wind_changes_ground_speed() -> None:
    weather = Weather(SteadyWind(4.0, 0.0))  # from the north: head wind when flying north
    v, clock = airborne(weather, params={"MPC_XY_CRUISE": 10.0})
    command(v, REPOSITION, lat=HOME_LAT + 0.01, lon=HOME_LON, alt=HOME_ALT + 2.5, is_int=True, frame=5)
    advance(v, clock, 20.0)
    assert v.state.motion.ground_speed_mps == pytest.approx(6.0, abs=0.05)
    command(v, REPOSITION, lat=HOME_LAT - 0.01, lon=HOME_LON, alt=HOME_ALT + 2.5, is_int=True, frame=5)
    advance(v, clock, 40.0)
    assert v.state.motion.ground_speed_mps == pytest.approx(14.0, abs=0.05)


def test_rtl_climbs_returns_lands_and_disarms() -> None:
    v, clock = airborne(params={"RTL_RETURN_ALT": 30.0})
    command(v, REPOSITION, lat=HOME_LAT + 0.003, lon=HOME_LON, alt=HOME_ALT + 5, is_int=True, frame=5)
    run_until(v, clock, lambda: distance_from_home_m(v) > 300 and v.state.motion.ground_speed_mps < 0.05, 200)
    assert command(v, SET_MODE, 1 | 128, 4, 5) == ACCEPTED
    assert v.state.mode is Px4Mode.RETURN
    run_until(v, clock, lambda: v.state.motion.ground_speed_mps > 1.0, 60)
    assert v.state.motion.up_m > 29.0  # climbed before leaving
    run_until(v, clock, lambda: v.state.landed_state is LandedState.ON_GROUND, 300)
    landed_at = clock.t_s
    assert distance_from_home_m(v) < 1.0
    assert v.state.armed
    run_until(v, clock, lambda: not v.state.armed, 10)
    assert clock.t_s - landed_at == pytest.approx(v.params["COM_DISARM_LAND"], abs=0.3)


def test_rtl_keeps_a_higher_current_height() -> None:
    v, clock = airborne(params={"MIS_TAKEOFF_ALT": 45.0, "RTL_RETURN_ALT": 30.0})
    command(v, REPOSITION, lat=HOME_LAT + 0.002, lon=HOME_LON, alt=HOME_ALT + 45, is_int=True, frame=5)
    advance(v, clock, 60)
    command(v, RTL)
    heights = []
    while distance_from_home_m(v) > 5:
        advance(v, clock, 1.0)
        heights.append(v.state.motion.up_m)
    assert min(heights) > 44.0


def test_disarm_in_the_air_is_denied_unless_forced() -> None:
    v, _ = airborne()
    assert command(v, ARM, 0.0) == DENIED and v.state.armed
    assert command(v, ARM, 0.0, 21196.0) == ACCEPTED and not v.state.armed


def test_orbit_circles_the_centre_at_the_radius() -> None:
    v, clock = airborne()
    assert (
        command(v, ORBIT, 40.0, 4.0, lat=HOME_LAT, lon=HOME_LON, alt=HOME_ALT + 15, is_int=True, frame=5) == 0
    )
    advance(v, clock, 90.0)
    radii = []
    for _ in range(30):
        advance(v, clock, 1.0)
        radii.append(distance_from_home_m(v))
    assert v.state.mode is Px4Mode.ORBIT
    assert min(radii) > 38.0 and max(radii) < 42.0
    assert v.state.motion.ground_speed_mps == pytest.approx(4.0, abs=0.3)


def test_battery_failsafe_holds_then_returns() -> None:
    v, clock = airborne()
    command(v, REPOSITION, lat=HOME_LAT + 0.002, lon=HOME_LON, alt=HOME_ALT + 10, is_int=True, frame=5)
    advance(v, clock, 10.0)
    v.set_battery(0.06)
    advance(v, clock, 0.2)
    assert v.state.mode is Px4Mode.HOLD
    advance(v, clock, v.params["COM_FAIL_ACT_T"])
    assert v.state.mode is Px4Mode.RETURN


def test_link_loss_triggers_nav_dll_act() -> None:
    v, clock = airborne(params={"NAV_DLL_ACT": 3, "COM_DL_LOSS_T": 10})
    v.failsafe.min_link_wall_s = 0.0  # virtual time only
    gcs = mavlink2.MAVLink(None, srcSystem=245, srcComponent=190)
    hb = gcs.heartbeat_encode(6, 8, 0, 0, 0)
    parsed = mavlink2.MAVLink(None).parse_buffer(hb.pack(gcs))
    assert parsed is not None
    for _ in range(5):
        handle_message(v, parsed[0])
        advance(v, clock, 1.0)
    assert v.state.mode is Px4Mode.HOLD and v.gcs_seen
    advance(v, clock, 10.5)  # silence longer than COM_DL_LOSS_T
    assert any("ground control station" in s for s in v.status_log)
    advance(v, clock, v.params["COM_FAIL_ACT_T"])
    assert v.state.mode is Px4Mode.LAND


def test_set_home_and_message_intervals() -> None:
    v, _ = airborne()
    assert command(v, SET_HOME, 0.0, lat=HOME_LAT + 0.001, lon=HOME_LON, alt=HOME_ALT) == ACCEPTED
    assert v.state.home.north_m == pytest.approx(111.2, abs=0.2)
    assert command(v, SET_INTERVAL, 33, 50_000) == ACCEPTED
    assert v.intervals_s[33] == pytest.approx(0.05)
    assert command(v, SET_INTERVAL, 33, -1) == ACCEPTED and v.intervals_s[33] == 0.0
    assert command(v, REQUEST_MESSAGE, 148) == ACCEPTED
    assert command(v, REQUEST_MESSAGE, 9999) == 3  # UNSUPPORTED
    assert command(v, 31010) == 3


def test_home_is_set_where_the_vehicle_arms() -> None:
    v, clock = make_vehicle()
    advance(v, clock, 3.0)
    assert command(v, SET_HOME, 0.0, lat=HOME_LAT + 0.01, lon=HOME_LON, alt=HOME_ALT) == ACCEPTED
    assert v.state.home.north_m > 1000
    assert command(v, ARM, 1.0) == ACCEPTED
    assert distance_from_home_m(v) < 1.0


def test_stream_rates_follow_set_message_interval() -> None:
    v, clock = make_vehicle()
    sent: list[str] = []
    v.endpoint.send = lambda msg: sent.append(msg.get_type())  # type: ignore[method-assign]
    advance(v, clock, 10.0, step_s=0.01)
    default_rate = sent.count("GLOBAL_POSITION_INT") / 10.0
    assert sent.count("HEARTBEAT") >= 9  # 1 Hz sim (plus any the wall-clock guard adds)
    assert command(v, SET_INTERVAL, 33, 50_000) == ACCEPTED  # 20 Hz
    sent.clear()
    advance(v, clock, 10.0, step_s=0.01)
    assert default_rate == pytest.approx(5.0, abs=0.2)
    assert sent.count("GLOBAL_POSITION_INT") / 10.0 == pytest.approx(20.0, abs=0.5)
    assert command(v, SET_INTERVAL, 33, -1) == ACCEPTED
    sent.clear()
    advance(v, clock, 5.0, step_s=0.01)
    assert "GLOBAL_POSITION_INT" not in sent and "HEARTBEAT" in sent


def test_takeoff_in_the_air_does_not_descend() -> None:
    v, clock = airborne(params={"MIS_TAKEOFF_ALT": 5.0})
    command(v, REPOSITION, lat=HOME_LAT, lon=HOME_LON, alt=HOME_ALT + 30, is_int=True, frame=5)
    advance(v, clock, 30.0)
    assert command(v, TAKEOFF) == ACCEPTED
    run_until(v, clock, lambda: v.state.mode is Px4Mode.HOLD, 10)
    advance(v, clock, 5.0)
    assert v.state.motion.up_m == pytest.approx(30.0, abs=0.5)
    assert v.state.landed_state is LandedState.IN_AIR


def test_land_descends_where_it_is_and_disarms() -> None:
    v, clock = airborne(params={"MIS_TAKEOFF_ALT": 20.0})
    north = v.state.motion.north_m
    assert command(v, 21) == ACCEPTED and v.state.mode is Px4Mode.LAND
    advance(v, clock, 2.0)
    assert v.state.landed_state is LandedState.LANDING
    run_until(v, clock, lambda: not v.state.armed, 60)
    assert v.state.motion.up_m == 0.0 and abs(v.state.motion.north_m - north) < 0.5


def test_unsupported_modes_are_refused() -> None:
    v, _ = airborne()
    assert command(v, SET_MODE, 1, 1, 0) == 3  # MANUAL
    assert command(v, SET_MODE, 1, 6, 0) == 3  # OFFBOARD
    assert v.state.mode is Px4Mode.HOLD


def test_killed_vehicle_falls() -> None:
    v, clock = airborne(params={"MIS_TAKEOFF_ALT": 20.0})
    command(v, ARM, 0.0, 21196.0)
    run_until(v, clock, lambda: v.state.landed_state is LandedState.ON_GROUND, 5)


def test_takeoff_altitude_param7_is_amsl_when_given() -> None:
    v, clock = healthy_armed()
    assert command(v, TAKEOFF, alt=HOME_ALT + 18.0) == ACCEPTED
    run_until(v, clock, lambda: v.state.mode is Px4Mode.HOLD, 60)
    assert v.state.motion.up_m == pytest.approx(18.0, abs=0.3)
