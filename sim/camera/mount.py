"""The camera on a sim vehicle: its pose follows the vehicle's position, height and heading.

``gimbal`` holds the pitch and relative yaw the mission set (mutable, like a real gimbal); while the
vehicle orbits (PX4 ORBIT) the camera looks at the circle's centre, as PX4's default orbit yaw
(front to the centre) with the gimbal pitched down to it does, so what the orbit watches stays in
both cameras' view (from 100 m a nadir thermal camera sees ±28 m, less than a 40 m orbit). The
ground is taken as flat at the vehicle's home altitude, so the height above ground is the vehicle's
``up_m``. On the ground (below ``min_agl_m``) the camera sees no scene and the pose is None.
A pose a few seconds before (or after) the vehicle's clock is its state carried back along its
velocity, heading held: the frames of a short clip (:class:`payload.frames.ClipSource`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from payload.model import CameraPose
from sim.vehicle.flight_modes import Px4Mode
from sim.vehicle.vehicle import Vehicle

#: The steepest and the shallowest pitch the gimbal takes to look at an orbit's centre.
CENTRE_PITCH_RANGE_DEG = (-90.0, -20.0)


@dataclass
class Gimbal:
    pitch_deg: float = -90.0
    yaw_deg: float = 0.0
    look_at_orbit_centre: bool = True


def vehicle_camera_pose(
    vehicle: Vehicle, gimbal: Gimbal | None = None, min_agl_m: float = 2.0
) -> Callable[[float], CameraPose | None]:
    """A ``pose_at(t_s)`` for :class:`sim.camera.RenderedFrameSource` that reads the vehicle's state."""
    g = gimbal or Gimbal()

    def pose_at(t_s: float) -> CameraPose | None:
        m = vehicle.state.motion
        dt_s = t_s - vehicle.now_s()
        if abs(dt_s) < 1e-3:
            dt_s = 0.0
        up_m = m.up_m + m.v_up_mps * dt_s
        if m.up_m < min_agl_m or up_m < min_agl_m:
            return None
        north_m, east_m = m.north_m + m.v_north_mps * dt_s, m.east_m + m.v_east_mps * dt_s
        lat, lon = vehicle.frame.to_global(north_m, east_m)
        pitch_deg, yaw_deg = g.pitch_deg, g.yaw_deg
        orbit = vehicle.nav.orbit
        if g.look_at_orbit_centre and vehicle.state.mode is Px4Mode.ORBIT and orbit is not None:
            dn, de = orbit.north_m - north_m, orbit.east_m - east_m
            lo, hi = CENTRE_PITCH_RANGE_DEG
            pitch_deg = min(max(-math.degrees(math.atan2(up_m, math.hypot(dn, de))), lo), hi)
            yaw_deg = (math.degrees(math.atan2(de, dn)) - m.heading_deg + 180.0) % 360.0 - 180.0
        return CameraPose(lon, lat, up_m, m.heading_deg % 360.0, pitch_deg, yaw_deg)

    return pose_at
