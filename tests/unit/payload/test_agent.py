"""The agent's logic without MQTT: a stalled camera never confirms a lead by repeating its frame; a
camera that can be sampled in sim time gives clips at the detection spacing when the agent is busy."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from docks.protocol.payload import AiDetectStart, IrMeasurePoint
from payload.agent import AgentConfig, OnboardAgent, Result
from payload.frames import ClipSource
from payload.model import CameraModel, CameraPose, Frame, FrameKind

CAM = CameraModel(64, 48, 31.8)
POSE = CameraPose(113.755, 34.8, 30.0)


class OneFrame:
    """A thermal camera that delivered one frame with a hot spot and then stalled."""

    def __init__(self) -> None:
        t = np.full((48, 64), 12.0, np.float32)
        t[20:28, 30:38] = 300.0
        self.frame = Frame(t, FrameKind.THERMAL, 1.0, CAM, POSE)

    def read(self) -> Frame | None:
        return self.frame

    def close(self) -> None:
        pass


def test_a_stalled_source_does_not_confirm_leads() -> None:
    ticks = iter(float(i) for i in range(1000))
    agent = OnboardAgent(AgentConfig("P1", rate_hz=1.0), thermal=OneFrame(), clock=lambda: next(ticks))
    code, _ = agent.handle("ai_detect_start", AiDetectStart(classes=("hot_spot",)))
    assert code == Result.OK
    assert [agent.step() for _ in range(10)] == [None] * 10
    assert agent.pipeline_tracks() == 1  # seen once, never confirmed (needs 3 frames)
    code, out = agent.handle("ir_measure_point", IrMeasurePoint(x=34 / 64, y=24 / 48))
    assert code == Result.OK and out is not None and out.temperature_c == 300.0  # type: ignore[attr-defined]
    assert agent.osd().detecting and agent.osd().thermal_online and not agent.osd().rgb_online


def test_services_without_hardware() -> None:
    agent = OnboardAgent(AgentConfig("P1"))
    assert agent.handle("ir_measure_point", IrMeasurePoint(x=0.5, y=0.5))[0] == Result.WRONG_MODE
    assert agent.handle("ai_detect_start", AiDetectStart(classes=("fire",)))[0] == Result.INVALID_PARAMS
    assert agent.handle("flighttask_prepare", AiDetectStart())[0] == Result.UNKNOWN_METHOD


class Model:
    """A plugged-in detector with its own classes (stands in for an ONNX model)."""

    class_names = ("person", "car", "boat")

    def detect(self, bgr):  # type: ignore[no-untyped-def]
        return []


class Blank(OneFrame):
    def __init__(self) -> None:
        self.frame = Frame(np.zeros((48, 64, 3), np.uint8), FrameKind.RGB, 1.0, CAM, POSE)


def test_a_plugged_in_model_adds_its_classes() -> None:
    agent = OnboardAgent(AgentConfig("P1"), rgb=Blank(), person_detector=Model())
    code, out = agent.handle("ai_detect_start", AiDetectStart(classes=("car", "boat", "fire")))
    assert code == Result.OK and set(out.classes) == {"car", "boat", "fire"}  # type: ignore[union-attr]
    assert agent.handle("ai_detect_start", AiDetectStart(classes=("warm_body",)))[0] == Result.INVALID_PARAMS


class HotClip:
    """A thermal camera whose video can be sampled at chosen times (as the sim camera): a hot spot
    in every frame; it records the times it was asked for."""

    def __init__(self, now: Callable[[], float]) -> None:
        self.now = now
        self.asked: list[list[float]] = []

    def _frame(self, t_s: float) -> Frame:
        t = np.full((48, 64), 12.0, np.float32)
        t[20:28, 30:38] = 300.0
        return Frame(t, FrameKind.THERMAL, t_s, CAM, POSE)

    def read(self) -> Frame | None:
        return self._frame(self.now())

    def clip(self, times_s: Sequence[float]) -> list[Callable[[], Frame | None]]:
        self.asked.append(list(times_s))
        return [functools.partial(self._frame, t_s) for t_s in times_s]

    def close(self) -> None:
        pass


def test_a_busy_agent_takes_clips_at_the_detection_spacing_in_sim_time() -> None:
    """x10 on a CPU that needs a wall second per frame: the clock jumps 10 s between steps. The newest
    frame would leave 10 s gaps, so each run takes the frames due 1 / rate_hz apart (at most a clip);
    a gap between clips counts as 3 s of watching, so the track lives on: one lead."""
    now = [100.0]
    camera = HotClip(lambda: now[0])
    agent = OnboardAgent(AgentConfig("P1", rate_hz=2.0), thermal=camera, clock=lambda: now[0])
    assert isinstance(camera, ClipSource)
    agent.handle("ai_detect_start", AiDetectStart(classes=("hot_spot",)))
    published = []
    for _ in range(13):
        published.append(agent.step())
        now[0] += 10.0
    n = agent.config.clip_len
    assert n == 7  # five frames of flicker history, then the tracker's three hits
    assert camera.asked[0] == [100.0]  # the first run: the newest frame
    assert camera.asked[1] == [110.0 - 0.5 * k for k in range(n - 1, -1, -1)]
    assert camera.asked[2] == [180.0 - 0.5 * k for k in range(n - 1, -1, -1)]  # the frames between dropped
    leads = [p for p in published if p is not None]
    # hits at 100 (the first run) and at the clip's 107 and 107.5: the 7 s gap counts as 3 s watched
    assert [p is not None for p in published[:4]] == [False, False, True, False]
    assert len(leads) == 1 and leads[0].frame_t_s == 107.5  # one object, one lead, across clips
    assert agent.pipeline_tracks() == 1


def test_a_clip_camera_that_keeps_up_gives_the_newest_frame() -> None:
    now = [10.0]
    camera = HotClip(lambda: now[0])
    agent = OnboardAgent(AgentConfig("P1", rate_hz=2.0), thermal=camera, clock=lambda: now[0])
    agent.handle("ai_detect_start", AiDetectStart(classes=("hot_spot",)))
    for step in (0.5, 0.7, 2.9, 0.5, 3.5, 0.0, 0.5):  # within the 3 s gap: the newest frame alone
        now[0] += step
        agent.step()
    assert camera.asked[:4] == [[10.5], [11.2], [14.1], [14.6]]
    assert camera.asked[4] == [18.1 - 0.5 * k for k in range(6, -1, -1)]  # 3.5 s: the video broke
