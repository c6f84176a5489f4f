"""Cameras over the whole district: a drone renders the scene of the place it is over, and the
district's ground everywhere else.

The sim camera renders one :class:`sim.camera.SceneMap` (a few hundred metres square) per renderer;
the district has several such places (:data:`sim.scenarios.PLACES`). :class:`SceneFrameSource` is a
:class:`payload.frames.FrameSource` that picks the scene the camera is over; between the scenes it
renders the procedural district (:class:`sim.camera.GroundRenderer`: streets, blocks, fields; no
incidents) at most once per ``ground_interval_s`` of wall time, like a camera's frame rate, so a
sped-up sim does not spend its CPU on frames of nothing. On the ground (no pose) there is no frame.
A clip (:meth:`SceneFrameSource.clip`) renders each frame over a scene at its own sim time and
pose; over the ground it holds only its newest frame (within the same interval). A preview (the live
view's picture, from its own thread) is the frame of now, as :meth:`SceneFrameSource.read`; the
ground's newest frame is shared under a lock, so the two threads render it at most once an interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence

from payload.frames import Take
from payload.georef import wgs84_to_offset
from payload.model import CameraModel, CameraPose, Frame, FrameKind
from sim.camera import CameraRenderer, GroundRenderer, RenderedFrameSource
from sim.scenarios import Place

#: Wall seconds between two frames of the district's ground: 2.5 fps, a little above the live
#: view's 2 Hz, at ≈ 0.25 of a core per airborne drone (bench.payload: ≈ 100 ms a frame pair).
GROUND_INTERVAL_S = 0.4
#: One district for every camera: it holds no state, only its seed.
DISTRICT_GROUND = GroundRenderer()


class SceneFrameSource:
    """A frame source that renders the scene of the place nearest to the camera (within the scene),
    the district's ground elsewhere (None: nothing there), and nothing on the ground."""

    def __init__(
        self,
        places: Mapping[str, tuple[Place, CameraRenderer]],
        kind: FrameKind,
        camera: CameraModel,
        pose_at: Callable[[float], CameraPose | None],
        clock: Callable[[], float],
        ground: GroundRenderer | None = DISTRICT_GROUND,
        ground_interval_s: float = GROUND_INTERVAL_S,
        wall_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pose_at = pose_at
        self._sources = [
            (place, renderer.scene.half_extent_m, RenderedFrameSource(renderer, kind, camera, pose_at, clock))
            for place, renderer in places.values()
        ]
        self._clock = clock
        self._kind, self._camera = kind, camera
        self._ground = ground
        self._ground_interval_s = ground_interval_s
        self._wall_clock = wall_clock
        self._last_ground: tuple[float, Frame] | None = None
        self._ground_lock = threading.Lock()
        self._closed = False

    def read(self) -> Frame | None:
        if self._closed:
            return None
        t_s = self._clock()
        pose = self._pose_at(t_s)
        if pose is None:
            return None
        source = self._scene_under(pose)
        if source is not None:
            with self._ground_lock:
                self._last_ground = None
            return source.read()
        return self._ground_frame(pose, t_s)

    def preview(self) -> Frame | None:
        """The frame of now (a :class:`payload.frames.PreviewSource`); it holds no state but the
        ground's newest frame, which :meth:`read` may return too (the same object)."""
        return self.read()

    def clip(self, times_s: Sequence[float]) -> list[Take]:
        takes: list[Take] = []
        for i, t_s in enumerate(times_s):
            pose = None if self._closed else self._pose_at(t_s)
            source = None if pose is None else self._scene_under(pose)
            if source is not None:
                takes.append(source.take(t_s, pose))
            elif pose is not None and i == len(times_s) - 1:
                takes.append(self._ground_take(pose, t_s))
            else:
                takes.append(_nothing)
        return takes

    def _ground_take(self, pose: CameraPose, t_s: float) -> Take:
        def develop() -> Frame | None:
            return self._ground_frame(pose, t_s)

        return develop

    def _scene_under(self, pose: CameraPose) -> RenderedFrameSource | None:
        for place, half_m, source in self._sources:
            north, east = wgs84_to_offset(place.lon_deg, place.lat_deg, pose.lon_deg, pose.lat_deg)
            if max(abs(float(north)), abs(float(east))) <= half_m:
                return source
        return None

    def _ground_frame(self, pose: CameraPose, t_s: float) -> Frame | None:
        if self._ground is None:
            return None
        with self._ground_lock:  # the detector and the live view: one render an interval
            now = self._wall_clock()
            last = self._last_ground
            if last is not None and now - last[0] < self._ground_interval_s:
                return last[1]  # the camera's newest frame (the same object: nobody takes it as new)
            frame = self._ground.frame(self._kind, self._camera, pose, t_s)
            self._last_ground = (now, frame)
            return frame

    def close(self) -> None:
        self._closed = True
        for _, _, source in self._sources:
            source.close()


def _nothing() -> Frame | None:
    return None
