"""The live view makes its own frames: when one is due it takes the camera's current picture (unless
the detector has a newer frame) and draws the current tracks' boxes on it. A slow detector does not
hold the picture up, a preview never feeds the detector (nor twice), and nobody watching costs no
read."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from docks.protocol.payload import AiDetectStart, LiveFrame, LiveViewStart
from payload.agent import AgentConfig, OnboardAgent, Result
from payload.frames import CaptureFrameSource, PreviewSource
from payload.model import CameraModel, CameraPose, Detection, Frame, FrameKind

CAM = CameraModel(64, 48, 60.0)
POSE = CameraPose(113.755, 34.8, 50.0)
#: A guard against a hang, not a timing check.
WAIT_S = 30.0


class Clock:
    """The agent's clock (sim time), moved by the test."""

    def __init__(self) -> None:
        self.t_s = 10.0

    def __call__(self) -> float:
        return self.t_s


class Camera:
    """An RGB camera the live view can look through: each read and each preview is a new frame at
    the clock's time. ``hands_over``: a previewed frame is the next one read (as a capture's);
    else a preview is a picture of its own (as the sim camera's render)."""

    def __init__(self, clock: Clock, hands_over: bool) -> None:
        self.clock = clock
        self.hands_over = hands_over
        self.reads = 0
        self.previewed: list[Frame] = []
        self._unread: Frame | None = None

    def _frame(self) -> Frame:
        return Frame(np.zeros((48, 64, 3), np.uint8), FrameKind.RGB, self.clock(), CAM, POSE)

    def read(self) -> Frame | None:
        self.reads += 1
        frame, self._unread = self._unread, None
        return frame or self._frame()

    def preview(self) -> Frame | None:
        frame = self._frame()
        self.previewed.append(frame)
        if self.hands_over:
            self._unread = frame
        return frame

    def close(self) -> None:
        pass


class Person:
    """A plugged-in detector that sees a person in the middle of every picture and keeps the
    images it was given; while ``go`` is clear it holds the detection step (a slow detector)."""

    class_names = ("person",)

    def __init__(self) -> None:
        self.images: list[npt.NDArray[np.uint8]] = []
        self.entered = threading.Event()
        self.go = threading.Event()
        self.go.set()

    def detect(self, bgr: npt.NDArray[np.uint8]) -> list[Detection]:
        self.images.append(bgr)
        self.entered.set()
        assert self.go.wait(WAIT_S)
        return [Detection("person", 0.9, (24.0, 16.0, 16.0, 16.0), "test")]


def agent_with(camera: Camera, clock: Clock, person: Person) -> OnboardAgent:
    agent = OnboardAgent(AgentConfig("P1", rate_hz=2.0), rgb=camera, person_detector=person, clock=clock)
    assert agent.handle("ai_detect_start", AiDetectStart(classes=("person",)))[0] == Result.OK
    return agent


def watch(agent: OnboardAgent, rate_hz: float = 10.0) -> None:
    assert agent.handle("live_view_start", LiveViewStart(camera="rgb", rate_hz=rate_hz))[0] == Result.OK


def next_live(agent: OnboardAgent) -> LiveFrame:
    """The next live frame, once one is due (the stream's rate is wall-clock time)."""
    deadline = time.monotonic() + WAIT_S
    while (out := agent.live_frame()) is None:
        assert time.monotonic() < deadline, "no live frame"
        time.sleep(0.01)
    return out


def test_a_slow_detector_does_not_hold_up_the_picture() -> None:
    clock, person = Clock(), Person()
    camera = Camera(clock, hands_over=False)
    agent = agent_with(camera, clock, person)
    watch(agent)
    person.go.clear()
    with ThreadPoolExecutor(1) as pool:
        stepping = pool.submit(agent.step)
        assert person.entered.wait(WAIT_S)
        frames = []
        for _ in range(4):  # the detector is stuck in its step the whole time
            clock.t_s += 0.5
            frames.append(next_live(agent))
        assert not stepping.done()
        person.go.set()
        stepping.result()
    assert len(person.images) == 1
    assert len(camera.previewed) >= 3  # the first may be the detector's own frame, if still recent
    stamps = [f.frame_timestamp_ms for f in frames]
    assert stamps == sorted(set(stamps)) and stamps[-1] == 12_000  # the camera's pictures of now


