"""Cameras over several sim scenes: a drone renders the scene of the place it is over.

The sim camera renders one :class:`sim.camera.SceneMap` (a few hundred metres square) per renderer;
the district has several such places (:data:`sim.scenarios.PLACES`). :class:`SceneFrameSource` is a
:class:`payload.frames.FrameSource` that picks the scene the camera is over, and gives no frame
elsewhere or on the ground.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from payload.georef import wgs84_to_offset
from payload.model import CameraModel, CameraPose, Frame, FrameKind
from sim.camera import CameraRenderer, RenderedFrameSource
from sim.scenarios import Place


class SceneFrameSource:
    """A frame source that renders the scene of the place nearest to the camera (within the scene),
    and nothing elsewhere or on the ground."""

    def __init__(
        self,
        places: Mapping[str, tuple[Place, CameraRenderer]],
        kind: FrameKind,
        camera: CameraModel,
        pose_at: Callable[[float], CameraPose | None],
        clock: Callable[[], float],
    ) -> None:
        self._pose_at = pose_at
        self._sources = [
            (place, renderer.scene.half_extent_m, RenderedFrameSource(renderer, kind, camera, pose_at, clock))
            for place, renderer in places.values()
        ]
        self._clock = clock

    def read(self) -> Frame | None:
        pose = self._pose_at(self._clock())
        if pose is None:
            return None
        for place, half_m, source in self._sources:
            north, east = wgs84_to_offset(place.lon_deg, place.lat_deg, pose.lon_deg, pose.lat_deg)
            if max(abs(float(north)), abs(float(east))) <= half_m:
                return source.read()
        return None

    def close(self) -> None:
        for _, _, source in self._sources:
            source.close()
