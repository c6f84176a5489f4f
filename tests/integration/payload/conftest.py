"""A rendered lakeside scene with known incidents, shared by the payload integration tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from payload.georef import offset_to_wgs84, wgs84_to_offset
from payload.model import CameraModel, CameraPose, Frame, FrameKind, Lead
from sim.camera import CameraRenderer, SceneMap, lakeside_scene
from sim.incidents import Incident, IncidentKind

RGB_CAM = CameraModel(960, 540, 70.0)
IR_CAM = CameraModel.from_sensor(640, 512, 13.5, 12.0)  # 31.8° HFOV
HOVER_EN = (10.0, 25.0)  # hover point, metres east/north of the scene origin


@dataclass
class World:
    scene: SceneMap
    incidents: list[Incident]
    renderer: CameraRenderer

    def at(self, east_m: float, north_m: float) -> tuple[float, float]:
        lon, lat = offset_to_wgs84(self.scene.origin_lon_deg, self.scene.origin_lat_deg, north_m, east_m)
        return float(lon), float(lat)

    def en(self, lon: float, lat: float) -> tuple[float, float]:
        n, e = wgs84_to_offset(self.scene.origin_lon_deg, self.scene.origin_lat_deg, lon, lat)
        return float(e), float(n)

    def hover_poses(
        self,
        agl_m: float,
        n: int,
        pitch_deg: float = -90.0,
        heading_deg: float = 0.0,
        seed: int = 1,
        back_m: float = 0.0,
    ) -> list[CameraPose]:
        """A drone hovering ``back_m`` south of the hover point: ~0.3 m of position jitter and 0.3° of
        heading jitter per frame."""
        rng = np.random.default_rng(seed)
        lon, lat = self.at(HOVER_EN[0], HOVER_EN[1] - back_m)
        poses = []
        for _ in range(n):
            de, dn = rng.normal(0, 0.3, 2)
            plon, plat = offset_to_wgs84(lon, lat, dn, de)
            poses.append(
                CameraPose(float(plon), float(plat), agl_m, heading_deg + rng.normal(0, 0.3), pitch_deg)
            )
        return poses

    def frames(self, pose: CameraPose, t_s: float) -> tuple[Frame, Frame]:
        rgb = self.renderer.frame(FrameKind.RGB, RGB_CAM, pose, t_s)
        ir = self.renderer.frame(FrameKind.THERMAL, IR_CAM, pose, t_s)
        return rgb, ir


def build_incidents(at: Callable[[float, float], tuple[float, float]]) -> list[Incident]:
    """Fire (with smoke), a person by the lake, a crowd of 12 and a ginger-orange decoy."""
    hx, hy = HOVER_EN
    return [
        Incident("fire-1", IncidentKind.FIRE, *at(hx - 9, hy + 5), size_m=2.5, temperature_c=450.0),
        Incident("person-1", IncidentKind.PERSON, *at(hx + 10, hy + 7), temperature_c=32.0),
        Incident(
            "crowd-1", IncidentKind.CROWD, *at(hx + 3, hy - 5), size_m=7.0, count=12, temperature_c=32.0
        ),
        Incident("decoy-1", IncidentKind.DECOY, *at(hx - 8, hy - 7), size_m=2.0, temperature_c=14.5),
    ]


@pytest.fixture(scope="session")
def scene() -> SceneMap:
    s = lakeside_scene()
    _ = s.colour, s.temperature  # build the rasters once
    return s


@pytest.fixture
def world(scene: SceneMap) -> World:
    w = World(scene, [], CameraRenderer(scene))
    w.incidents = build_incidents(w.at)
    w.renderer = CameraRenderer(scene, w.incidents)
    return w


def distance_m(world: World, lead: Lead, lon: float, lat: float) -> float:
    e0, n0 = world.en(lead.lon_deg, lead.lat_deg)
    e1, n1 = world.en(lon, lat)
    return float(np.hypot(e1 - e0, n1 - n0))
