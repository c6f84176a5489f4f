"""Thin smoke against stall canopies' stripes: a grey wisp half a metre wide is smoke, because it
changes as no rigid thing does; the white stripes of a row of stall canopies, as thin, grey, and
jittering by a pixel in the registered frames, are not. Scenes drawn here in metres."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from payload.detectors.fire_smoke import FireSmokeDetector, FireSmokeParams, smoke_colour_mask
from payload.model import Label

SHAPE = (240, 320)
PERIOD_S = 0.5  # 2 Hz
FRAMES = 8
GRASS = np.array([60.0, 110.0, 75.0])  # BGR
ASPHALT = np.array([92.0, 95.0, 95.0])
SMOKE = 185.0
CANOPIES = ((190, 100, 20), (40, 40, 200), (30, 170, 230), (140, 60, 140))


def metres(gsd_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Every pixel's centre in metres (east, south) from the top-left corner."""
    yy, xx = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]].astype(np.float32)
    return (xx + 0.5) * gsd_m, (yy + 0.5) * gsd_m


def noisy(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)


def wisp_frame(gsd_m: float, t_s: float, rng: np.random.Generator, y_m: float = 4.0) -> np.ndarray:
    """A wisp of smoke over grass: 8 m long, Gaussian across (sigma 0.35 m: the part grey enough for
    the smoke colour rule is about 0.7 m wide), drifting 0.4 m/s across and undulating along it."""
    x, y = metres(gsd_m)
    x0, y0 = 3.0, y_m + 0.4 * t_s
    centre = y0 + 0.5 * np.sin(0.9 * (x - x0) - 1.3 * t_s)
    along = (x >= x0) & (x <= x0 + 8.0)
    density = 0.85 + 0.1 * np.sin(2.3 * (x - x0) + 2.0 * t_s)
    alpha = np.where(along, 0.8 * density * np.exp(-((y - centre) ** 2) / (2 * 0.35**2)), 0.0)[..., None]
    img = np.broadcast_to(GRASS, (*SHAPE, 3)) * (1 - alpha) + SMOKE * alpha
    return noisy(img, rng)


def stalls_frame(gsd_m: float, stripe_grey: float, stripe_m: float, rng: np.random.Generator) -> np.ndarray:
    """A row of four stall canopies (2 x 1.5 m, 1 m apart) on a road, each with a grey-white stripe
    across, seen with the residual of registration: a random shift of up to a pixel."""
    x, y = metres(gsd_m)
    img = np.broadcast_to(ASPHALT, (*SHAPE, 3)).copy()
    for i, colour in enumerate(CANOPIES):
        left = 3.0 + 3.0 * i
        canopy = (x >= left) & (x < left + 1.5) & (y >= 4.0) & (y < 6.0)
        img[canopy] = colour
        stripe = canopy & (np.abs(x - (left + 0.75)) < stripe_m / 2)
        img[stripe] = stripe_grey
    dx, dy = rng.uniform(-1.0, 1.0, 2)
    shifted = cv2.warpAffine(
        img.astype(np.float32),
        np.array([[1, 0, dx], [0, 1, dy]], np.float32),
        (SHAPE[1], SHAPE[0]),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return noisy(shifted, rng)


def smoke_found(frames: list[np.ndarray], gsd_m: float) -> list:
    det = FireSmokeDetector(FireSmokeParams(align=False))
    found = []
    for i, img in enumerate(frames):
        found = det.update(img, gsd_m, t_s=i * PERIOD_S)
    return [d for d in found if d.label == Label.SMOKE]


@pytest.mark.parametrize("gsd_m", [0.05, 0.11])  # 1280 px wide at 70°: 50 m and 100 m up
def test_a_half_metre_wisp_is_smoke(gsd_m: float) -> None:
    rng = np.random.default_rng(7)
    frames = [wisp_frame(gsd_m, i * PERIOD_S, rng) for i in range(FRAMES)]
    core = smoke_colour_mask(frames[-1])
    widths_m = core.sum(axis=0)[core.any(axis=0)] * gsd_m
    assert 0.5 <= float(np.median(widths_m)) <= 0.8  # the wisp the colour rule sees
    smoke = smoke_found(frames, gsd_m)
    assert len(smoke) == 1
    _, y, w, h = smoke[0].bbox_px
    assert w * gsd_m > 5.0  # along the wisp
    assert y * gsd_m < 6.0 < (y + h) * gsd_m


@pytest.mark.parametrize("gsd_m", [0.05, 0.11])
@pytest.mark.parametrize(("stripe_grey", "stripe_m"), [(235.0, 0.5), (215.0, 0.5), (215.0, 1.2)])
def test_stall_canopy_stripes_are_not_smoke(gsd_m: float, stripe_grey: float, stripe_m: float) -> None:
    """White (235) stripes, shaded ones (215: every pixel passes the smoke colour rule) and a wide
    band (1.2 m, wider than any width test would allow), a pixel of registration jitter: static."""
    rng = np.random.default_rng(3)
    frames = [stalls_frame(gsd_m, stripe_grey, stripe_m, rng) for _ in range(FRAMES)]
    if stripe_grey < 232:
        stripes = smoke_colour_mask(frames[-1])
        assert stripes.sum() * gsd_m**2 > 0.8 * 4 * 2.0 * (stripe_m - 2 * gsd_m)  # they are smoke-coloured
    assert smoke_found(frames, gsd_m) == []


def test_the_wisp_next_to_the_stalls_is_still_smoke() -> None:
    """The stalls do not hide smoke drifting past them (different places in one frame)."""
    gsd_m = 0.05
    rng = np.random.default_rng(11)
    frames = []
    for i in range(FRAMES):
        stalls = stalls_frame(gsd_m, 215.0, 0.5, rng).astype(np.float32)
        wisp = wisp_frame(gsd_m, i * PERIOD_S, rng, y_m=8.0).astype(np.float32)
        _, y = metres(gsd_m)
        below = (y > 7.0)[..., None]  # the wisp is 7.5-10 m down, the stalls 4-6 m
        frames.append(np.where(below, wisp, stalls).astype(np.uint8))
    smoke = smoke_found(frames, gsd_m)
    assert len(smoke) == 1
    assert smoke[0].bbox_px[1] * gsd_m >= 6.5
