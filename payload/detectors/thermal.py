"""Thermal rules on radiometric frames (°C per pixel): hot spots and warm bodies.

Warm bodies follow reference/payload.md §4.3: clothed people at 60–120 m are small and blurred, so
a fixed 30–38 °C band misses them; what works is local contrast against a box-filtered background
(≥ 4 K), a peak of 25–40 °C, nothing hot (> 42 °C) nearby, and a ground size that fits a person
or an animal (0.04–0.6 m², longest side ≤ 1.2 m) given the ground sample distance. A person
cannot be told from a dog at this resolution: the class is ``warm_body``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from payload.model import Detection, Label

SOURCE = "thermal_rule"


@dataclass(frozen=True)
class HotSpotParams:
    absolute_c: float = 80.0
    relative_k: float | None = None
    """If set, also flag anything this many kelvin above the scene median (whichever is lower)."""
    min_area_m2: float = 0.05


@dataclass(frozen=True)
class WarmBodyParams:
    min_contrast_k: float = 4.0
    peak_min_c: float = 25.0
    peak_max_c: float = 40.0
    hot_exclusion_c: float = 42.0
    min_area_m2: float = 0.04
    max_area_m2: float = 0.6
    max_side_m: float = 1.2
    background_m: float = 3.0
    """Side of the box filter that estimates the local background, in metres of ground."""


def _components(mask: npt.NDArray[np.bool_]) -> tuple[int, npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return int(n), np.asarray(labels, dtype=np.int32), np.asarray(stats, dtype=np.int32)


def detect_hot_spots(
    temp_c: npt.NDArray[np.floating], gsd_m: float, params: HotSpotParams | None = None
) -> list[Detection]:
    """Connected regions at or above the hot threshold with a ground area of at least ``min_area_m2``."""
    p = params or HotSpotParams()
    threshold = p.absolute_c
    if p.relative_k is not None:
        threshold = min(threshold, float(np.median(temp_c)) + p.relative_k)
    n, labels, stats = _components(temp_c >= threshold)
    px_area_m2 = gsd_m * gsd_m
    found: list[Detection] = []
    for i in range(1, n):
        x, y, w, h, area_px = (int(s) for s in stats[i])
        area_m2 = area_px * px_area_m2
        if area_m2 < p.min_area_m2:
            continue
        peak = float(temp_c[labels == i].max())
        confidence = float(np.clip(0.5 + (peak - threshold) / 200.0, 0.5, 0.99))
        found.append(
            Detection(Label.HOT_SPOT, confidence, (x, y, w, h), SOURCE, t_peak_c=peak, area_m2=area_m2)
        )
    return found


def detect_warm_bodies(
    temp_c: npt.NDArray[np.floating], gsd_m: float, params: WarmBodyParams | None = None
) -> list[Detection]:
    """Person/animal-sized warm blobs standing out from their surroundings."""
    p = params or WarmBodyParams()
    t = np.asarray(temp_c, dtype=np.float32)
    k = max(round(p.background_m / gsd_m) | 1, 9)
    background = cv2.boxFilter(np.minimum(t, p.peak_max_c), -1, (k, k), borderType=cv2.BORDER_REFLECT)
    hot = (t > p.hot_exclusion_c).astype(np.uint8)
    halo = cv2.dilate(hot, np.ones((9, 9), np.uint8)).astype(bool)
    contrast = t - background
    mask = (contrast >= p.min_contrast_k) & (t <= p.peak_max_c) & ~halo
    n, labels, stats = _components(mask)
    px_area_m2 = gsd_m * gsd_m
    found: list[Detection] = []
    for i in range(1, n):
        x, y, w, h, area_px = (int(s) for s in stats[i])
        area_m2 = area_px * px_area_m2
        if not p.min_area_m2 <= area_m2 <= p.max_area_m2 or max(w, h) * gsd_m > p.max_side_m:
            continue
        inside = labels == i
        peak = float(t[inside].max())
        if not p.peak_min_c <= peak <= p.peak_max_c:
            continue
        c = float(contrast[inside].max())
        confidence = float(np.clip(0.5 + (c - p.min_contrast_k) / 12.0, 0.5, 0.95))
        found.append(
            Detection(Label.WARM_BODY, confidence, (x, y, w, h), SOURCE, t_peak_c=peak, area_m2=area_m2)
        )
    return found
