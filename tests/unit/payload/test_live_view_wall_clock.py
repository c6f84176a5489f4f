"""The live view's keep-alive is wall-clock time, whatever the agent's clock: in a sped-up sim (the
demo at x10 or x20) a 30 s keep-alive must not run out in 3 wall seconds, well before mission
control's relay repeats its start (every 10 wall s)."""

from __future__ import annotations

import time

import numpy as np

from docks.protocol.payload import LiveViewStart
from payload.agent import AgentConfig, OnboardAgent, Result
from payload.model import CameraModel, CameraPose, Frame, FrameKind

CAM = CameraModel(64, 48, 60.0)


class Camera:
    """A new frame at every read."""

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock

    def read(self) -> Frame:
        image = np.zeros((48, 64, 3), np.uint8)
        return Frame(image, FrameKind.RGB, self.clock(), CAM, CameraPose(113.755, 34.8, 50.0))

    def close(self) -> None:
        pass


class SimClock:
    """A sim clock far ahead of the wall: every reading is another 1000 sim seconds later."""

    def __init__(self) -> None:
        self.t_s = 0.0

    def __call__(self) -> float:
        self.t_s += 1000.0
        return self.t_s


def test_a_fast_sim_clock_does_not_expire_the_stream() -> None:
    clock = SimClock()
    agent = OnboardAgent(AgentConfig("P1"), rgb=Camera(clock), clock=clock)
    code, _ = agent.handle("live_view_start", LiveViewStart(camera="rgb", rate_hz=10.0, keepalive_s=30.0))
    assert code == Result.OK
    sent = 0
    for _ in range(3):  # 3000 sim seconds pass, a fraction of a wall second
        agent.step()
        sent += agent.live_frame() is not None
        time.sleep(0.11)  # the stream's 10 Hz: each loop a frame is due
    assert sent == 3
    assert agent.live.active(time.monotonic())
    assert clock.t_s >= 3000.0
