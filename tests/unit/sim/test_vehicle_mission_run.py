"""Mission execution: implicit takeoff, items in order with ITEM_REACHED, end in HOLD or RTL."""

from __future__ import annotations

import math

import pytest

from sim.vehicle.commands import ACCEPTED, DENIED
from sim.vehicle.flight_modes import Px4Mode
from sim.vehicle.mission import MissionItem
from sim.vehicle.mission_runner import MissionState
from sim.vehicle.model import LandedState
from sim.vehicle.vehicle import Vehicle
from tests.unit.sim.vehicle_helpers import HOME_LAT, HOME_LON, advance, command, healthy_armed, run_until

WAYPOINT, RTL_ITEM, LAND_ITEM, CHANGE_SPEED = 16, 20, 21, 178


def wp(seq: int, north_m: float, up_m: float, hold_s: float = 0.0) -> MissionItem:
    lat = HOME_LAT + north_m / 111_195
    return MissionItem(
        seq, 6, WAYPOINT, 0, 1, hold_s, 1.0, 0.0, math.nan, round(lat * 1e7), round(HOME_LON * 1e7), up_m
    )


def cmd_item(seq: int, command_id: int, p2: float = 0.0) -> MissionItem:
    return MissionItem(seq, 2, command_id, 0, 1, 1.0, p2, -1.0, 0.0, 0, 0, math.nan)


def load(v: Vehicle, items: list[MissionItem]) -> None:
    v.mission._on_plan(0, items)


def test_mission_mode_needs_a_mission() -> None:
    v, _ = healthy_armed()
    assert command(v, 176, 1, 4, 4) == DENIED
    load(v, [wp(0, 100, 20)])
    assert command(v, 176, 1, 4, 4) == ACCEPTED and v.state.mode is Px4Mode.MISSION


def test_mission_from_the_ground_reaches_items_in_order_and_holds_at_the_end() -> None:
    v, clock = healthy_armed(params={"MIS_TAKEOFF_ALT": 10.0})
    load(v, [wp(0, 100, 20), cmd_item(1, CHANGE_SPEED, 3.0), wp(2, 200, 25, hold_s=5.0)])
    assert v.mission.state is MissionState.NOT_STARTED
    assert command(v, 300, 0) == ACCEPTED  # MAV_CMD_MISSION_START
    run_until(v, clock, lambda: v.state.landed_state is not LandedState.ON_GROUND, 5)
    run_until(v, clock, lambda: v.state.motion.up_m > 9.0, 30)
    assert v.state.motion.ground_speed_mps < 0.5  # climbs before leaving
    run_until(v, clock, lambda: v.mission.reached == [0, 1], 120)
    advance(v, clock, 15.0)
    assert v.state.motion.ground_speed_mps == pytest.approx(3.0, abs=0.05)  # DO_CHANGE_SPEED applied
    run_until(v, clock, lambda: v.mission.state is MissionState.COMPLETE, 200)
    assert v.mission.reached == [0, 1, 2]
    assert v.state.mode is Px4Mode.HOLD
    assert v.state.motion.north_m == pytest.approx(200.0, abs=1.5)
    assert v.state.motion.up_m == pytest.approx(25.0, abs=0.8)


def test_waypoint_hold_time_is_honoured() -> None:
    v, clock = healthy_armed()
    load(v, [wp(0, 50, 10, hold_s=20.0), wp(1, 100, 10)])
    command(v, 176, 1, 4, 4)
    run_until(v, clock, lambda: abs(v.state.motion.north_m - 50) < 1.0, 120)
    arrived = clock.t_s
    run_until(v, clock, lambda: v.mission.reached == [0], 60)
    assert clock.t_s - arrived == pytest.approx(20.0, abs=1.5)


def test_mission_ending_in_rtl_returns_and_disarms() -> None:
    v, clock = healthy_armed()
    load(v, [wp(0, 80, 15), cmd_item(1, RTL_ITEM)])
    command(v, 176, 1, 4, 4)
    run_until(v, clock, lambda: v.state.mode is Px4Mode.RETURN, 120)
    assert v.mission.state is MissionState.COMPLETE and v.mission.reached == [0]
    run_until(v, clock, lambda: not v.state.armed, 300)
    assert abs(v.state.motion.north_m) < 1.0


def test_mission_land_item_lands_there() -> None:
    v, clock = healthy_armed()
    land = MissionItem(1, 6, LAND_ITEM, 0, 1, 0, 0, 0, math.nan, round((HOME_LAT + 60 / 111_195) * 1e7),
                       round(HOME_LON * 1e7), 0.0)  # fmt: skip
    load(v, [wp(0, 60, 15), land])
    command(v, 176, 1, 4, 4)
    run_until(v, clock, lambda: v.mission.reached == [0, 1], 200)
    assert v.state.landed_state is LandedState.ON_GROUND
    assert v.state.motion.north_m == pytest.approx(60.0, abs=1.0)
    run_until(v, clock, lambda: not v.state.armed, 5)


def test_pause_and_resume_and_set_current() -> None:
    v, clock = healthy_armed()
    load(v, [wp(0, 300, 20), wp(1, 0, 20)])
    command(v, 176, 1, 4, 4)
    advance(v, clock, 30.0)
    command(v, 176, 1, 4, 3)  # pause = hold
    north = v.state.motion.north_m
    advance(v, clock, 20.0)
    assert abs(v.state.motion.north_m - north) < 10.0 and v.state.mode is Px4Mode.HOLD
    assert v.mission.set_current(1)
    command(v, 176, 1, 4, 4)
    run_until(v, clock, lambda: v.mission.state is MissionState.COMPLETE, 200)
    assert v.mission.reached == [1]
    assert not v.mission.set_current(7)
