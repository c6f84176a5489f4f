"""Which boxes the live view draws: the detector's current tracks, carried into the frame shown."""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np
import pytest

from docks.protocol.payload import AiDetectStart, LiveFrame, LiveViewStart
from payload.agent import AgentConfig, OnboardAgent, Result
from payload.georef import gsd_m, offset_to_wgs84
from payload.live_view import LiveView, moved_box
from payload.model import CameraModel, CameraPose, Frame, FrameKind
from payload.pipeline import Sighting
from payload.snapshot import snapshot_jpeg

CAM = CameraModel(640, 480, 60.0)
POSE = CameraPose(113.755, 34.8, 50.0)
RGB = {FrameKind.RGB}


def frame(t_s: float, pose: CameraPose | None = POSE, kind: FrameKind = FrameKind.RGB) -> Frame:
    if kind is FrameKind.RGB:
        return Frame(np.zeros((480, 640, 3), np.uint8), kind, t_s, CAM, pose)
    return Frame(np.full((480, 640), 12.0, np.float32), kind, t_s, CAM, pose)


def sighting(track_id: int, t_s: float, lead_id: str | None = "lead-1", **kw: object) -> Sighting:
    base = Sighting(
        track_id=track_id,
        label="fire",
        confidence=0.9,
        source="fire_smoke_rule",
        bbox_px=(300.0, 200.0, 20.0, 20.0),
        frame_kind=FrameKind.RGB,
        camera=CAM,
        pose=POSE,
        t_capture_s=t_s,
        hits=3,
        lon_deg=POSE.lon_deg,
        lat_deg=POSE.lat_deg,
        uncertainty_m=2.0,
        lead_id=lead_id,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def moved(pose: CameraPose, east_m: float, north_m: float = 0.0) -> CameraPose:
    lon, lat = offset_to_wgs84(pose.lon_deg, pose.lat_deg, north_m, east_m)
    return replace(pose, lon_deg=float(lon), lat_deg=float(lat))


def shown(view: LiveView, latest: Frame, now_s: float) -> LiveFrame:
    out = view.frame({latest.kind: latest}, now_s)
    assert out is not None
    return out


def test_a_track_keeps_its_box_on_every_frame_while_the_detector_sees_it() -> None:
    view = LiveView()
    view.start(LiveViewStart(camera="rgb", rate_hz=2.0), 0.0)
    for i in range(20):  # 10 s of frames: far past any hold time
        t_s = 1.0 + i * 0.5
        view.note_run(RGB, [sighting(7, t_s)], max_lag_s=1.25)
        out = shown(view, frame(t_s), now_s=t_s)
        assert [(d.track_id, d.lead_id) for d in out.detections] == [(7, "lead-1")]
        d = out.detections[0]
        assert (d.x, d.y, d.width, d.height) == pytest.approx((300 / 640, 200 / 480, 20 / 640, 20 / 480))


def test_one_missed_run_keeps_the_box_two_drop_it_and_other_cameras_do_not_count() -> None:
    view = LiveView()
    view.note_run(RGB, [sighting(7, 1.0)], max_lag_s=10.0)
    view.note_run({FrameKind.THERMAL}, [], max_lag_s=10.0)  # a thermal-only run did not look for it
    view.note_run(RGB, [], max_lag_s=10.0)  # missed once (a flicker): kept
    assert [s.track_id for s, _ in view.boxes(frame(2.0))] == [7]
    view.note_run(RGB, [], max_lag_s=10.0)  # missed twice: gone
    assert view.boxes(frame(2.5)) == []


def test_a_box_from_a_too_old_detection_frame_is_not_drawn_and_clear_drops_all() -> None:
    view = LiveView()
    view.note_run(RGB, [sighting(7, 1.0)], max_lag_s=1.25)
    assert len(view.boxes(frame(2.0))) == 1
    assert view.boxes(frame(2.5)) == []  # the detector fell behind: no stale box
    view.clear()
    assert view.boxes(frame(1.0)) == []
    assert view.boxes(frame(1.0, kind=FrameKind.THERMAL)) == []


def test_the_box_follows_the_drones_motion_between_detection_and_shown_frame() -> None:
    gsd = gsd_m(CAM, POSE)[0]
    s = sighting(7, 1.0)
    x, y, w, h = moved_box(s, frame(1.5, moved(POSE, east_m=5.0))) or (math.nan,) * 4
    # the drone went 5 m east: the ground (and the fire on it) shows 5 m further west in the picture
    assert (x, y, w, h) == pytest.approx((300.0 - 5.0 / gsd, 200.0, 20.0, 20.0), abs=0.5)
    x, y, w, h = moved_box(s, frame(1.5, replace(POSE, agl_m=100.0))) or (math.nan,) * 4
    assert (w, h) == pytest.approx((10.0, 10.0), abs=0.2)  # twice as high: half the size
    assert moved_box(s, frame(1.5, moved(POSE, east_m=300.0))) is None  # out of the picture
    assert moved_box(s, frame(1.5, pose=None)) == s.bbox_px  # no pose: left where it was found
    for pitch_deg in (-2.0, -20.0, -45.0):  # near the horizon corners land far away: clipped
        box = moved_box(s, frame(1.5, replace(moved(POSE, 0.0, -40.0), pitch_deg=pitch_deg)))
        if box is not None:
            bx, by, bw, bh = box
            assert 0.0 <= bx <= bx + bw <= 640.0 and 0.0 <= by <= by + bh <= 480.0
    far = (-1e12, -1e12, 2e12, 2e12)
    assert snapshot_jpeg(frame(1.0), [(far, "x")], tentative=[(far, "y")])  # drawable, and quickly


def _edge_lit(jpeg: bytes, y: int, x0: int, x1: int) -> float:
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert img is not None
    return float(np.mean(img[y, x0:x1] > 80))


def test_confirmed_boxes_are_solid_tentative_ones_dashed() -> None:
    box = ((100.0, 100.0, 200.0, 100.0), "fire")
    solid = snapshot_jpeg(frame(1.0), [box], max_bytes=200_000)
    dashed = snapshot_jpeg(frame(1.0), [], max_bytes=200_000, tentative=[box])
    assert _edge_lit(solid, 98, 110, 290) > 0.9  # the top edge (drawn 2 px outside the box)
    assert 0.3 < _edge_lit(dashed, 98, 110, 290) < 0.7


def test_the_agent_shows_a_hot_spot_tentative_then_confirmed_on_every_frame() -> None:
    class HotSpot:
        """A thermal camera over a hot spot, a new frame every read (0.5 s apart)."""

        def __init__(self) -> None:
            self.t_s = 0.0

        def read(self) -> Frame:
            self.t_s += 0.5
            f = frame(self.t_s, kind=FrameKind.THERMAL)
            np.asarray(f.image)[200:216, 300:316] = 300.0
            return f

        def close(self) -> None:
            pass

    source = HotSpot()
    agent = OnboardAgent(AgentConfig("P1", rate_hz=2.0), thermal=source, clock=lambda: source.t_s)
    assert agent.handle("ai_detect_start", AiDetectStart(classes=("hot_spot",)))[0] == Result.OK
    agent.live.start(LiveViewStart(camera="thermal", rate_hz=2.0), 0.0)
    seen = []
    for i in range(8):
        published = agent.step()
        out = shown(agent.live, agent.latest[FrameKind.THERMAL], now_s=float(i))
        assert [d.label for d in out.detections] == ["hot_spot"]
        assert out.detections[0].t_peak_c == 300.0
        seen.append((published is not None, out.detections[0].lead_id))
    assert [p for p, _ in seen] == [False, False, True] + [False] * 5  # one lead, at the 3rd frame
    assert [lead is None for _, lead in seen] == [True, True] + [False] * 6  # tentative, then the lead
    agent.handle("ai_detect_stop", AiDetectStart())
    agent.read_frames()
    assert shown(agent.live, agent.latest[FrameKind.THERMAL], now_s=9.0).detections == ()
