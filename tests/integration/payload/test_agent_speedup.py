"""The onboard agent in a sped-up sim: at x10, on a machine that needs about a wall second per frame,
the sim clock moves ~10 s between two of the agent's steps. A drone orbiting the scene (40 m round
it at 100 m, the camera on the centre) still confirms the fire, the person and the crowd from the
frames of one clip (the camera's video sampled 0.5 sim s apart), as it would at x1; taking only the
newest frame at each step (frames 10 s apart) confirms no fire."""

from __future__ import annotations

import math

from docks.protocol.payload import AiDetectStart
from payload.agent import AgentConfig, OnboardAgent
from payload.model import CameraPose, FrameKind, Label
from sim.camera import RenderedFrameSource
from tests.integration.payload.conftest import HOVER_EN, IR_CAM, RGB_CAM, World

SIM_S_PER_STEP = 10.0  # x10, a wall second per detection run
ORBIT_M, AGL_M, ORBIT_MPS = 40.0, 100.0, 4.0  # the demo's on-scene orbit (config/skyloop.toml)


def orbit_pose(world: World, t_s: float) -> CameraPose:
    """Counter-clockwise round the hover point, heading along the circle, the camera on the centre."""
    a = ORBIT_MPS / ORBIT_M * t_s
    east, north = HOVER_EN[0] + ORBIT_M * math.cos(a), HOVER_EN[1] + ORBIT_M * math.sin(a)
    heading = math.degrees(math.atan2(-math.sin(a), math.cos(a)))
    bearing = math.degrees(math.atan2(-math.cos(a), -math.sin(a)))
    pitch = -math.degrees(math.atan2(AGL_M, ORBIT_M))
    yaw = (bearing - heading + 180.0) % 360.0 - 180.0
    return CameraPose(*world.at(east, north), AGL_M, heading % 360.0, pitch, yaw)


def run(world: World, steps: int, clip_frames: int | None = None) -> dict[str, float]:
    """Sim seconds after the start at which each class's first lead was published."""
    now = [300.0]
    t0 = now[0]

    def pose_at(t_s: float) -> CameraPose:
        return orbit_pose(world, t_s)

    agent = OnboardAgent(
        AgentConfig("P1", clip_frames=clip_frames),
        rgb=RenderedFrameSource(world.renderer, FrameKind.RGB, RGB_CAM, pose_at, lambda: now[0]),
        thermal=RenderedFrameSource(world.renderer, FrameKind.THERMAL, IR_CAM, pose_at, lambda: now[0]),
        clock=lambda: now[0],
    )
    classes = ("fire", "smoke", "hot_spot", "warm_body", "crowd")
    agent.handle("ai_detect_start", AiDetectStart(classes=classes))
    first: dict[str, float] = {}
    for _ in range(steps):
        published = agent.step()
        for lead in published.leads if published else []:
            first.setdefault(lead.label, now[0] - t0)
        now[0] += SIM_S_PER_STEP
    return first


def test_x10_confirms_fire_person_and_crowd_within_one_clip(world: World) -> None:
    first = run(world, 8)  # the newest frame, then a clip: 7 frames (5 of flicker history, 3 hits)
    assert Label.FIRE in first and Label.SMOKE in first
    assert {Label.HOT_SPOT, Label.WARM_BODY, Label.CROWD} <= first.keys()
    assert max(first.values()) <= 7 * SIM_S_PER_STEP


def test_frames_10_sim_s_apart_confirm_no_fire(world: World) -> None:
    first = run(world, 8, clip_frames=1)  # the newest frame at each step, as before clips
    assert Label.FIRE not in first and Label.SMOKE not in first
