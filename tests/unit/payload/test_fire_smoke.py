"""Fire needs colour AND flicker AND (where there is a thermal frame) heat; smoke needs motion."""

from __future__ import annotations

import cv2
import numpy as np

from payload.detectors.fire_smoke import (
    FireSmokeDetector,
    FireSmokeParams,
    fire_colour_mask,
    smoke_colour_mask,
)
from payload.model import CameraModel, Label

CAM = CameraModel(320, 240, 60.0)
GSD = 0.05
GINGER = (40, 125, 235)  # BGR


def background(rng: np.random.Generator) -> np.ndarray:
    img = np.empty((240, 320, 3), np.uint8)
    img[...] = (60, 110, 75)
    return np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)


def flame(img: np.ndarray, rng: np.random.Generator) -> None:
    r = int(rng.integers(14, 22))
    axes = (r, int(rng.integers(10, 24)))
    cv2.ellipse(img, (100, 120), axes, float(rng.uniform(0, 180)), 0, 360, (30, 120, 250), -1)
    cv2.circle(img, (100, 120), r // 2, (160, 235, 255), -1)


def ginger_tarp(img: np.ndarray) -> None:
    cv2.rectangle(img, (200, 100), (240, 130), GINGER, -1)


def thermal(hot: bool) -> np.ndarray:
    t = np.full((240, 320), 14.0, np.float32)
    if hot:
        cv2.circle(t, (100, 120), 18, 420.0, -1)
    return t


def run(frames: int, flicker: bool, therm: np.ndarray | None, params: FireSmokeParams | None = None):
    det = FireSmokeDetector(params or FireSmokeParams(align=False))
    rng = np.random.default_rng(3)
    out = []
    for _ in range(frames):
        img = background(rng)
        flame(img, rng if flicker else np.random.default_rng(0))
        ginger_tarp(img)
        out = det.update(
            img, GSD, therm, CAM if therm is not None else None, CAM if therm is not None else None
        )
    return out


def test_ginger_orange_passes_the_colour_rules() -> None:
    img = background(np.random.default_rng(0))
    ginger_tarp(img)
    assert fire_colour_mask(img)[110:120, 210:230].mean() > 0.9  # so colour alone would call it fire


def test_flickering_hot_flame_is_fire_and_the_tarp_is_not() -> None:
    found = run(8, flicker=True, therm=thermal(hot=True))
    fires = [d for d in found if d.label == Label.FIRE]
    assert len(fires) == 1
    x, y, w, h = fires[0].bbox_px
    assert x < 100 < x + w and y < 120 < y + h
    assert fires[0].t_peak_c is not None and fires[0].t_peak_c > 400


def test_no_flicker_no_fire_even_with_fire_colours() -> None:
    assert [d for d in run(8, flicker=False, therm=None) if d.label == Label.FIRE] == []


def test_flicker_without_thermal_is_fire_but_a_cool_thermal_reading_vetoes_it() -> None:
    no_thermal = [d for d in run(8, flicker=True, therm=None) if d.label == Label.FIRE]
    assert len(no_thermal) == 1 and no_thermal[0].t_peak_c is None
    assert [d for d in run(8, flicker=True, therm=thermal(hot=False)) if d.label == Label.FIRE] == []


def test_nothing_before_enough_frames() -> None:
    assert run(3, flicker=True, therm=thermal(hot=True)) == []


def test_smoke_is_grey_and_moving() -> None:
    det = FireSmokeDetector(FireSmokeParams(align=False))
    rng = np.random.default_rng(1)
    found = []
    for i in range(8):
        img = background(rng)
        cv2.circle(img, (160 + 4 * i, 80 - 2 * i), 30 + i, (170, 170, 170), -1)  # drifting puff
        cv2.rectangle(img, (20, 200), (120, 230), (180, 180, 180), -1)  # a still concrete slab
        found = det.update(img, GSD)
    smoke = [d for d in found if d.label == Label.SMOKE]
    assert len(smoke) == 1
    _, y, _, h = smoke[0].bbox_px
    assert y + h < 190  # the puff, not the slab
    assert smoke_colour_mask(img)[210:220, 40:100].all()  # the slab is smoke-coloured but still
