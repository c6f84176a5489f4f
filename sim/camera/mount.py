"""The camera on a sim vehicle: its pose follows the vehicle's position, height and heading.

``gimbal`` holds the pitch and relative yaw the mission set (mutable, like a real gimbal); the ground
is taken as flat at the vehicle's home altitude, so the height above ground is the vehicle's
``up_m``. On the ground (below ``min_agl_m``) the camera sees no scene and the pose is None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from payload.model import CameraPose
from sim.vehicle.vehicle import Vehicle


@dataclass
class Gimbal:
    pitch_deg: float = -90.0
    yaw_deg: float = 0.0


def vehicle_camera_pose(
    vehicle: Vehicle, gimbal: Gimbal | None = None, min_agl_m: float = 2.0
) -> Callable[[float], CameraPose | None]:
    """A ``pose_at(t_s)`` for :class:`sim.camera.RenderedFrameSource` that reads the vehicle's state."""
    g = gimbal or Gimbal()

    def pose_at(t_s: float) -> CameraPose | None:
        m = vehicle.state.motion
        if m.up_m < min_agl_m:
            return None
        lat, lon = vehicle.frame.to_global(m.north_m, m.east_m)
        return CameraPose(lon, lat, m.up_m, m.heading_deg % 360.0, g.pitch_deg, g.yaw_deg)

    return pose_at
