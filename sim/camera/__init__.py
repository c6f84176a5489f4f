"""The sim camera: RGB and radiometric thermal frames of the sim world from a drone's pose."""

from sim.camera.renderer import CameraRenderer, RenderedFrameSource
from sim.camera.world import Road, SceneMap, lakeside_scene

__all__ = ["CameraRenderer", "RenderedFrameSource", "Road", "SceneMap", "lakeside_scene"]
