"""The sim vehicle's geofence, as PX4 enforces it: the East station keep-out zone of the reference district
uploaded as an exclusion fence, a straight return through it, and what stops (or does not stop) the drone."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from pymavlink.dialects.v20 import common as mavlink2
from shapely.geometry import Point, Polygon

from sim.vehicle.commands import ACCEPTED, handle_message
from sim.vehicle.flight_modes import Px4Mode
from sim.vehicle.geofence import (
    FENCE_POLYGON_EXCLUSION,
    BreachCheck,
    Fence,
    FenceError,
    check_breach,
    fence_from_items,
)
from sim.vehicle.mission import MISSION_TYPE_FENCE, MissionItem
from sim.vehicle.model import LandedState, LocalFrame
from sim.vehicle.vehicle import Vehicle, VehicleConfig
from tests.unit.sim.vehicle_helpers import ManualClock, command

KEEPOUT = Path(__file__).resolve().parents[3] / "config" / "keepout.geojson"
RTL, REPOSITION, ORBIT, TAKEOFF, ARM = 20, 192, 34, 22, 400
#: Home 850 m west of the East station zone; the far side 680 m east of it, on the same latitude.
HOME_LAT, HOME_LON, HOME_ALT = 34.7601, 113.7560, 95.0
FAR_LAT, FAR_LON = 34.7601, 113.7880


def east_station_ring() -> list[tuple[float, float]]:
    doc = json.loads(KEEPOUT.read_text(encoding="utf-8"))
    zone = next(f for f in doc["features"] if f["properties"]["id"] == "zz-east-station")
    return [(float(lon), float(lat)) for lon, lat in zone["geometry"]["coordinates"][0][:-1]]


def fence_items(
    ring: list[tuple[float, float]], command_id: int = FENCE_POLYGON_EXCLUSION
) -> list[MissionItem]:
    return [
        MissionItem(
            i,
            5,
            command_id,
            0,
            1,
            float(len(ring)),
            0.0,
            0.0,
            0.0,
            round(lat * 1e7),
            round(lon * 1e7),
            0.0,
            1,
        )
        for i, (lon, lat) in enumerate(ring)
    ]


class Flight:
    """A vehicle west of the zone with the zone uploaded as its fence, and a watch on the zone."""

    def __init__(self, **params: float) -> None:
        self.clock = ManualClock()
        base = {"MPC_XY_CRUISE": 12.0, "GF_PREDICT": 1, "GF_ACTION": 2, "COM_DL_LOSS_T": 10}
        cfg = VehicleConfig(HOME_LAT, HOME_LON, HOME_ALT, params={**base, **params})
        self.v = Vehicle(cfg, self.clock)
        self.zone_lonlat = Polygon(east_station_ring())
        self.entered = False
        self.v.set_fence(fence_items(east_station_ring()))

    def lonlat(self) -> tuple[float, float]:
        lat, lon = self.v.frame.to_global(self.v.state.motion.north_m, self.v.state.motion.east_m)
        return lon, lat

    def inside(self) -> bool:
        return bool(self.zone_lonlat.covers(Point(*self.lonlat())))

    def edge_distance_m(self) -> float:
        """Distance from the vehicle to the zone's outline, in the vehicle's local metres."""
        local = Polygon([self.v.frame.to_local(lat, lon) for lon, lat in east_station_ring()])
        m = self.v.state.motion
        return float(local.exterior.distance(Point(m.north_m, m.east_m)))

    def tick(self, seconds: float) -> None:
        end = self.clock.t_s + seconds
        while self.clock.t_s < end - 1e-9:
            self.clock.t_s += 0.1
            self.v.tick()
            self.entered = self.entered or self.inside()

    def until(self, cond: Callable[[], bool], limit_s: float) -> None:
        start = self.clock.t_s
        while not cond():
            assert self.clock.t_s - start < limit_s, f"not within {limit_s} sim s"
            self.tick(0.1)

    def take_off_and_fly_to_far_side(self) -> None:
        v = self.v
        self.tick(v.config.health_delay_s + 0.5)
        assert command(v, ARM, 1.0) == ACCEPTED
        assert command(v, TAKEOFF, alt=HOME_ALT + 40) == ACCEPTED
        self.until(lambda: v.state.mode is Px4Mode.HOLD, 120)
        # around the zone's north side (the fence holds a straight go-to too)
        for lat, lon in ((34.7680, 113.7600), (34.7680, FAR_LON), (FAR_LAT, FAR_LON)):
            command(v, REPOSITION, lat=lat, lon=lon, alt=HOME_ALT + 40, is_int=True, frame=5)
            self.until(_arrived(v, v.frame.to_local(lat, lon)), 600)
        assert not self.entered

    def cut_link_after_heartbeats(self) -> None:
        """A GCS heartbeat is heard, then nothing: NAV_DLL_ACT after COM_DL_LOSS_T (+ COM_FAIL_ACT_T)."""
        self.v.failsafe.min_link_wall_s = 0.0
        gcs = mavlink2.MAVLink(None, srcSystem=245, srcComponent=190)
        parsed = mavlink2.MAVLink(None).parse_buffer(gcs.heartbeat_encode(6, 8, 0, 0, 0).pack(gcs))
        assert parsed is not None
        handle_message(self.v, parsed[0])


def _arrived(v: Vehicle, target: tuple[float, float]) -> Callable[[], bool]:
    def there() -> bool:
        m = v.state.motion
        return math.hypot(m.north_m - target[0], m.east_m - target[1]) < 3 and m.ground_speed_mps < 0.3

    return there


def test_commanded_return_through_the_zone_holds_at_its_edge_outside() -> None:
    f = Flight()
    f.take_off_and_fly_to_far_side()
    assert command(f.v, RTL) == ACCEPTED  # mission control's own return: straight home, through the zone
    f.until(lambda: f.v.state.mode is Px4Mode.HOLD, 300)
    f.until(lambda: f.v.state.motion.ground_speed_mps < 0.1, 60)
    f.tick(20.0)
    assert not f.entered
    assert f.v.state.mode is Px4Mode.HOLD and f.v.state.in_air
    assert 0.5 < f.edge_distance_m() < 15.0  # stopped just short of the fence
    assert any("geofence violation, hold" in s for s in f.v.status_log)


def test_without_prediction_the_breach_is_seen_inside_the_zone() -> None:
    f = Flight(GF_PREDICT=0)
    f.take_off_and_fly_to_far_side()
    command(f.v, RTL)
    f.until(lambda: f.v.state.mode is Px4Mode.HOLD, 300)
    f.tick(20.0)
    assert f.inside() and f.v.state.mode is Px4Mode.HOLD  # PX4 holds where it noticed: inside
    assert f.edge_distance_m() < 40.0


def test_link_loss_return_is_not_stopped_by_a_hold_on_breach() -> None:
    """PX4 flies the most severe active failsafe: its link-loss return outranks the fence's hold."""
    f = Flight(NAV_DLL_ACT=2, GF_ACTION=2)
    f.take_off_and_fly_to_far_side()
    f.cut_link_after_heartbeats()
    f.until(lambda: f.v.state.mode is Px4Mode.RETURN, 60)
    f.until(lambda: f.v.state.landed_state is LandedState.ON_GROUND, 900)
    assert f.entered  # straight through the zone, as PX4 would
    assert any(s.startswith("Geofence violation") for s in f.v.status_log)


