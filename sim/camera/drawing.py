"""Drawing ground-level shapes into a camera image with exact perspective and partial-pixel coverage.

A shape is a test on ground coordinates (metres east/north of the scene origin). For each shape the
renderer finds the pixels its footprint can touch, evaluates the test on a 3x3 sub-pixel grid of
each pixel's ground point, and blends the shape in by the covered fraction. Small targets (a
person is 3–10 px from 60–120 m) so get the mixed pixels a real sensor sees.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from payload.georef import ned_to_pixel, pixel_to_ned
from payload.model import CameraModel, CameraPose

F64 = npt.NDArray[np.float64]
Inside = Callable[[F64, F64], npt.NDArray[np.bool_]]
"""(east_m, north_m) arrays -> inside mask."""

_SUB = (np.arange(3) + 0.5) / 3.0  # sub-pixel sample offsets


@dataclass(frozen=True)
class View:
    """A camera at a pose, with the drone's offset (east_m, north_m) from the scene origin."""

    camera: CameraModel
    pose: CameraPose
    drone_east_m: float
    drone_north_m: float

    def pixel_window(self, east_m: F64, north_m: F64, margin_px: int = 2) -> tuple[int, int, int, int] | None:
        """Pixel rows/cols (r0, r1, c0, c1) that ground points (the corners of a footprint) can touch."""
        u, v = ned_to_pixel(self.camera, self.pose, north_m - self.drone_north_m, east_m - self.drone_east_m)
        if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
            return None
        c0 = max(math.floor(float(u.min())) - margin_px, 0)
        c1 = min(math.ceil(float(u.max())) + margin_px, self.camera.width_px)
        r0 = max(math.floor(float(v.min())) - margin_px, 0)
        r1 = min(math.ceil(float(v.max())) + margin_px, self.camera.height_px)
        if c1 <= c0 or r1 <= r0:
            return None
        return r0, r1, c0, c1

    def coverage(self, window: tuple[int, int, int, int], inside: Inside) -> tuple[F64, F64, F64]:
        """Covered fraction of each pixel in ``window`` and the ground point of each pixel centre."""
        r0, r1, c0, c1 = window
        rows = np.arange(r0, r1, dtype=np.float64)
        cols = np.arange(c0, c1, dtype=np.float64)
        frac = np.zeros((r1 - r0, c1 - c0))
        for dv in _SUB:
            for du in _SUB:
                uu, vv = np.meshgrid(cols + du, rows + dv)
                n, e = pixel_to_ned(self.camera, self.pose, uu, vv)
                frac += inside(e + self.drone_east_m, n + self.drone_north_m)
        uu, vv = np.meshgrid(cols + 0.5, rows + 0.5)
        n, e = pixel_to_ned(self.camera, self.pose, uu, vv)
        return frac / (len(_SUB) ** 2), e + self.drone_east_m, n + self.drone_north_m


def blend(image: npt.NDArray[np.float32], window: tuple[int, int, int, int], alpha: F64, value: F64) -> None:
    """``image[window] = image * (1 - alpha) + value * alpha`` (value per pixel, per channel if 3-D)."""
    r0, r1, c0, c1 = window
    region = image[r0:r1, c0:c1]
    a = alpha if region.ndim == 2 else alpha[..., None]
    image[r0:r1, c0:c1] = (region * (1.0 - a) + value * a).astype(np.float32)


def rotated_box(
    centre_e: float, centre_n: float, length_m: float, width_m: float, heading_deg: float
) -> tuple[F64, F64, Inside]:
    """Corners and inside-test of a rectangle whose length runs along ``heading_deg``."""
    h = math.radians(heading_deg)
    ax = np.array([math.sin(h), math.cos(h)])  # along (east, north)
    cr = np.array([math.cos(h), -math.sin(h)])  # across
    corners = [
        np.array([centre_e, centre_n]) + sa * length_m / 2 * ax + sc * width_m / 2 * cr
        for sa, sc in ((1, 1), (1, -1), (-1, -1), (-1, 1))
    ]
    ce = np.array([c[0] for c in corners])
    cn = np.array([c[1] for c in corners])

    def inside(e: F64, n: F64) -> npt.NDArray[np.bool_]:
        de, dn = e - centre_e, n - centre_n
        along = de * ax[0] + dn * ax[1]
        across = de * cr[0] + dn * cr[1]
        result: npt.NDArray[np.bool_] = (np.abs(along) <= length_m / 2) & (np.abs(across) <= width_m / 2)
        return result

    return ce, cn, inside


def ellipse(
    centre_e: float, centre_n: float, length_m: float, width_m: float, heading_deg: float
) -> tuple[F64, F64, Inside]:
    """Bounding corners and inside-test of an ellipse whose long axis runs along ``heading_deg``."""
    ce, cn, _ = rotated_box(centre_e, centre_n, length_m, width_m, heading_deg)
    h = math.radians(heading_deg)

    def inside(e: F64, n: F64) -> npt.NDArray[np.bool_]:
        de, dn = e - centre_e, n - centre_n
        along = de * math.sin(h) + dn * math.cos(h)
        across = de * math.cos(h) - dn * math.sin(h)
        result: npt.NDArray[np.bool_] = (along / (length_m / 2)) ** 2 + (across / (width_m / 2)) ** 2 <= 1.0
        return result

    return ce, cn, inside


def wobbly_disc(
    centre_e: float, centre_n: float, radius_m: float, phases: tuple[float, float, float], amount: float
) -> tuple[F64, F64, Inside]:
    """A disc whose edge wobbles (flames).

    ``r(θ) = R·(1 + amount·(sin(3θ+p0) + sin(5θ+p1)/2 + sin(7θ+p2)/3)/1.8)``.
    """
    r_max = radius_m * (1 + amount)
    ce = centre_e + np.array([-r_max, r_max, r_max, -r_max])
    cn = centre_n + np.array([-r_max, -r_max, r_max, r_max])

    def inside(e: F64, n: F64) -> npt.NDArray[np.bool_]:
        de, dn = e - centre_e, n - centre_n
        theta = np.arctan2(dn, de)
        wobble = (
            np.sin(3 * theta + phases[0])
            + np.sin(5 * theta + phases[1]) / 2
            + np.sin(7 * theta + phases[2]) / 3
        ) / 1.8
        return np.hypot(de, dn) <= radius_m * (1 + amount * wobble)

    return ce, cn, inside
