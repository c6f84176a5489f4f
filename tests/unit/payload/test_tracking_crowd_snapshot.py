"""Tracking on the ground, crowd grouping, and lead snapshots (boxes, size budget, face blur)."""

from __future__ import annotations

from functools import partial

import cv2
import numpy as np
import pytest

from payload import snapshot
from payload.detectors.crowd import CrowdParams, detect_crowds
from payload.georef import offset_to_wgs84, wgs84_to_offset
from payload.model import CameraModel, CameraPose, Detection, Frame, FrameKind, GroundPoint, Label
from payload.snapshot import blur_faces, face_blur_available, max_face_px, snapshot_jpeg
from payload.tracking import Tracker

LON0, LAT0 = 113.755, 34.8


def obs(label: str, e: float, n: float, unc: float = 2.0) -> tuple[Detection, GroundPoint]:
    lon, lat = offset_to_wgs84(LON0, LAT0, n, e)
    return Detection(label, 0.8, (0, 0, 4, 4), "test"), GroundPoint(float(lon), float(lat), n, e, 60.0, unc)


def test_one_object_seen_over_frames_is_one_confirmed_track() -> None:
    tracker = Tracker(gate_m=3.0, min_hits=3)
    rng = np.random.default_rng(0)
    confirmed = []
    for t in range(8):
        jitter = rng.normal(0, 0.8, 4)
        frame = [
            obs(Label.FIRE, 10 + jitter[0], 5 + jitter[1]),
            obs(Label.WARM_BODY, -20 + jitter[2], 3 + jitter[3]),
        ]
        confirmed += tracker.update(float(t), frame)
    assert sorted(tr.label for tr in confirmed) == [Label.FIRE, Label.WARM_BODY]
    fire = next(tr for tr in tracker.tracks if tr.label == Label.FIRE)
    assert fire.hits == 8
    n, e = wgs84_to_offset(LON0, LAT0, *fire.lon_lat)
    assert float(e) == pytest.approx(10, abs=0.8) and float(n) == pytest.approx(5, abs=0.8)


def test_classes_do_not_mix_and_far_points_start_new_tracks() -> None:
    tracker = Tracker(gate_m=3.0, min_hits=2)
    tracker.update(0.0, [obs(Label.FIRE, 0, 0), obs(Label.SMOKE, 0.5, 0)])
    tracker.update(1.0, [obs(Label.FIRE, 0.3, 0), obs(Label.FIRE, 30, 0)])
    labels = sorted((tr.label, tr.hits) for tr in tracker.tracks)
    assert labels == [(Label.FIRE, 1), (Label.FIRE, 2), (Label.SMOKE, 1)]


def test_two_detections_in_one_frame_never_join_one_track() -> None:
    tracker = Tracker(gate_m=5.0, min_hits=2)
    tracker.update(0.0, [obs(Label.WARM_BODY, 0, 0)])
    tracker.update(1.0, [obs(Label.WARM_BODY, 0.5, 0), obs(Label.WARM_BODY, -0.5, 0)])
    assert sorted(tr.hits for tr in tracker.tracks) == [1, 2]


def test_tracks_expire() -> None:
    tracker = Tracker(min_hits=2, max_age_s=5.0)
    tracker.update(0.0, [obs(Label.FIRE, 0, 0)])
    assert tracker.update(10.0, [obs(Label.FIRE, 0, 0)]) == []  # the first one expired: a new track
    assert [tr.hits for tr in tracker.tracks] == [1]


def people(points: list[tuple[float, float]]) -> tuple[list[Detection], list[tuple[float, float]]]:
    dets = [Detection(Label.WARM_BODY, 0.8, (10 * i, 0, 5, 5), "t") for i in range(len(points))]
    return dets, points


def test_dense_group_is_a_crowd_and_scattered_people_are_not() -> None:
    rng = np.random.default_rng(1)
    dense = [(float(x), float(y)) for x, y in rng.uniform(-3, 3, (12, 2))]
    scattered = [(float(x), float(y)) for x, y in rng.uniform(-60, 60, (12, 2)) + 100]
    crowds = detect_crowds(*people(dense + scattered), CrowdParams(min_count=8))
    assert len(crowds) == 1 and crowds[0].count == 12 and crowds[0].label == Label.CROWD
    assert crowds[0].area_m2 is not None and crowds[0].area_m2 < 60
    assert detect_crowds(*people(scattered), CrowdParams(min_count=8)) == []
    assert detect_crowds(*people(dense[:7]), CrowdParams(min_count=8)) == []