def test_link_loss_return_lands_short_of_the_zone_with_gf_action_land() -> None:
    f = Flight(NAV_DLL_ACT=2, GF_ACTION=5)
    f.take_off_and_fly_to_far_side()
    f.cut_link_after_heartbeats()
    f.until(lambda: f.v.state.mode is Px4Mode.RETURN, 60)
    f.until(lambda: f.v.state.mode is Px4Mode.LAND, 300)
    f.until(lambda: f.v.state.landed_state is LandedState.ON_GROUND, 300)
    assert not f.entered
    assert 0.5 < f.edge_distance_m() < 20.0
    assert any("geofence violation, land" in s for s in f.v.status_log)


def test_a_gcs_mode_change_after_the_link_returns_ends_the_failsafe_and_the_fence_holds_again() -> None:
    f = Flight(NAV_DLL_ACT=2, GF_ACTION=2)
    f.take_off_and_fly_to_far_side()
    f.cut_link_after_heartbeats()
    f.until(lambda: f.v.state.mode is Px4Mode.RETURN, 60)
    assert command(f.v, RTL) == ACCEPTED  # link back: mission control takes over (here: its own return)
    f.until(lambda: f.v.state.mode is Px4Mode.HOLD, 300)
    f.tick(10.0)
    assert not f.entered