def test_the_current_tracks_boxes_are_drawn_on_the_cameras_current_picture() -> None:
    clock, person = Clock(), Person()
    agent = agent_with(Camera(clock, hands_over=False), clock, person)
    for _ in range(3):  # three hits: the person is a lead
        clock.t_s += 0.5
        agent.step()
    watch(agent)
    seen_s = clock.t_s
    clock.t_s += 1.0  # the detector has not run since: the picture is newer than its last frame
    out = next_live(agent)
    if out.frame_timestamp_ms == int(seen_s * 1000):  # the detector's newest frame went first
        out = next_live(agent)
    assert out.frame_timestamp_ms == int(clock.t_s * 1000)
    assert [(d.label, d.lead_id is not None) for d in out.detections] == [("person", True)]
    d = out.detections[0]
    assert abs(d.x + d.width / 2 - 0.5) < 0.02 and abs(d.y + d.height / 2 - 0.5) < 0.02
    clock.t_s = seen_s + 10.0  # the detector stalled far longer than its 2.5 periods: no stale box
    assert next_live(agent).detections == ()


def test_a_preview_never_feeds_the_detector_nor_twice() -> None:
    for hands_over in (False, True):
        clock, person = Clock(), Person()
        camera = Camera(clock, hands_over=hands_over)
        agent = agent_with(camera, clock, person)
        watch(agent)
        shown: list[int] = []
        for _ in range(6):
            clock.t_s += 0.5
            agent.step()
            shown.append(next_live(agent).frame_timestamp_ms)  # the detector's frame: new
            clock.t_s += 0.1
            shown.append(next_live(agent).frame_timestamp_ms)  # the camera's current picture
        assert shown == sorted(set(shown))  # twelve frames, each newer than the one before
        ids = [id(img) for img in person.images]
        assert len(ids) == len(set(ids)) == 6  # every step a frame of its own
        previewed = {id(f.image) for f in camera.previewed}
        if hands_over:  # a capture: a previewed frame is the next one read, processed once
            assert len(previewed & set(ids)) == 5  # the last preview is not read yet
        else:  # the sim camera: a preview is the live view's alone
            assert len(camera.previewed) == 6 and not previewed & set(ids)
            assert not {id(f) for f in camera.previewed} & {id(f) for f in agent.latest.values()}


def test_nobody_watching_costs_no_read() -> None:
    clock, person = Clock(), Person()
    camera = Camera(clock, hands_over=True)
    agent = agent_with(camera, clock, person)
    for _ in range(5):
        clock.t_s += 0.5
        agent.step()
        assert agent.live_frame() is None
    assert camera.reads == 5 and camera.previewed == []
    watch(agent, rate_hz=0.1)  # one frame each 10 wall s: the first at once, then none due
    clock.t_s += 1.0
    next_live(agent)
    previews = len(camera.previewed)
    assert previews <= 1  # none if the detector's frame was still recent
    for _ in range(5):
        assert agent.live_frame() is None
    agent.handle("live_view_stop", LiveViewStart())
    watch(agent, rate_hz=0.1)
    agent.handle("live_view_stop", LiveViewStart())
    assert agent.live_frame() is None
    assert len(camera.previewed) == previews and camera.reads == 5


def test_a_captures_preview_is_its_next_read(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    video = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5.0, (64, 48))
    for i in range(6):
        video.write(np.full((48, 64, 3), 40 * i, np.uint8))
    video.release()
    capture = CaptureFrameSource(str(path), 60.0)
    assert isinstance(capture, PreviewSource)

    def level(frame: Frame | None) -> int:
        assert frame is not None
        return round(float(np.mean(frame.image)) / 40)

    first = capture.read()
    assert level(first) == 0
    shown = capture.preview()
    assert level(shown) == 1
    assert capture.read() is shown  # the detector gets the previewed frame, once
    assert level(capture.read()) == 2
    assert level(capture.preview()) == 3
    newest = capture.preview()
    assert level(newest) == 4
    assert capture.read() is newest  # frame 3, replaced before anyone read it, is dropped
    assert level(capture.read()) == 5
    assert capture.preview() is None and capture.read() is None  # the video ended
    capture.close()
