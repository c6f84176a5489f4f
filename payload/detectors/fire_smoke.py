"""Fire and smoke in RGB: colour proposes, dynamics and heat confirm (reference/payload.md §4.1).

Colour alone is hopeless (a ginger cat is 20 % "fire"), so a colour blob becomes ``fire`` only if
its outline flickers over the last frames (after cancelling the drone's drift) and, where a
co-aligned radiometric frame is given, it is hot; a cool thermal reading vetoes fire outright, and so
does no reading (a blob outside the narrower thermal camera's view waits until it is seen hot).
Smoke is a grey, low-saturation region of some size (it holds a ``smoke_min_width_m`` square: a
wisp of half a metre does, a lane mark does not) that *changes* over the frames as no rigid thing
does: smoke is a fluid that drifts, thins and changes shape, while a painted or fabric surface (a
market stall canopy's white stripes, a slab) keeps its pattern — after registration it is at most
shifted a little (registration error, the parallax of a 2–3 m canopy seen from a moving drone), so
one shift of up to ``smoke_rigid_shift_m`` and a pixel of interpolation map an older frame's grey
levels onto the newest one's to within noise. A smoke candidate needs ``smoke_motion_ratio`` of its
pixels changed beyond that (``smoke_change_grey`` grey levels) against some frame of the history.
Flicker and motion are judged over one stretch of video: frames more than ``max_gap_s`` apart (the
agent fell behind and skipped frames) restart the history.

Colour rules: Chen, Wu & Chiou 2004 (RGB/saturation) AND Çelik & Demirel 2009 (YCbCr).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from payload.alignment import FrameAligner, to_grey
from payload.model import BBox, CameraModel, Detection, Label

U8 = npt.NDArray[np.uint8]
B = npt.NDArray[np.bool_]
SOURCE = "fire_smoke_rule"


@dataclass(frozen=True)
class FireSmokeParams:
    red_threshold: int = 135  # Chen R_T
    saturation_threshold: int = 55  # Chen S_T
    celik_tau: int = 40
    smoke_max_chroma: int = 25
    smoke_grey_range: tuple[int, int] = (110, 232)
    min_fire_area_m2: float = 0.2
    min_smoke_area_m2: float = 2.0
    smoke_min_width_m: float = 0.3
    """Smoke's colour mask is opened by a square of this side (lane marks and mixed edge pixels go)."""
    smoke_merge_m: float = 3.0
    history_frames: int = 8
    min_frames: int = 5
    flicker_ratio: float = 0.3
    brightness_cv: float = 0.03
    smoke_motion_ratio: float = 0.2
    """Fraction of a smoke candidate's pixels that must change as no rigid thing does."""
    smoke_change_grey: float = 8.0
    """Grey levels of change beyond the rigid explanation that count: ~5 sigma of a noisy camera's
    grey (3-5 levels) after the comparison's 1 px blur."""
    smoke_rigid_shift_m: float = 0.5
    """The largest shift on the ground (registration error, parallax) a rigid thing may show."""
    fire_min_c: float = 150.0
    align: bool = True
    still_grey_levels: float = 6.0
    """Median grey change under which an unregistrable frame counts as taken from the same view."""
    max_gap_s: float = 3.0
    """Frames further apart than this (with their times given) are not one video: history restarts."""


def fire_colour_mask(bgr: U8, p: FireSmokeParams | None = None) -> B:
    """Pixels that pass both fire colour rules (Chen 2004 and Çelik 2009)."""
    p = p or FireSmokeParams()
    b, g, r = (c.astype(np.int16) for c in cv2.split(bgr))
    s = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)[..., 1].astype(np.int16)
    chen = (
        (r > p.red_threshold)
        & (r >= g)
        & (g > b)
        & (s * p.red_threshold >= (255 - r) * p.saturation_threshold)
    )
    ycc = cv2.cvtColor(bgr, cv2.COLOR_BGR2YCrCb).astype(np.float32)
    y, cr, cb = ycc[..., 0], ycc[..., 1], ycc[..., 2]
    celik = (
        (y > cb)
        & (cr > cb)
        & (y > y.mean())
        & (cb < cb.mean())
        & (cr > cr.mean())
        & (np.abs(cb - cr) >= p.celik_tau)
    )
    result: B = chen & celik
    return result


