"""Objects that arrived and stayed (stalls on a road, a parked vehicle, dumped goods).

Dual background (Porikli, Ivanov & Haga 2008): a long-term and a short-term background, here
exponential running averages with time constants in seconds. A pixel that differs from the long-term
background but not from the short-term one has recently become static. Frames are first aligned to
the first frame (ORB + RANSAC homography) to cancel the drone's drift. A region static for
``min_stay_s`` (leaky evidence) with a ground area of ``min_area_m2`` or more is reported;
a still scene reports nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from payload.alignment import FrameAligner, to_grey
from payload.georef import wgs84_to_pixel
from payload.model import BBox, CameraModel, CameraPose, Detection, Label

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]
SOURCE = "dual_background"


@dataclass(frozen=True)
class StationaryParams:
    long_tau_s: float = 600.0
    short_tau_s: float = 2.0
    diff_threshold: float = 30.0
    min_stay_s: float = 20.0
    min_area_m2: float = 1.0
    drain_rate: float = 2.0
    merge_m: float = 0.6
    """Evidence drains this many times faster than it builds when a pixel is not static."""
    align: bool = True


def polygon_mask(camera: CameraModel, pose: CameraPose, polygon_lonlat: list[tuple[float, float]]) -> U8:
    """Mask (255 inside) of a ground polygon (WGS84 lon, lat) as seen by ``camera`` at ``pose``."""
    lon = np.array([p[0] for p in polygon_lonlat])
    lat = np.array([p[1] for p in polygon_lonlat])
    u, v = wgs84_to_pixel(camera, pose, lon, lat)
    mask = np.zeros((camera.height_px, camera.width_px), np.uint8)
    if np.all(np.isfinite(u)) and np.all(np.isfinite(v)):
        pts = np.round(np.stack([u, v], axis=1) * 16).astype(np.int32)
        cv2.fillPoly(mask, [pts], 255, cv2.LINE_8, shift=4)
    return mask


class StationaryObjectDetector:
    """Stateful: feed frames in time order; ``region_mask`` (first frame's pixels) limits where to look."""

    def __init__(self, params: StationaryParams | None = None, region_mask: U8 | None = None) -> None:
        self.p = params or StationaryParams()
        self.region_mask = region_mask
        self._aligner: FrameAligner | None = None
        self._long: F32 | None = None
        self._short: F32 | None = None
        self._evidence_s: F32 | None = None
        self._last_t: float | None = None

    def update(self, bgr: U8, t_s: float, gsd_m: float) -> list[Detection]:
        """Detections in ``bgr``'s own pixels."""
        h = np.eye(3)
        img = bgr.astype(np.float32)
        valid = np.ones(bgr.shape[:2], bool)
        if self.p.align:
            grey = to_grey(bgr)
            if self._aligner is None:
                self._aligner = FrameAligner(grey)
            elif not self._aligner.featureless:
                found = self._aligner.homography(grey)
                if found is None:
                    return []  # cannot place this frame: skip it, keep the models
                h = found
                warped, mask = self._aligner.warp(img, h)
                img, valid = np.asarray(warped, dtype=np.float32), mask > 0
        if self._long is None or self._short is None or self._evidence_s is None or self._last_t is None:
            self._long, self._short = img.copy(), img.copy()
            self._evidence_s = np.zeros(img.shape[:2], np.float32)
            self._last_t = t_s
            return []
        dt = max(t_s - self._last_t, 0.0)
        self._last_t = t_s
        fg_long = _max_channel_diff(img, self._long) > self.p.diff_threshold
        fg_short = _max_channel_diff(img, self._short) > self.p.diff_threshold
        static = fg_long & ~fg_short & valid
        if self.region_mask is not None:
            static &= self.region_mask > 0
        # leaky evidence: seconds of being static, draining twice as fast when not
        ev = self._evidence_s
        ev += np.where(static, dt, -self.p.drain_rate * dt).astype(np.float32)
        np.clip(ev, 0.0, 10 * self.p.min_stay_s, out=ev)
        valid_u8 = valid.astype(np.uint8)
        for bg, tau in ((self._long, self.p.long_tau_s), (self._short, self.p.short_tau_s)):
            cv2.accumulateWeighted(img, bg, 1.0 - math.exp(-dt / tau), mask=valid_u8)
        stayed = ev >= self.p.min_stay_s
        m = cv2.morphologyEx(stayed.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        k = max(round(self.p.merge_m / gsd_m) | 1, 3)  # parts of one object (canopy stripes) join
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
        px_m2 = gsd_m * gsd_m
        h_inv = np.asarray(np.linalg.inv(h), dtype=np.float64)
        found_dets: list[Detection] = []
        for i in range(1, n):
            x, y, w, hh, area_px = (int(s) for s in stats[i])
            area_m2 = area_px * px_m2
            if area_m2 < self.p.min_area_m2:
                continue
            stay_s = float(ev[labels == i].max())
            confidence = float(min(0.5 + 0.4 * stay_s / (3 * self.p.min_stay_s), 0.9))
            box = _to_frame((x, y, w, hh), h_inv)
            found_dets.append(Detection(Label.STATIONARY_OBJECT, confidence, box, SOURCE, area_m2=area_m2))
        return found_dets


def _to_frame(box: tuple[int, int, int, int], h_inv: npt.NDArray[np.float64]) -> BBox:
    x, y, w, h = box
    pts = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float32).reshape(-1, 1, 2)
    back = cv2.perspectiveTransform(pts, h_inv).reshape(-1, 2)
    x0, y0 = back.min(axis=0)
    x1, y1 = back.max(axis=0)
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def _max_channel_diff(a: F32, b: F32) -> F32:
    d = cv2.absdiff(a, b)
    return np.asarray(np.maximum(np.maximum(d[..., 0], d[..., 1]), d[..., 2]), dtype=np.float32)
