"""The sim camera: RGB and radiometric thermal frames of the sim world from a drone's pose."""

from sim.camera.district import District
from sim.camera.ground import GroundRenderer
from sim.camera.mount import Gimbal, vehicle_camera_pose
from sim.camera.renderer import CameraRenderer, RenderedFrameSource
from sim.camera.world import Road, SceneMap, lakeside_scene

__all__ = [
    "CameraRenderer",
    "District",
    "Gimbal",
    "GroundRenderer",
    "RenderedFrameSource",
    "Road",
    "SceneMap",
    "lakeside_scene",
    "vehicle_camera_pose",
]