def smoke_colour_mask(bgr: U8, p: FireSmokeParams | None = None) -> B:
    """Greyish, light pixels (Chen 2004 smoke rule)."""
    p = p or FireSmokeParams()
    b, g, r = cv2.split(bgr)
    hi = cv2.max(cv2.max(b, g), r).astype(np.int16)
    lo = cv2.min(cv2.min(b, g), r).astype(np.int16)
    grey = (hi + lo) // 2
    result: B = (
        (hi - lo < p.smoke_max_chroma) & (grey >= p.smoke_grey_range[0]) & (grey <= p.smoke_grey_range[1])
    )
    return result


def _blobs(mask: B, min_px: int, close_px: int = 3) -> list[tuple[int, int, int, int, B]]:
    m: U8 = mask.astype(np.uint8)
    if close_px > 9:  # a wide closing is cheaper on a quarter-size mask
        small = cv2.resize(m, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
        k = max(close_px // 4, 3)
        small = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        back = cv2.resize(small, (m.shape[1], m.shape[0]), interpolation=cv2.INTER_NEAREST)
        m = np.maximum(np.asarray(back, dtype=np.uint8), m)
    else:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (close_px, close_px))
        m = np.asarray(cv2.morphologyEx(m, cv2.MORPH_CLOSE, kernel), dtype=np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    return [
        (int(stats[i, 0]), int(stats[i, 1]), int(stats[i, 2]), int(stats[i, 3]), labels == i)
        for i in range(1, n)
        if stats[i, 4] >= min_px
    ]


def _thick(mask: B, width_px: float) -> B:
    """The parts of ``mask`` that hold a ``width_px`` square (a morphological opening)."""
    k = max(round(width_px), 1)
    if k < 2:
        return mask
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    opened = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel)
    result: B = opened.astype(bool)
    return result


def _changed_ratio(masks: list[B], valids: list[B], window: tuple[slice, slice]) -> float:
    stack = np.stack([m[window] for m in masks])
    valid = np.logical_and.reduce([v[window] for v in valids])
    ever = stack.any(axis=0) & valid
    changed = (stack.any(axis=0) & ~stack.all(axis=0)) & valid
    return float(changed.sum()) / max(int(ever.sum()), 1)


def _crop(img: npt.NDArray[np.float32], ys: slice, xs: slice, pad: int) -> npt.NDArray[np.float32]:
    """``img[ys, xs]`` grown by ``pad`` on every side (edge pixels repeated outside the image)."""
    hgt, wid = img.shape
    y0, y1, x0, x1 = ys.start - pad, ys.stop + pad, xs.start - pad, xs.stop + pad
    inner = img[max(y0, 0) : min(y1, hgt), max(x0, 0) : min(x1, wid)]
    top, bottom, left, right = max(-y0, 0), max(y1 - hgt, 0), max(-x0, 0), max(x1 - wid, 0)
    if top or bottom or left or right:
        return np.asarray(
            cv2.copyMakeBorder(inner, top, bottom, left, right, cv2.BORDER_REPLICATE), np.float32
        )
    return np.asarray(inner, dtype=np.float32)


def _smooth_crop(img: npt.NDArray[np.float32], ys: slice, xs: slice, pad: int) -> npt.NDArray[np.float32]:
    """:func:`_crop` at the scale of the optics' blur (Gaussian, sigma 1 px)."""
    grown = _crop(img, ys, xs, pad + 2)
    smooth = cv2.GaussianBlur(grown, (5, 5), 1.0)
    return np.ascontiguousarray(smooth[2:-2, 2:-2], dtype=np.float32)


def non_rigid_change_ratio(
    greys: list[npt.NDArray[np.float32]],
    masks: list[B],
    valids: list[B],
    window: tuple[slice, slice],
    shift_px: int,
    change_grey: float,
) -> float:
    """Fraction of the pixels ever in ``masks`` over ``window`` whose grey level in some older frame
    is more than ``change_grey`` outside the newest frame's range over their 3x3 neighbourhood after
    the one shift (up to ``shift_px``) that best maps the older window onto the newest: the change no
    rigid motion explains (a drifting, thinning plume has plenty, a static stripe none). Grey levels
    are compared at the scale of the optics' blur: a line thinner than a pixel, shifted by a fraction
    of one, changes its sampled peak but not its blurred profile."""
    ys, xs = window
    union = np.logical_or.reduce([m[window] for m in masks]) & np.logical_and.reduce(
        [v[window] for v in valids]
    )
    n = int(union.sum())
    if n == 0 or len(greys) < 2:
        return 0.0
    kernel = np.ones((3, 3), np.uint8)
    new_grown = _smooth_crop(greys[-1], ys, xs, 1)  # the neighbourhoods of the window's edge pixels too
    new = np.ascontiguousarray(new_grown[1:-1, 1:-1])
    lo = cv2.erode(new_grown, kernel)[1:-1, 1:-1] - change_grey
    hi = cv2.dilate(new_grown, kernel)[1:-1, 1:-1] + change_grey
    weight = cv2.dilate(union.astype(np.uint8), kernel).astype(np.float32)  # the candidate and its edge
    hgt, wid = new.shape
    changed = np.zeros_like(union)
    for old in greys[:-1]:
        around = _smooth_crop(old, ys, xs, shift_px)
        if shift_px > 0:
            cost = cv2.matchTemplate(around, new, cv2.TM_SQDIFF, mask=weight)
            _, _, (dx, dy), _ = cv2.minMaxLoc(cost)
        else:
            dx = dy = 0
        shifted = around[dy : dy + hgt, dx : dx + wid]
        changed |= (shifted < lo) | (shifted > hi)
    return float((changed & union).sum()) / n


def rgb_box_to_thermal(box: BBox, rgb: CameraModel, ir: CameraModel) -> BBox:
    """The same rays in a co-aligned thermal camera (same position and attitude, other optics)."""
    x, y, w, h = box
    scale = ir.f_px / rgb.f_px
    return (
        ir.cx_px + (x - rgb.cx_px) * scale,
        ir.cy_px + (y - rgb.cy_px) * scale,
        w * scale,
        h * scale,
    )


class FireSmokeDetector:
    """Stateful: feed frames in time order with :meth:`update`; it returns confirmed fire/smoke."""

    def __init__(self, params: FireSmokeParams | None = None) -> None:
        self.p = params or FireSmokeParams()
        self._aligner: FrameAligner | None = None
        self._reference_grey: U8 = np.zeros((1, 1), np.uint8)
        self._history: deque[tuple[B, B, npt.NDArray[np.float32], B]] = deque(maxlen=self.p.history_frames)
        """(fire mask, smoke mask, grey levels, valid) of the latest frames, in the reference's pixels."""
        self._last_t_s: float | None = None

    def reset(self) -> None:
        self._aligner = None
        self._history.clear()

    def _to_reference(self, bgr: U8) -> tuple[U8, B, npt.NDArray[np.float64]] | None:
        if not self.p.align:
            return bgr, np.ones(bgr.shape[:2], bool), np.eye(3, dtype=np.float64)
        grey = to_grey(bgr)
        if self._aligner is None:
            self._aligner = FrameAligner(grey)
            self._reference_grey = grey
            return bgr, np.ones(bgr.shape[:2], bool), np.eye(3)
        h = None if self._aligner.featureless else self._aligner.homography(grey)
        if h is None:
            # no registration (little texture, or the flames dominate): fine if the view held still
            diff = cv2.absdiff(grey, self._reference_grey)
            if float(np.median(diff)) > self.p.still_grey_levels:
                return None
            return bgr, np.ones(bgr.shape[:2], bool), np.eye(3, dtype=np.float64)
        warped, valid = self._aligner.warp(bgr, h)
        return np.asarray(warped, dtype=np.uint8), valid > 0, h

    def update(
        self,
        bgr: U8,
        gsd_m: float,
        thermal_c: npt.NDArray[np.floating] | None = None,
        rgb_camera: CameraModel | None = None,
        ir_camera: CameraModel | None = None,
        t_s: float | None = None,
    ) -> list[Detection]:
        """Detections in ``bgr``'s own pixels. ``thermal_c`` is a co-aligned radiometric frame;
        ``t_s`` the frame's time (a gap of more than ``max_gap_s`` restarts the history)."""
        if t_s is not None:
            if self._last_t_s is not None and not 0.0 <= t_s - self._last_t_s <= self.p.max_gap_s:
                self.reset()
            self._last_t_s = t_s
        ref = self._to_reference(bgr)
        if ref is None:  # lost alignment: start again from this frame
            self.reset()
            ref = self._to_reference(bgr)
            assert ref is not None
        img, valid, h = ref
        fire = fire_colour_mask(img, self.p) & valid
        smoke = _thick(smoke_colour_mask(img, self.p) & valid & ~fire, self.p.smoke_min_width_m / gsd_m)
        grey = to_grey(img).astype(np.float32)
        self._history.append((fire, smoke, grey, valid))
        if len(self._history) < self.p.min_frames:
            return []
        fires, smokes, greys, valids = (list(x) for x in zip(*self._history, strict=True))
        px_m2 = gsd_m * gsd_m
        h_inv = np.asarray(np.linalg.inv(h), dtype=np.float64)
        found: list[Detection] = []
        with_thermal = thermal_c is not None and rgb_camera is not None and ir_camera is not None
        for x, y, w, hh, blob in _blobs(fire, max(int(self.p.min_fire_area_m2 / px_m2), 4)):
            win = (slice(max(y - 3, 0), y + hh + 3), slice(max(x - 3, 0), x + w + 3))
            ratio = _changed_ratio(fires, valids, win)
            levels = np.array([g[blob].mean() for g in greys])
            cv = float(levels.std() / max(levels.mean(), 1.0))
            flicker = ratio >= self.p.flicker_ratio or cv >= self.p.brightness_cv
            box = _box_back((x, y, w, hh), h_inv)
            if not flicker:
                continue
            peak = None
            if with_thermal:
                assert thermal_c is not None and rgb_camera is not None and ir_camera is not None
                peak = _max_in(thermal_c, rgb_box_to_thermal(box, rgb_camera, ir_camera))
                if peak is None or peak < self.p.fire_min_c:
                    continue  # the thermal camera sees no fire there (or does not see it): a veto
            confidence = 0.7 if peak is None else 0.9
            found.append(
                Detection(
                    Label.FIRE, confidence, box, SOURCE, t_peak_c=peak, area_m2=float(blob.sum()) * px_m2
                )
            )
        merge_px = max(int(self.p.smoke_merge_m / gsd_m) | 1, 3)
        shift_px = min(int(np.ceil(self.p.smoke_rigid_shift_m / gsd_m)), 16)
        for x, y, w, hh, blob in _blobs(smoke, max(int(self.p.min_smoke_area_m2 / px_m2), 4), merge_px):
            win = (slice(y, y + hh), slice(x, x + w))
            change = non_rigid_change_ratio(greys, smokes, valids, win, shift_px, self.p.smoke_change_grey)
            if change < self.p.smoke_motion_ratio:
                continue
            near_fire = any(_overlaps((x, y, w, hh), d.bbox_px, h) for d in found)
            found.append(
                Detection(
                    Label.SMOKE,
                    0.75 if near_fire else 0.55,
                    _box_back((x, y, w, hh), h_inv),
                    SOURCE,
                    area_m2=float((blob & smoke).sum()) * px_m2,
                )
            )
        return found


def _box_back(box: tuple[int, int, int, int], h_inv: npt.NDArray[np.float64]) -> BBox:
    x, y, w, h = box
    pts = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float32).reshape(-1, 1, 2)
    back = cv2.perspectiveTransform(pts, h_inv).reshape(-1, 2)
    x0, y0 = back.min(axis=0)
    x1, y1 = back.max(axis=0)
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def _overlaps(ref_box: tuple[int, int, int, int], cur_box: BBox, h: npt.NDArray[np.float64]) -> bool:
    x, y, w, hh = ref_box
    cx, cy, cw, ch = _box_back((int(cur_box[0]), int(cur_box[1]), int(cur_box[2]), int(cur_box[3])), h)
    margin = max(cw, ch)
    return not (cx > x + w + margin or cx + cw < x - margin or cy > y + hh + margin or cy + ch < y - margin)


def _max_in(temp_c: npt.NDArray[np.floating], box: BBox) -> float | None:
    """The hottest reading over ``box`` (thermal pixels); None when its centre is outside the
    thermal frame (the narrower thermal camera does not see it)."""
    hgt, wid = temp_c.shape
    x, y, w, h = box
    if not (0.0 <= x + w / 2 < wid and 0.0 <= y + h / 2 < hgt):
        return None
    x0, y0 = max(int(x) - 1, 0), max(int(y) - 1, 0)
    x1, y1 = min(int(np.ceil(x + w)) + 1, wid), min(int(np.ceil(y + h)) + 1, hgt)
    if x1 <= x0 or y1 <= y0:
        return None
    return float(temp_c[y0:y1, x0:x1].max())
