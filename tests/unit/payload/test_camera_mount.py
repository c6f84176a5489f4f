"""The sim camera follows the sim vehicle's position, height and heading; while orbiting it looks at
the circle's centre; a clip's earlier frames go back along the velocity."""

from __future__ import annotations

import math

import pytest

from sim.camera.mount import Gimbal, vehicle_camera_pose
from sim.clock import SimClock
from sim.vehicle.flight_modes import Px4Mode
from sim.vehicle.navigator import OrbitTarget
from sim.vehicle.vehicle import Vehicle, VehicleConfig


def test_pose_follows_the_vehicle() -> None:
    vehicle = Vehicle(VehicleConfig(34.8, 113.755, 95.0, local_port=0), SimClock())
    gimbal = Gimbal(pitch_deg=-60.0)
    pose_at = vehicle_camera_pose(vehicle, gimbal)
    assert pose_at(0.0) is None  # on the ground
    m = vehicle.state.motion
    m.north_m, m.east_m, m.up_m, m.heading_deg = 111.0, -50.0, 80.0, 370.0
    pose = pose_at(1.0)
    assert pose is not None
    assert pose.lat_deg == pytest.approx(34.8 + 111.0 / 111_195, abs=2e-6)
    assert pose.lon_deg < 113.755 and pose.agl_m == 80.0
    assert pose.heading_deg == pytest.approx(10.0) and pose.pitch_deg == -60.0
    gimbal.pitch_deg = -90.0
    assert pose_at(2.0).pitch_deg == -90.0  # type: ignore[union-attr]


def test_orbiting_camera_looks_at_the_centre_and_a_clip_goes_back_along_the_velocity() -> None:
    clock = SimClock(start_s=100.0)
    vehicle = Vehicle(VehicleConfig(34.8, 113.755, 95.0, local_port=0), clock)
    pose_at = vehicle_camera_pose(vehicle, Gimbal())
    m = vehicle.state.motion
    m.north_m, m.east_m, m.up_m, m.heading_deg = 0.0, 40.0, 100.0, 0.0  # east of the centre, going north
    m.v_north_mps = 4.0
    vehicle.nav.orbit = OrbitTarget(0.0, 0.0, 100.0, 40.0, 4.0)
    vehicle.state.mode = Px4Mode.ORBIT
    now = clock.now_s()
    pose = pose_at(now)
    assert pose is not None
    assert pose.pitch_deg == pytest.approx(-math.degrees(math.atan2(100.0, 40.0)), abs=0.01)
    assert pose.azimuth_deg == pytest.approx(270.0, abs=0.5)  # west, at the centre
    earlier = pose_at(now - 2.0)
    assert earlier is not None  # 8 m further south, still looking at the centre
    assert (pose.lat_deg - earlier.lat_deg) * 111_195 == pytest.approx(8.0, abs=0.05)
    assert earlier.azimuth_deg == pytest.approx(270.0 + math.degrees(math.atan2(8.0, 40.0)), abs=0.5)
    vehicle.state.mode = Px4Mode.HOLD
    assert pose_at(now).pitch_deg == -90.0  # type: ignore[union-attr]  # else where the mission set it
