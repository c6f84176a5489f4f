"""The agent's logic without MQTT: a stalled camera never confirms a lead by repeating its frame."""

from __future__ import annotations

import numpy as np

from docks.protocol.payload import AiDetectStart, IrMeasurePoint
from payload.agent import AgentConfig, OnboardAgent, Result
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
