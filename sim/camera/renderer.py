"""Render RGB and radiometric thermal frames of the sim world from a drone's camera pose.

Every pixel's ray is intersected with the flat ground (the payload's own georeferencing maths), the
ground rasters of the :class:`SceneMap` are sampled there, and the active incidents are drawn on top:
flames that flicker frame to frame with a smoke plume drifting downwind, people as warm bodies of
their true size (so their size in pixels follows the ground sample distance), crowds, stalls on a
road and ginger-orange decoys. Sensor noise and the thermal optics' blur come last.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable, Sequence

import cv2
import numpy as np
import numpy.typing as npt

from payload.frames import Take
from payload.georef import pixel_to_ned
from payload.model import CameraModel, CameraPose, Frame, FrameKind
from sim.camera.drawing import F64, View, blend, ellipse, rotated_box, wobbly_disc
from sim.camera.world import SceneMap
from sim.incidents import (
    PERSON_LENGTH_M,
    PERSON_WIDTH_M,
    STALL_LENGTH_M,
    STALL_WIDTH_M,
    Incident,
    IncidentKind,
)
from sim.weather import Weather

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

SKY_BGR = (215.0, 185.0, 150.0)
SKY_C = -20.0
CLOTHES_BGR = ((120, 60, 30), (40, 40, 190), (225, 225, 225), (35, 35, 35), (40, 190, 220), (60, 140, 60))
CANOPY_BGR = ((190, 100, 20), (40, 40, 200), (30, 170, 230), (140, 60, 140))
GINGER_BGR = (40.0, 125.0, 235.0)
FLAME_INNER_BGR = np.array([170.0, 240.0, 255.0])
FLAME_OUTER_BGR = np.array([20.0, 110.0, 250.0])
SMOKE_BGR = 165.0
THERMAL_PSF_SIGMA_PX = 1.0
THERMAL_NOISE_K = 0.05
RGB_NOISE = 2.0


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:8], "little")


@functools.lru_cache(maxsize=8)
def _pixel_centres(camera: CameraModel) -> tuple[F64, F64]:
    uu, vv = np.meshgrid(np.arange(camera.width_px) + 0.5, np.arange(camera.height_px) + 0.5)
    uu.flags.writeable = vv.flags.writeable = False
    return uu, vv


def pixel_ground_offsets(camera: CameraModel, pose: CameraPose) -> tuple[F64, F64]:
    """(east_m, north_m) from the drone of every pixel centre's ground point (flat ground; NaN at
    or above the horizon): the projection every sim camera renders through."""
    uu, vv = _pixel_centres(camera)
    n, e = pixel_to_ned(camera, pose, uu, vv)
    return e, n


class CameraRenderer:
    """Draws the sim world for any camera and pose at sim time ``t_s``."""

    def __init__(
        self, scene: SceneMap, incidents: Sequence[Incident] = (), weather: Weather | None = None
    ) -> None:
        self.scene = scene
        self.incidents = list(incidents)
        self.weather = weather or Weather()

    def _view(self, camera: CameraModel, pose: CameraPose) -> tuple[View, F64, F64]:
        de, dn = self.scene.offset_of(pose.lon_deg, pose.lat_deg)
        e, n = pixel_ground_offsets(camera, pose)
        return View(camera, pose, de, dn), e + de, n + dn

    def _sample(
        self,
        raster: npt.NDArray[np.uint8] | npt.NDArray[np.float32],
        east: F64,
        north: F64,
        sky: float | tuple[float, ...],
    ) -> F32:
        col, row = self.scene.to_raster(np.nan_to_num(east, nan=-1e6), np.nan_to_num(north, nan=-1e6))
        out = cv2.remap(raster, col, row, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        result = np.asarray(out, dtype=np.float32)
        result[~np.isfinite(east)] = np.asarray(sky, dtype=np.float32)
        return result

    def render_rgb(self, camera: CameraModel, pose: CameraPose, t_s: float) -> U8:
        """A BGR uint8 image."""
        view, east, north = self._view(camera, pose)
        img = self._sample(self.scene.colour, east, north, SKY_BGR)
        for incident in self.incidents:
            if incident.active(t_s):
                self._draw_rgb(img, view, incident, t_s)
        rng = np.random.default_rng(_seed("rgb", t_s, pose))
        img += rng.normal(0.0, RGB_NOISE, img.shape).astype(np.float32)
        img = np.asarray(cv2.GaussianBlur(img, (0, 0), 0.5), dtype=np.float32)
        return np.clip(img, 0, 255).astype(np.uint8)

    def render_thermal(self, camera: CameraModel, pose: CameraPose, t_s: float) -> F32:
        """Radiometric °C per pixel (float32)."""
        view, east, north = self._view(camera, pose)
        temp = self._sample(self.scene.temperature, east, north, SKY_C)
        for incident in self.incidents:
            if incident.active(t_s):
                self._draw_thermal(temp, view, incident, t_s)
        temp = np.asarray(cv2.GaussianBlur(temp, (0, 0), THERMAL_PSF_SIGMA_PX), dtype=np.float32)
        rng = np.random.default_rng(_seed("ir", t_s, pose))
        temp += rng.normal(0.0, THERMAL_NOISE_K, temp.shape).astype(np.float32)
        return temp

    def frame(self, kind: FrameKind, camera: CameraModel, pose: CameraPose, t_s: float) -> Frame:
        image = (
            self.render_rgb(camera, pose, t_s)
            if kind is FrameKind.RGB
            else self.render_thermal(camera, pose, t_s)
        )
        return Frame(image, kind, t_s, camera, pose)

    # -- incidents ------------------------------------------------------------------------------

    def _members(self, incident: Incident) -> list[tuple[float, float, float]]:
        ce, cn = self.scene.offset_of(incident.lon_deg, incident.lat_deg)
        return [(ce + m.east_m, cn + m.north_m, m.heading_deg) for m in incident.members()]

    def _flames(
        self, incident: Incident, t_s: float
    ) -> tuple[float, float, tuple[float, float, float], float]:
        ce, cn = self.scene.offset_of(incident.lon_deg, incident.lat_deg)
        rng = np.random.default_rng(_seed(incident.incident_id, round(t_s * 1000)))
        phases = (float(rng.uniform(0, 6.3)), float(rng.uniform(0, 6.3)), float(rng.uniform(0, 6.3)))
        return ce, cn, phases, float(rng.uniform(0.8, 1.0))

    def _smoke_puffs(self, incident: Incident, t_s: float) -> list[tuple[float, float, float, float]]:
        """(east, north, radius, opacity) of the plume's puffs, drifting downwind and growing."""
        ce, cn = self.scene.offset_of(incident.lon_deg, incident.lat_deg)
        wind = self.weather.wind_at(incident.lon_deg, incident.lat_deg, 10.0, t_s)
        speed = max(wind.speed_mps, 1.0)
        ue, un = (wind.east_mps / speed, wind.north_mps / speed) if wind.speed_mps > 0.1 else (0.6, 0.8)
        spacing = max(incident.size_m * 0.8, 1.0)
        age = t_s - incident.start_s
        shift = (age * speed) % spacing
        puffs = []
        for i in range(8):
            d = i * spacing + shift + incident.size_m / 2
            if d > age * speed + incident.size_m / 2:
                break
            r = incident.size_m * 0.6 + 0.3 * d
            wob = math.sin(t_s * 2.1 + i) * 0.15 * r
            puffs.append((ce + ue * d - un * wob, cn + un * d + ue * wob, r, max(0.75 - 0.07 * i, 0.2)))
        return puffs

    def _draw_rgb(self, img: F32, view: View, incident: Incident, t_s: float) -> None:
        kind = incident.kind
        if kind is IncidentKind.FIRE:
            if incident.smoke:
                for e, n, r, opacity in self._smoke_puffs(incident, t_s):
                    ce, cn, inside = ellipse(e, n, 2 * r, 2 * r, 0.0)
                    window = view.pixel_window(ce, cn)
                    if window:
                        frac, _, _ = view.coverage(window, inside)
                        blend(img, window, frac * opacity, np.full(3, SMOKE_BGR))
            e0, n0, phases, bright = self._flames(incident, t_s)
            radius = incident.size_m / 2
            ce, cn, inside = wobbly_disc(e0, n0, radius, phases, 0.3)
            window = view.pixel_window(ce, cn)
            if window:
                frac, ge, gn = view.coverage(window, inside)
                rel = np.clip(np.hypot(ge - e0, gn - n0) / (radius * 1.3), 0, 1)[..., None]
                colour = (FLAME_INNER_BGR * (1 - rel) + FLAME_OUTER_BGR * rel) * bright
                blend(img, window, frac, colour)
        elif kind in (IncidentKind.PERSON, IncidentKind.CROWD):
            for i, (e, n, heading) in enumerate(self._members(incident)):
                self._shape(
                    img, view, ellipse(e, n, PERSON_LENGTH_M, PERSON_WIDTH_M, heading), CLOTHES_BGR[i % 6]
                )
                self._shape(img, view, ellipse(e, n, 0.22, 0.2, heading), (30, 35, 45))
        elif kind is IncidentKind.STALLS:
            for i, (e, n, heading) in enumerate(self._members(incident)):
                box = rotated_box(e, n, STALL_LENGTH_M, STALL_WIDTH_M, heading + 90.0)
                self._shape(img, view, box, CANOPY_BGR[i % 4])
                stripe = rotated_box(e, n, STALL_LENGTH_M, STALL_WIDTH_M / 3, heading + 90.0)
                self._shape(img, view, stripe, (235, 235, 235))
        elif kind is IncidentKind.DECOY:
            self._shape(
                img,
                view,
                rotated_box(
                    *self._members(incident)[0][:2],
                    incident.size_m,
                    incident.size_m * 0.7,
                    incident.heading_deg,
                ),
                GINGER_BGR,
            )

    def _draw_thermal(self, temp: F32, view: View, incident: Incident, t_s: float) -> None:
        kind = incident.kind
        if kind is IncidentKind.FIRE:
            e0, n0, phases, bright = self._flames(incident, t_s)
            radius = incident.size_m / 2
            ce, cn, inside = wobbly_disc(e0, n0, radius, phases, 0.3)
            window = view.pixel_window(ce, cn)
            if window:
                frac, ge, gn = view.coverage(window, inside)
                rel = np.clip(np.hypot(ge - e0, gn - n0) / (radius * 1.3), 0, 1)
                blend(temp, window, frac, incident.temperature_c * bright * (1 - 0.6 * rel))
        elif kind in (IncidentKind.PERSON, IncidentKind.CROWD):
            for e, n, heading in self._members(incident):
                self._shape(
                    temp,
                    view,
                    ellipse(e, n, PERSON_LENGTH_M, PERSON_WIDTH_M, heading),
                    incident.temperature_c,
                )
                self._shape(temp, view, ellipse(e, n, 0.22, 0.2, heading), incident.temperature_c + 1.5)
        elif kind is IncidentKind.STALLS:
            for e, n, heading in self._members(incident):
                box = rotated_box(e, n, STALL_LENGTH_M, STALL_WIDTH_M, heading + 90.0)
                self._shape(temp, view, box, incident.temperature_c)
        elif kind is IncidentKind.DECOY:
            e, n, _ = self._members(incident)[0]
            box = rotated_box(e, n, incident.size_m, incident.size_m * 0.7, incident.heading_deg)
            self._shape(temp, view, box, incident.temperature_c)

    @staticmethod
    def _shape(
        image: F32,
        view: View,
        shape: tuple[F64, F64, Callable[[F64, F64], npt.NDArray[np.bool_]]],
        value: object,
    ) -> None:
        ce, cn, inside = shape
        window = view.pixel_window(ce, cn)
        if window:
            frac, _, _ = view.coverage(window, inside)
            blend(image, window, frac, np.asarray(value, dtype=np.float64))