def test_snapshot_fits_its_budget_and_shows_boxes() -> None:
    rng = np.random.default_rng(2)
    img = rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)  # noise: the worst case for JPEG
    frame = Frame(img, FrameKind.RGB, 0.0, CameraModel(1280, 720, 70.0))
    jpeg = snapshot_jpeg(frame, [((100, 100, 50, 50), "fire 0.90")], max_bytes=30_000)
    assert 0 < len(jpeg) <= 30_000
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and decoded.shape[1] < 1280  # shrunk to fit
    calm = Frame(np.full((200, 300, 3), 90, np.uint8), FrameKind.RGB, 0.0, CameraModel(300, 200, 70.0))
    out = cv2.imdecode(
        np.frombuffer(snapshot_jpeg(calm, [((50, 50, 40, 40), "x")]), np.uint8), cv2.IMREAD_COLOR
    )
    assert out.shape == (200, 300, 3) and out[48, 70, 1] > 180 and out[48, 70, 2] > 180  # the yellow box edge


def test_thermal_snapshot_uses_a_colour_map() -> None:
    t = np.full((512, 640), 12.0, np.float32)
    t[200:220, 300:320] = 400.0
    jpeg = snapshot_jpeg(Frame(t, FrameKind.THERMAL, 0.0, CameraModel(640, 512, 31.8)))
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert img[210, 310].astype(int).sum() > img[50, 50].astype(int).sum() + 200


@pytest.mark.skipif(not face_blur_available(), reason="this OpenCV build ships no Haar face cascade")
def test_faces_are_blurred() -> None:
    face = np.full((240, 240, 3), 200, np.uint8)  # a schematic frontal face the cascade accepts
    cv2.ellipse(face, (120, 120), (70, 90), 0, 0, 360, (150, 170, 210), -1)
    for x in (92, 148):
        cv2.ellipse(face, (x, 100), (16, 8), 0, 0, 360, (40, 40, 40), -1)
        cv2.line(face, (x - 20, 82), (x + 20, 82), (30, 30, 30), 5)
    cv2.ellipse(face, (120, 130), (8, 20), 0, 0, 360, (120, 140, 180), -1)
    cv2.ellipse(face, (120, 170), (28, 9), 0, 0, 360, (60, 60, 140), -1)
    img = cv2.GaussianBlur(face, (0, 0), 2)
    blurred, n = blur_faces(img)
    if n == 0:
        pytest.skip("the cascade finds no face in the schematic drawing")
    assert n >= 1 and not np.array_equal(blurred, img)
    eye = img[95:105, 85:100].astype(int)
    assert np.abs(blurred[95:105, 85:100].astype(int) - eye).mean() > 5


def test_the_largest_face_a_camera_can_see_follows_its_height() -> None:
    camera = CameraModel(1280, 720, 90.0)  # focal 640 px
    at = partial(CameraPose, 113.77, 34.76)
    assert max_face_px(Frame(np.zeros((720, 1280, 3), np.uint8), FrameKind.RGB, 0.0, camera)) is None
    high = max_face_px(Frame(np.zeros((720, 1280, 3), np.uint8), FrameKind.RGB, 0.0, camera, at(100.0)))
    assert high == pytest.approx(0.4 * 640 / 97.5)  # ~2.6 px: no face the cascade could find
    low = max_face_px(Frame(np.zeros((720, 1280, 3), np.uint8), FrameKind.RGB, 0.0, camera, at(10.0)))
    assert low == pytest.approx(0.4 * 640 / 7.5)
    assert max_face_px(Frame(np.zeros((720, 1280, 3), np.uint8), FrameKind.RGB, 0.0, camera, at(2.0))) is None


class CountingCascade:
    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []

    def detectMultiScale(self, grey: np.ndarray, **kwargs: object) -> tuple[()]:
        self.calls.append(kwargs)
        return ()


def test_the_face_search_is_skipped_when_no_face_can_be_big_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    cascade = CountingCascade()
    monkeypatch.setattr(snapshot, "_face_cascade", lambda: cascade)
    camera = CameraModel(1280, 720, 90.0)
    image = np.full((720, 1280, 3), 90, np.uint8)
    snapshot_jpeg(Frame(image, FrameKind.RGB, 0.0, camera, CameraPose(113.77, 34.76, 100.0)))
    assert cascade.calls == []  # from 100 m a face is ~3 px: nothing to search for
    snapshot_jpeg(Frame(image, FrameKind.RGB, 0.0, camera, CameraPose(113.77, 34.76, 12.0)))
    assert [c["maxSize"] for c in cascade.calls] == [(27, 27)]  # 0.4 m at 9.5 m: at most 27 px
    snapshot_jpeg(Frame(image, FrameKind.RGB, 0.0, camera))  # no pose: the whole search
    assert cascade.calls[-1]["maxSize"] == (0, 0) and len(cascade.calls) == 2
