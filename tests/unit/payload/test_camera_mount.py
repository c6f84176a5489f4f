"""The sim camera follows the sim vehicle's position, height and heading."""

from __future__ import annotations

import pytest

from sim.camera.mount import Gimbal, vehicle_camera_pose
from sim.clock import SimClock
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
