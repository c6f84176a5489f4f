"""Objects that arrived and stayed (stalls on a road, a parked vehicle, dumped goods).

Dual background (Porikli, Ivanov & Haga 2008): a long-term and a short-term background, here
exponential running averages with time constants in seconds. A pixel that differs from the long-term
background but not from the short-term one has recently become static. Frames are first aligned to
the first frame (ORB + RANSAC homography) to cancel the drone's drift. A region static for
``min_stay_s`` (leaky evidence) with a ground area of ``min_area_m2`` or more is reported;
a still scene reports nothing.

Evidence is counted in *watched* time, as the tracker counts age: a gap between two frames (the agent
fell behind and skipped frames, frames that could not be registered, the drone away from the scene)
adds nothing, and the frame after it only re-learns the short-term background, which it can no longer
trust. A pixel keeps its evidence over a gap only if it still looks as it did before the gap (what
stayed before may have stayed through it; only the time watched counts); one that changed starts
again from zero. A pixel out of view for longer than ``max_gap_s`` is treated the same way when it
comes back. When no frame can be registered to the reference for ``max_gap_s`` (the drone left, or
came back to another view), the detector starts again from the current frame (without a region
mask: one is drawn on the reference's view).
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
    """Seconds of watched video a pixel must have been static (leaky evidence) to be reported."""
    min_area_m2: float = 1.0
    drain_rate: float = 2.0
    """Evidence drains this many times faster than it builds when a pixel is not static."""
    merge_m: float = 0.6
    align: bool = True
    max_gap_s: float = 3.0
    """Frames further apart than this are a gap: it counts as no watched time, and the short-term
    background is re-learnt after it. Also how long unregistrable frames last before a restart."""


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
        self._models: _Models | None = None
        self._last_t: float | None = None
        self._unregistered_since_s: float | None = None

    @property
    def evidence_s(self) -> F32 | None:
        """Each reference pixel's evidence of being static (watched seconds, leaky); None before a frame."""
        return None if self._models is None else self._models.evidence_s.copy()

    def _register(
        self, bgr: U8, t_s: float
    ) -> tuple[F32, npt.NDArray[np.bool_], npt.NDArray[np.float64]] | None:
        """``bgr`` in the reference frame's pixels, where it has data, and the homography; None when
        it cannot be placed (skipped: it is not watched time). Frames that cannot be registered for
        ``max_gap_s`` mean another view: the detector starts again from the current frame."""
        img = bgr.astype(np.float32)
        eye = np.eye(3, dtype=np.float64)
        valid = np.ones(bgr.shape[:2], bool)
        if not self.p.align:
            return img, valid, eye
        grey = to_grey(bgr)
        if self._aligner is None:
            self._aligner = FrameAligner(grey)
            return img, valid, eye
        if self._aligner.featureless:
            return img, valid, eye  # nothing to register against: assume a still camera
        found = self._aligner.homography(grey)
        if found is None:
            since = self._unregistered_since_s
            if since is None or t_s < since:
                self._unregistered_since_s = t_s
                return None
            if t_s - since < self.p.max_gap_s or self.region_mask is not None:
                return None  # (a region mask is drawn on the reference's view: keep waiting for it)
            # lost the reference's view for good: this frame is the new reference, all models restart
            self._aligner, self._models, self._last_t = FrameAligner(grey), None, None
            self._unregistered_since_s = None
            return img, valid, eye
        self._unregistered_since_s = None
        warped, mask = self._aligner.warp(img, found)
        return np.asarray(warped, dtype=np.float32), mask > 0, found

    def update(self, bgr: U8, t_s: float, gsd_m: float) -> list[Detection]:
        """Detections in ``bgr``'s own pixels."""
        placed = self._register(bgr, t_s)
        if placed is None:
            return []  # cannot place this frame: skip it, keep the models
        img, valid, h = placed
        models, last_t = self._models, self._last_t
        self._last_t = t_s
        if models is None or last_t is None:
            self._models = _Models(img)
            return []
        dt = max(t_s - last_t, 0.0)
        gap = dt > self.p.max_gap_s
        watched_dt = min(dt, self.p.max_gap_s)
        models.watched_s += watched_dt
        fg_long = _max_channel_diff(img, models.long) > self.p.diff_threshold
        fg_short = _max_channel_diff(img, models.short) > self.p.diff_threshold
        # re-learn where the short-term background is stale: after a gap, or out of view for longer
        stale = valid & (gap | (models.watched_s - models.seen_watch_s > self.p.max_gap_s))
        watching = valid & ~stale
        static = fg_long & ~fg_short & watching
        if self.region_mask is not None:
            static &= self.region_mask > 0
        # leaky evidence in watched seconds: builds when static, drains drain_rate times faster when
        # not; pixels not watched keep theirs, stale ones too if unchanged, else start again from zero
        ev = models.evidence_s
        ev += np.where(static, watched_dt, np.where(watching, -self.p.drain_rate * watched_dt, 0.0)).astype(
            np.float32
        )
        ev[stale & fg_short] = 0.0
        np.clip(ev, 0.0, 10 * self.p.min_stay_s, out=ev)
        long_alpha = 1.0 - math.exp(-watched_dt / self.p.long_tau_s)
        cv2.accumulateWeighted(img, models.long, long_alpha, mask=valid.astype(np.uint8))
        short_alpha = 1.0 - math.exp(-watched_dt / self.p.short_tau_s)
        cv2.accumulateWeighted(img, models.short, short_alpha, mask=watching.astype(np.uint8))
        models.short[stale] = img[stale]
        models.seen_watch_s[valid] = models.watched_s
        return self._objects(ev, h, gsd_m)

    def _objects(self, ev: F32, h: npt.NDArray[np.float64], gsd_m: float) -> list[Detection]:
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


class _Models:
    """The per-pixel state, in the reference frame's pixels."""

    def __init__(self, first: F32) -> None:
        self.long: F32 = first.copy()
        self.short: F32 = first.copy()
        self.evidence_s: F32 = np.zeros(first.shape[:2], np.float32)
        self.watched_s = 0.0
        """Watched time so far: frame gaps capped at ``max_gap_s``."""
        self.seen_watch_s: npt.NDArray[np.float64] = np.zeros(first.shape[:2], np.float64)
        """The watched time at which each pixel was last in view."""


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
