"""HOG people: found on upright silhouettes of window size, not on aerial ground texture; boxes
from an upscaled search come back in the frame's own pixels."""

from __future__ import annotations

import cv2
import numpy as np

from payload.detectors.people_hog import HogPeopleDetector
from payload.model import Label


def pedestrian(img: np.ndarray, x: int, y: int, s: float = 1.0) -> tuple[int, int, int, int]:
    """A dark upright figure (head, torso, arms, legs) ~125·s px tall; returns its box."""
    dark, legs = (40, 40, 60), (60, 50, 40)
    cv2.circle(img, (x, int(y + 12 * s)), int(11 * s), (90, 110, 150), -1)
    cv2.rectangle(img, (int(x - 16 * s), int(y + 25 * s)), (int(x + 16 * s), int(y + 75 * s)), dark, -1)
    for side in (-1, 1):
        cv2.line(
            img,
            (int(x + side * 16 * s), int(y + 28 * s)),
            (int(x + side * 22 * s), int(y + 75 * s)),
            dark,
            int(7 * s),
        )
        cv2.line(
            img,
            (int(x + side * 8 * s), int(y + 75 * s)),
            (int(x + side * 12 * s), int(y + 125 * s)),
            legs,
            int(11 * s),
        )
    return (int(x - 22 * s), y, int(44 * s), int(125 * s))


def street(shape: tuple[int, int], people: list[tuple[int, int, float]]) -> tuple[np.ndarray, list]:
    img = np.full((*shape, 3), (190, 195, 200), np.uint8)
    boxes = [pedestrian(img, x, y, s) for x, y, s in people]
    return cv2.GaussianBlur(img, (0, 0), 1.0), boxes


def contains(box: tuple[float, float, float, float], point: tuple[float, float]) -> bool:
    x, y, w, h = box
    return x <= point[0] <= x + w and y <= point[1] <= y + h


def test_upright_people_are_found_once_each() -> None:
    img, truth = street((400, 420), [(100, 80, 1.0), (300, 150, 1.2)])
    found = HogPeopleDetector().detect(img)
    assert {d.label for d in found} == {Label.PERSON}
    assert len(found) == 2
    for x, y, w, h in truth:
        assert sum(contains(d.bbox_px, (x + w / 2, y + h / 2)) for d in found) == 1


def test_small_people_need_the_upscale_and_boxes_map_back() -> None:
    img, truth = street((200, 220), [(60, 40, 0.5), (160, 70, 0.5)])  # ~63 px tall
    assert HogPeopleDetector().detect(img) == []
    found = HogPeopleDetector(expected_person_px=63).detect(img)
    assert len(found) == 2
    for x, y, w, h in truth:
        hit = [d for d in found if contains(d.bbox_px, (x + w / 2, y + h / 2))]
        assert len(hit) == 1 and hit[0].bbox_px[3] < 130  # in the original frame's pixels


def test_nadir_ground_texture_gives_no_people() -> None:
    rng = np.random.default_rng(4)
    grass = cv2.resize(
        rng.normal(0, 1, (40, 60)).astype(np.float32), (600, 400), interpolation=cv2.INTER_CUBIC
    )
    img = np.stack([55 + 8 * grass, 105 + 18 * grass, 75 + 12 * grass], axis=2)
    img += rng.normal(0, 6, img.shape)
    assert HogPeopleDetector().detect(np.clip(img, 0, 255).astype(np.uint8)) == []
