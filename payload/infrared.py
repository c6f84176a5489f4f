"""Temperature measurement on radiometric frames (°C per pixel): a point and an area.

>>> import numpy as np
>>> t = np.full((4, 6), 20.0, dtype=np.float32); t[2, 3] = 80.0
>>> m = measure_area(t, (2, 1, 3, 3))
>>> (m.max_c, m.min_c, m.hottest_px)
(80.0, 20.0, (3, 2))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from payload.georef import BelowHorizonError, pixel_to_ground
from payload.model import AttitudeErrors, BBox, CameraModel, CameraPose


class MeasureError(ValueError):
    """A measurement outside the frame or on an empty area."""


@dataclass(frozen=True)
class AreaMeasurement:
    """Statistics of an area, and where its hottest pixel is (pixel and, with a pose, ground)."""

    max_c: float
    min_c: float
    mean_c: float
    hottest_px: tuple[int, int]
    hottest_lon_deg: float | None = None
    hottest_lat_deg: float | None = None
    hottest_uncertainty_m: float | None = None


def measure_point(temp_c: npt.NDArray[np.floating], u: float, v: float, radius_px: int = 0) -> float:
    """Temperature at pixel (u, v): the pixel itself, or the max within ``radius_px`` (spot meter)."""
    h, w = temp_c.shape
    iu, iv = math.floor(u), math.floor(v)
    if not (0 <= iu < w and 0 <= iv < h):
        raise MeasureError(f"point ({u:g}, {v:g}) outside the {w}x{h} frame")
    r = max(int(radius_px), 0)
    patch = temp_c[max(iv - r, 0) : iv + r + 1, max(iu - r, 0) : iu + r + 1]
    return float(patch.max())


def measure_area(
    temp_c: npt.NDArray[np.floating],
    bbox_px: BBox,
    camera: CameraModel | None = None,
    pose: CameraPose | None = None,
    errors: AttitudeErrors | None = None,
) -> AreaMeasurement:
    """Max, min and mean °C inside ``bbox_px`` (clipped to the frame) and the hottest pixel.

    With ``camera`` and ``pose`` the hottest pixel is also georeferenced.
    """
    h, w = temp_c.shape
    x, y, bw, bh = bbox_px
    x0, y0 = max(math.floor(x), 0), max(math.floor(y), 0)
    x1, y1 = min(math.ceil(x + bw), w), min(math.ceil(y + bh), h)
    if x1 <= x0 or y1 <= y0:
        raise MeasureError(f"area {bbox_px} does not overlap the {w}x{h} frame")
    patch = temp_c[y0:y1, x0:x1]
    iv, iu = np.unravel_index(int(np.argmax(patch)), patch.shape)
    hot_u, hot_v = int(iu) + x0, int(iv) + y0
    lon = lat = unc = None
    if camera is not None and pose is not None:
        try:
            g = pixel_to_ground(camera, pose, hot_u + 0.5, hot_v + 0.5, errors)
            lon, lat, unc = g.lon_deg, g.lat_deg, g.uncertainty_m
        except BelowHorizonError:
            pass
    return AreaMeasurement(
        float(patch.max()), float(patch.min()), float(patch.mean()), (hot_u, hot_v), lon, lat, unc
    )