class RenderedFrameSource:
    """A :class:`payload.frames.ClipSource` over the renderer: the pose comes from the sim vehicle
    (``pose_at``), the time from the sim clock (``clock``); a clip's frames are rendered at their
    own sim times (the flames flicker between them), each when it is developed. Also a
    :class:`payload.frames.PreviewSource`: a preview is the frame rendered now, as :meth:`read`
    (it holds no state: the renderer only reads its scene, so two threads may render at once)."""

    def __init__(
        self,
        renderer: CameraRenderer,
        kind: FrameKind,
        camera: CameraModel,
        pose_at: Callable[[float], CameraPose | None],
        clock: Callable[[], float],
    ) -> None:
        self._renderer = renderer
        self._kind = kind
        self._camera = camera
        self._pose_at = pose_at
        self._clock = clock
        self._closed = False

    def read(self) -> Frame | None:
        if self._closed:
            return None
        t_s = self._clock()
        pose = self._pose_at(t_s)
        if pose is None:
            return None
        return self._renderer.frame(self._kind, self._camera, pose, t_s)

    def preview(self) -> Frame | None:
        return self.read()

    def clip(self, times_s: Sequence[float]) -> list[Take]:
        return [self.take(t_s, None if self._closed else self._pose_at(t_s)) for t_s in times_s]

    def take(self, t_s: float, pose: CameraPose | None) -> Take:
        """The frame at ``t_s`` from ``pose``, rendered when developed."""

        def develop() -> Frame | None:
            if pose is None or self._closed:
                return None
            return self._renderer.frame(self._kind, self._camera, pose, t_s)

        return develop

    def close(self) -> None:
        self._closed = True
