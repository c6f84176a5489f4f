"""The stationary-object detector counts only the time it watched: a gap between frames (the agent
fell behind, frames that could not be registered) is no evidence, the short-term background is
re-learnt after it, and a view that can no longer be registered restarts the detector."""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np
import pytest

from payload.detectors.stationary import StationaryObjectDetector, StationaryParams
from payload.model import Detection

GSD_M = 0.1  # a 20 px square is 2 x 2 m
SHAPE = (120, 160)
OBJECT = (70, 50, 20, 20)  # x, y, w, h: a crate on the road
STAY_S = 20.0  # the shipped min_stay_s
PERIOD_S = 0.5  # 2 Hz, the agent's detection rate


def still_params() -> StationaryParams:
    return StationaryParams(align=False)


def frame(rng: np.random.Generator, colour: tuple[int, int, int] | None) -> np.ndarray:
    img = np.full((*SHAPE, 3), (70, 90, 80), np.float32)
    if colour is not None:
        x, y, w, h = OBJECT
        img[y : y + h, x : x + w] = colour
    return np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)


def times(start_s: float, end_s: float) -> Iterable[float]:
    return (float(t) for t in np.arange(start_s, end_s + 1e-9, PERIOD_S))


class Watch:
    """Feeds a detector frames of the scene and records when it first reported the object."""

    def __init__(self, params: StationaryParams | None = None) -> None:
        self.det = StationaryObjectDetector(params or still_params())
        self.rng = np.random.default_rng(5)
        self.first_report_s: float | None = None
        self.found: list[Detection] = []

    def frames(self, ts: Iterable[float], colour: tuple[int, int, int] | None) -> None:
        for t in ts:
            self.found = self.det.update(frame(self.rng, colour), t, GSD_M)
            if self.found and self.first_report_s is None:
                self.first_report_s = t

    def evidence_max_s(self) -> float:
        ev = self.det.evidence_s
        assert ev is not None
        x, y, w, h = OBJECT
        return float(ev[y : y + h, x : x + w].max())


RED = (40, 40, 200)
BLUE = (200, 60, 30)


def test_an_object_watched_for_min_stay_s_is_reported_and_not_before() -> None:
    w = Watch()
    w.frames(times(0.0, 4.5), None)
    w.frames(times(5.0, 40.0), RED)  # arrives at 5 s
    assert w.first_report_s is not None
    # the short-term background takes a few seconds to take it in, then 20 s of evidence
    assert 5.0 + STAY_S <= w.first_report_s <= 5.0 + STAY_S + 5.0
    x, y, bw, bh = w.found[0].bbox_px
    assert abs(x - OBJECT[0]) <= 2 and abs(bw - OBJECT[2]) <= 3
    assert abs(y - OBJECT[1]) <= 2 and abs(bh - OBJECT[3]) <= 3


def test_a_long_gap_is_no_evidence() -> None:
    """Watched 9.5 s, then nothing for 86 s, then 8 s: less than 20 s watched, so not reported
    (before the fix the first frame after the gap added its 86 s and reported it at once)."""
    w = Watch()
    w.frames(times(0.0, 4.5), None)
    w.frames(times(5.0, 14.0), RED)
    before = w.evidence_max_s()
    assert 5.0 <= before < 10.0
    w.frames([100.0], RED)
    assert w.evidence_max_s() <= before  # the frame after the gap adds nothing
    w.frames(times(100.5, 108.0), RED)
    assert w.first_report_s is None


def test_evidence_kept_over_a_gap_counts_only_the_watched_time() -> None:
    w = Watch()
    w.frames(times(0.0, 4.5), None)
    w.frames(times(5.0, 16.0), RED)
    before = w.evidence_max_s()
    w.frames([200.0], RED)
    assert w.evidence_max_s() == pytest.approx(before)  # unchanged thing: kept, nothing added
    w.frames(times(200.5, 240.0), RED)
    assert w.first_report_s is not None
    needed_s = STAY_S - before
    assert 200.0 + needed_s - PERIOD_S <= w.first_report_s <= 200.0 + needed_s + 2 * PERIOD_S


def test_what_changed_during_a_gap_starts_from_zero() -> None:
    """A red crate watched 11 s, then after the gap a blue one in its place: that one has not been
    watched staying at all."""
    w = Watch()
    w.frames(times(0.0, 4.5), None)
    w.frames(times(5.0, 16.0), RED)
    assert w.evidence_max_s() > 5.0
    w.frames([100.0], BLUE)
    assert w.evidence_max_s() == 0.0
    w.frames(times(100.5, 140.0), BLUE)
    assert w.first_report_s is not None and w.first_report_s >= 100.0 + STAY_S


def test_gaps_between_clips_add_only_the_clips_frames() -> None:
    """The agent at x10: clips of seven frames 0.5 s apart, one every 20 sim s. 24 s of video
    watched over 80 sim s are not the 20 s of 'stay' the 80 s would have given."""
    w = Watch()
    w.frames(times(0.0, 3.0), None)
    for start in (20.0, 40.0, 60.0, 80.0):
        w.frames(times(start, start + 3.0), RED)
    assert w.first_report_s is None
    assert w.evidence_max_s() <= 4 * 3.0


def texture(seed: int) -> np.ndarray:
    """A ground with features to register on (different seeds: views that share nothing)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (SHAPE[0] // 4, SHAPE[1] // 4, 3)).astype(np.uint8)
    img = cv2.resize(small, (SHAPE[1], SHAPE[0]), interpolation=cv2.INTER_CUBIC)
    return np.asarray(cv2.GaussianBlur(img, (3, 3), 0), dtype=np.uint8)


def test_a_view_that_no_longer_registers_restarts_the_detector() -> None:
    """The drone left the first view and looks at another ground: frames that cannot be registered
    to the first view for max_gap_s restart the detector there, so what then arrives is found
    (before, every frame was skipped for the rest of the session)."""
    det = StationaryObjectDetector(StationaryParams())
    rng = np.random.default_rng(1)
    first, other = texture(1), texture(2)

    def noisy(img: np.ndarray) -> np.ndarray:
        return np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)

    for t in times(0.0, 5.0):
        assert det.update(noisy(first), t, GSD_M) == []
    found: list[Detection] = []
    first_report_s = None
    for t in times(5.5, 60.0):
        img = other.copy()
        if t >= 12.0:
            x, y, w, h = OBJECT
            img[y : y + h, x : x + w] = RED
        found = det.update(noisy(img), t, GSD_M)
        if found and first_report_s is None:
            first_report_s = t
    assert first_report_s is not None and first_report_s >= 12.0 + STAY_S
    x, y, w, h = found[0].bbox_px
    assert abs(x - OBJECT[0]) <= 3 and abs(y - OBJECT[1]) <= 3