def test_an_orbit_crossing_the_zone_holds_at_its_edge() -> None:
    f = Flight()
    f.take_off_and_fly_to_far_side()
    # centre 300 m east of the zone's east edge, radius 400 m: the circle cuts through the zone
    command(f.v, ORBIT, 400.0, 12.0, lat=FAR_LAT, lon=113.7844, alt=HOME_ALT + 40, is_int=True, frame=5)
    f.until(lambda: f.v.state.mode is Px4Mode.HOLD, 600)
    f.tick(20.0)
    assert not f.entered and f.edge_distance_m() < 15.0


def test_max_horizontal_distance_holds_inside_the_radius() -> None:
    f = Flight(GF_MAX_HOR_DIST=500.0)
    f.v.set_fence([])
    f.tick(f.v.config.health_delay_s + 0.5)
    command(f.v, ARM, 1.0)
    command(f.v, TAKEOFF, alt=HOME_ALT + 40)
    f.until(lambda: f.v.state.mode is Px4Mode.HOLD, 120)
    command(f.v, REPOSITION, lat=HOME_LAT + 0.01, lon=HOME_LON, alt=HOME_ALT + 40, is_int=True, frame=5)
    f.until(lambda: f.v.state.motion.north_m > 100, 120)
    f.until(lambda: f.v.state.motion.ground_speed_mps < 0.1, 120)
    assert 400 < f.v.state.motion.north_m <= 500
    assert any("maximum distance" in s for s in f.v.status_log)


def test_fence_items_travel_through_the_mission_protocol_and_clear() -> None:
    f = Flight()
    f.v.set_fence([])
    gcs = mavlink2.MAVLink(None, srcSystem=245, srcComponent=190)

    def send(msg: mavlink2.MAVLink_message) -> None:
        parsed = mavlink2.MAVLink(None).parse_buffer(msg.pack(gcs))
        assert parsed is not None
        handle_message(f.v, parsed[0])

    items = fence_items(east_station_ring())
    send(gcs.mission_count_encode(1, 1, len(items), MISSION_TYPE_FENCE))
    for it in items:
        send(
            gcs.mission_item_int_encode(
                1, 1, it.seq, it.frame, it.command, 0, 1, it.param1, 0, 0, 0, it.x, it.y, 0.0, 1
            )
        )
    assert not f.v.fence.empty and f.v.mission.items == []  # stored as the fence, not as the mission
    send(gcs.mission_clear_all_encode(1, 1, MISSION_TYPE_FENCE))
    assert f.v.fence.empty


def test_fence_items_that_are_not_a_fence_are_refused() -> None:
    frame = LocalFrame(HOME_LAT, HOME_LON, HOME_ALT)
    with pytest.raises(FenceError, match="3 vertices"):
        fence_from_items(fence_items(east_station_ring()[:2]), frame)
    f = Flight()
    f.v.set_fence(fence_items(east_station_ring()[:2]))
    assert f.v.fence.empty and any("Geofence invalid" in s for s in f.v.status_log)


def test_breach_check_predicts_one_braking_distance_ahead() -> None:
    square = fence_from_items(
        fence_items([(0.0, 0.001), (0.001, 0.001), (0.001, 0.002), (0.0, 0.002)]), frame := _frame()
    )
    south_edge_n = frame.to_local(0.001, 0.0)[0]  # ~110.6 m north of the origin
    check = BreachCheck((0.0, 55.0), (10.0, 0.0), (0.0, 0.0), True, 0.0, 3.0)  # 10 m/s north: 18.7 m ahead
    assert check_breach(square, check) is None
    near = BreachCheck((south_edge_n - 15.0, 55.0), (10.0, 0.0), (0.0, 0.0), True, 0.0, 3.0)
    breach = check_breach(square, near)
    assert breach is not None and breach.stop_point[0] < south_edge_n
    assert check_breach(square, BreachCheck(near.position, (10.0, 0.0), (0.0, 0.0), False, 0.0, 3.0)) is None
    assert check_breach(Fence(), near) is None


def _frame() -> LocalFrame:
    return LocalFrame(0.0, 0.0, 0.0)
