"""The sim camera over the district between the scenes: RGB and radiometric thermal frames of the
procedural ground (:mod:`sim.camera.district`) from a drone's pose.

The projection is the scene renderer's (:func:`sim.camera.renderer.pixel_ground_offsets`): each
pixel's ray meets the flat ground, and the district's raster of the footprint (drawn at about the
ground sample distance, anchored to the world) is sampled there. Sky above the horizon, haze beyond
``max_range_m``. Sensor noise and blur as in the scene renderer, the noise cut from a fixed bank
(cheaper than drawing a fresh frame of normals). No incidents: they happen in the scenes.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from payload.georef import gsd_m, wgs84_to_offset
from payload.model import CameraModel, CameraPose, Frame, FrameKind
from sim.camera.district import DISTRICT_ORIGIN, PALETTE_BGR, TEMPERATURE_C, District, Ortho
from sim.camera.renderer import (
    RGB_NOISE,
    SKY_BGR,
    SKY_C,
    THERMAL_NOISE_K,
    THERMAL_PSF_SIGMA_PX,
    pixel_ground_offsets,
)

F32 = npt.NDArray[np.float32]
B = npt.NDArray[np.bool_]
U8 = npt.NDArray[np.uint8]

MIN_RES_M = 0.1
MAX_RASTER_PX = 3000
HAZE_BGR = np.median(PALETTE_BGR, axis=0)
HAZE_C = float(np.median(TEMPERATURE_C))


@functools.lru_cache(maxsize=4)
def _noise_bank(height_px: int, width_px: int, channels: int) -> F32:
    """Unit normal noise a little larger than a frame; frames take shifted crops of it."""
    rng = np.random.default_rng(20261204)
    bank = rng.standard_normal((height_px + 64, width_px + 64, channels), dtype=np.float32)
    bank.flags.writeable = False
    return bank


def _sensor_noise(shape: tuple[int, ...], *seed: object) -> F32:
    h, w = shape[:2]
    bank = _noise_bank(h, w, shape[2] if len(shape) == 3 else 1)
    key = int.from_bytes(hashlib.sha256(repr(seed).encode()).digest()[:4], "little")
    dy, dx = key % 64, (key >> 8) % 64
    crop = bank[dy : dy + h, dx : dx + w]
    return crop if len(shape) == 3 else crop[..., 0]


def raster_res_m(camera: CameraModel, pose: CameraPose, extent_m: float) -> float:
    """The raster's resolution: a power-of-two multiple of 0.1 m not coarser than the ground sample
    distance at the image centre, nor finer than ``MAX_RASTER_PX`` over ``extent_m``."""
    across, along = gsd_m(camera, pose)
    finest = min(across, along) if math.isfinite(along) else across
    res = MIN_RES_M
    while res * 2 <= finest:
        res *= 2
    while extent_m / res > MAX_RASTER_PX:
        res *= 2
    return res


class GroundRenderer:
    """Draws the district for any camera and pose; the same place looks the same from every pose."""

    def __init__(self, district: District | None = None, max_range_m: float = 600.0) -> None:
        self.district = district or District()
        self.max_range_m = max_range_m

    def offset_of(self, lon_deg: float, lat_deg: float) -> tuple[float, float]:
        """(east_m, north_m) of a WGS84 point in the district's world."""
        n, e = wgs84_to_offset(DISTRICT_ORIGIN[0], DISTRICT_ORIGIN[1], lon_deg, lat_deg)
        return float(e), float(n)

    def _footprint(self, camera: CameraModel, pose: CameraPose) -> _Sampling:
        de, dn = self.offset_of(pose.lon_deg, pose.lat_deg)
        e, n = pixel_ground_offsets(camera, pose)
        corners = (np.array([0, 0, -1, -1]), np.array([0, -1, 0, -1]))
        ce, cn = e[corners], n[corners]
        haze: F32 | None = None
        sky: B | None = None
        if np.all(np.isfinite(ce)) and float(np.hypot(ce, cn).max()) <= 0.8 * self.max_range_m:
            # all of the footprint (the quadrilateral of the corners) is near, e.g. looking down
            box = (float(ce.min()), float(cn.min()), float(ce.max()), float(cn.max()))
        else:
            finite = np.isfinite(e)
            sky = ~finite
            rng_m = np.where(finite, np.hypot(e, n), np.inf)
            fade = (rng_m - 0.8 * self.max_range_m) / (0.2 * self.max_range_m)
            haze = np.clip(fade, 0.0, 1.0).astype(np.float32)
            seen = rng_m <= self.max_range_m
            e, n = np.where(finite, e, 0.0), np.where(finite, n, 0.0)
            if not seen.any():
                return _Sampling(None, e.astype(np.float32), n.astype(np.float32), haze, sky)
            box = (float(e[seen].min()), float(n[seen].min()), float(e[seen].max()), float(n[seen].max()))
        margin_m = 2.0
        e0, n0 = box[0] + de - margin_m, box[1] + dn - margin_m
        e1, n1 = box[2] + de + margin_m, box[3] + dn + margin_m
        res = raster_res_m(camera, pose, max(e1 - e0, n1 - n0))
        ortho = self.district.ortho(e0, n0, e1, n1, res)
        col = (e * (1.0 / res)).astype(np.float32)
        col += np.float32((de - ortho.east0_m) / res - 0.5)
        row = (n * (-1.0 / res)).astype(np.float32)
        row += np.float32((ortho.north1_m - dn) / res - 0.5)
        return _Sampling(ortho, col, row, haze, sky)

    def render_rgb(self, camera: CameraModel, pose: CameraPose, t_s: float) -> U8:
        """A BGR uint8 image."""
        s = self._footprint(camera, pose)
        if s.ortho is None:
            img = np.empty((camera.height_px, camera.width_px, 3), np.float32)
            img[:] = HAZE_BGR
        else:
            img = s.sample(s.ortho.colour())
            noise, amplitude = self.district.texture(s.ortho, s.col, s.row, s.ortho.res_m <= 0.25)
            img += (amplitude * noise)[..., None]
        if s.haze is not None:
            img += (HAZE_BGR - img) * s.haze[..., None]
        if s.sky is not None:
            img[s.sky] = SKY_BGR
        img += RGB_NOISE * _sensor_noise(img.shape, "rgb", t_s, pose)
        img = np.asarray(cv2.GaussianBlur(img, (0, 0), 0.5), dtype=np.float32)
        return np.clip(img, 0, 255).astype(np.uint8)

    def render_thermal(self, camera: CameraModel, pose: CameraPose, t_s: float) -> F32:
        """Radiometric °C per pixel (float32)."""
        s = self._footprint(camera, pose)
        if s.ortho is None:
            temp = np.full((camera.height_px, camera.width_px), HAZE_C, np.float32)
        else:
            temp = s.sample(s.ortho.temperature())
            noise, amplitude = self.district.texture(s.ortho, s.col, s.row, s.ortho.res_m <= 0.25)
            temp += 0.03 * amplitude * noise
        if s.haze is not None:
            temp += (HAZE_C - temp) * s.haze
        if s.sky is not None:
            temp[s.sky] = SKY_C
        temp = np.asarray(cv2.GaussianBlur(temp, (0, 0), THERMAL_PSF_SIGMA_PX), dtype=np.float32)
        temp += THERMAL_NOISE_K * _sensor_noise(temp.shape, "ir", t_s, pose)
        return temp

    def frame(self, kind: FrameKind, camera: CameraModel, pose: CameraPose, t_s: float) -> Frame:
        image = (
            self.render_rgb(camera, pose, t_s)
            if kind is FrameKind.RGB
            else self.render_thermal(camera, pose, t_s)
        )
        return Frame(image, kind, t_s, camera, pose)


@dataclass
class _Sampling:
    """The raster under a view and where each pixel samples it; ``haze`` (0 near … 1 far) and
    ``sky`` only when some of the view is far or above the horizon."""

    ortho: Ortho | None
    col: F32
    row: F32
    haze: F32 | None
    sky: B | None

    def sample(self, raster: U8 | F32) -> F32:
        out = cv2.remap(raster, self.col, self.row, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return np.asarray(out, np.float32)
