"""Thermal rules, temperature measurement and radiometric readers on synthetic frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from payload.detectors.thermal import HotSpotParams, detect_hot_spots, detect_warm_bodies
from payload.frames import FrameReadError, read_radiometric, read_rgb, write_radiometric
from payload.infrared import MeasureError, measure_area, measure_point
from payload.model import CameraModel, CameraPose, Label

GSD = 60 * 12e-6 / 13.5e-3  # 5.3 cm: 640x512 core, 13.5 mm lens, 60 m


def night_scene() -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Ground 12 °C, road 18 °C, roof 45 °C, car 70 °C, fire 350 °C, three people, PSF blur."""
    t = np.full((512, 640), 12.0, np.float32)
    t[200:260, :] = 18.0
    t[20:120, 20:160] = 45.0  # roof, 7.4 x 5.3 m
    t[400:440, 500:580] = 70.0  # car engine deck
    cv2.circle(t, (320, 420), 20, 350.0, -1)  # fire
    cv2.circle(t, (320, 420), 3, 380.0, -1)  # its hottest core
    people = [(100, 300), (450, 100), (300, 230)]
    for x, y in people:  # 0.5 x 0.3 m ≈ 9 x 6 px
        cv2.ellipse(t, (x, y), (5, 3), 30, 0, 360, 33.0, -1)
    t = cv2.GaussianBlur(t, (0, 0), 1.2)
    rng = np.random.default_rng(0)
    return (t + rng.normal(0, 0.05, t.shape)).astype(np.float32), people


def test_warm_bodies_are_people_not_roofs_cars_or_fire_halos() -> None:
    t, people = night_scene()
    found = detect_warm_bodies(t, GSD)
    assert {d.label for d in found} == {Label.WARM_BODY}
    centres = [d.centre_px for d in found]
    assert len(found) == len(people)
    for x, y in people:
        assert min(np.hypot(cx - x, cy - y) for cx, cy in centres) < 3
    for d in found:
        assert d.area_m2 is not None and 0.04 <= d.area_m2 <= 0.6
        assert d.t_peak_c is not None and 25 <= d.t_peak_c <= 40


def test_warm_body_size_follows_the_gsd() -> None:
    t, _ = night_scene()
    # the same pixels claimed to be 4x larger on the ground are too big for a person
    assert detect_warm_bodies(t, GSD * 4) == []


def test_hot_spots_absolute_and_relative() -> None:
    t, _ = night_scene()
    hot = detect_hot_spots(t, GSD)
    assert len(hot) == 1
    assert hot[0].t_peak_c is not None and hot[0].t_peak_c > 300
    assert hot[0].area_m2 == pytest.approx(np.pi * 20**2 * GSD**2, rel=0.25)
    relative = detect_hot_spots(t, GSD, HotSpotParams(relative_k=25.0))
    assert len(relative) == 3  # fire, car and roof stand out from a 12 °C night


def test_measure_point_and_area() -> None:
    t, _ = night_scene()
    assert measure_point(t, 320, 420) > 300
    assert measure_point(t, 5, 500) == pytest.approx(12.0, abs=0.5)
    cam = CameraModel(640, 512, 31.8)
    pose = CameraPose(113.755, 34.8, 60.0)
    m = measure_area(t, (280, 380, 80, 80), cam, pose)
    assert m.max_c > 300 and m.min_c < 20 and m.min_c < m.mean_c < m.max_c
    assert abs(m.hottest_px[0] - 320) <= 3 and abs(m.hottest_px[1] - 420) <= 3
    assert m.hottest_lon_deg is not None and m.hottest_lat_deg is not None
    assert m.hottest_lat_deg < 34.8  # below the image centre = south at heading 0
    with pytest.raises(MeasureError):
        measure_point(t, 700, 10)
    with pytest.raises(MeasureError):
        measure_area(t, (700, 10, 5, 5))


@pytest.mark.parametrize("suffix", [".npy", ".png", ".tiff"])
def test_radiometric_round_trip(tmp_path: Path, suffix: str) -> None:
    t, _ = night_scene()
    path = tmp_path / f"frame{suffix}"
    write_radiometric(path, t)
    back = read_radiometric(path)
    assert back.shape == t.shape and back.dtype == np.float32
    assert np.abs(back - t).max() <= (1e-6 if suffix == ".npy" else 0.006)


def test_bad_radiometric_files_get_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(FrameReadError, match="no such file"):
        read_radiometric(tmp_path / "missing.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(FrameReadError, match=r"not a \.npy"):
        read_radiometric(tmp_path / "junk.npy")
    np.save(tmp_path / "cube.npy", np.zeros((2, 3, 4)))
    with pytest.raises(FrameReadError, match="2-D"):
        read_radiometric(tmp_path / "cube.npy")
    cv2.imwrite(str(tmp_path / "rgb.png"), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(FrameReadError, match="16-bit"):
        read_radiometric(tmp_path / "rgb.png")
    with pytest.raises(FrameReadError, match="8-bit"):
        cv2.imwrite(str(tmp_path / "ir.png"), np.zeros((4, 4), np.uint16))
        read_rgb(tmp_path / "ir.png")
