"""The sim world's cameras: a drone over a scenario's place renders that place's scene with the
incident in it, and the real payload agent finds it; elsewhere the district's ground; on the ground
there is no frame."""

from __future__ import annotations

from docks.protocol.payload import AiDetectStart
from mission.app_sim import SimOptions, SimWorld
from mission.settings import load_settings
from payload.agent import AgentConfig, OnboardAgent
from payload.georef import wgs84_to_offset
from payload.model import CameraModel, CameraPose, FrameKind, Lead
from sim.scenarios import LONG_LAKE, SCENARIOS, apply
from sim.scene_cameras import SceneFrameSource


class ManualClock:
    def __init__(self) -> None:
        self.t_s = 100.0

    def __call__(self) -> float:
        return self.t_s


def test_a_drone_over_the_fire_sees_it_and_nowhere_else() -> None:
    world = SimWorld(load_settings(), SimOptions(dock_count=1))  # not started: only its scenes
    scenario = SCENARIOS["fire-at-longhu"]
    apply(scenario, scenario.steps[0].action, world, 0.0)
    (fire,) = world.incidents
    clock = ManualClock()
    pose: list[CameraPose | None] = [CameraPose(*LONG_LAKE.at(1.0, 20.0), 60.0)]

    def source(kind: FrameKind, camera: CameraModel) -> SceneFrameSource:
        return SceneFrameSource(world.places, kind, camera, lambda _t: pose[0], clock)

    agent = OnboardAgent(
        AgentConfig("T-UAV"),
        source(FrameKind.RGB, CameraModel(1280, 720, 70.0)),
        source(FrameKind.THERMAL, CameraModel(640, 512, 31.8)),
        clock=clock,
    )
    assert agent.handle("ai_detect_start", AiDetectStart(classes=("fire",)))[0] == 0
    leads: list[Lead] = []
    for _ in range(8):
        clock.t_s += 0.5
        published = agent.step()
        if published is not None:
            leads += published.leads
    assert leads and all(lead.label == "fire" for lead in leads)
    north, east = wgs84_to_offset(fire.lon_deg, fire.lat_deg, leads[0].lon_deg, leads[0].lat_deg)
    assert (float(north) ** 2 + float(east) ** 2) ** 0.5 <= leads[0].uncertainty_m

    rgb = source(FrameKind.RGB, CameraModel(320, 240, 70.0))
    pose[0] = CameraPose(*LONG_LAKE.at(2000.0, 0.0), 60.0)  # 2 km east: the district's ground
    ground = rgb.read()
    assert ground is not None and ground.pose == pose[0] and ground.image.shape == (240, 320, 3)
    pose[0] = None  # on the ground
    assert rgb.read() is None
