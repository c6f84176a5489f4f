"""Stalls that appear on a road and stay are found after they stayed, and nothing before."""

from __future__ import annotations

import numpy as np
import pytest

from payload.detectors.stationary import StationaryParams, polygon_mask
from payload.georef import offset_to_wgs84
from payload.model import CameraModel, CameraPose, FrameKind, Label, Lead
from payload.pipeline import DetectionPipeline, DetectorName, PipelineParams
from sim.camera import CameraRenderer, SceneMap
from sim.incidents import Incident, IncidentKind

CAM = CameraModel(640, 360, 70.0)
STAY_S = 10.0
START_S = 8.0


def at(scene: SceneMap, e: float, n: float) -> tuple[float, float]:
    lon, lat = offset_to_wgs84(scene.origin_lon_deg, scene.origin_lat_deg, n, e)
    return float(lon), float(lat)


def fly(
    scene: SceneMap, incidents: list[Incident], until_s: float, road_only: bool, agl_m: float = 90.0
) -> list[tuple[float, Lead]]:
    renderer = CameraRenderer(scene, incidents)
    rng = np.random.default_rng(2)
    centre = at(scene, 5.0, -25.0)
    poses = []
    for _ in np.arange(0.0, until_s, 2.0):
        lon, lat = offset_to_wgs84(centre[0], centre[1], *rng.normal(0, 0.4, 2))
        poses.append(CameraPose(float(lon), float(lat), agl_m, float(rng.normal(0, 0.4))))
    road = scene.roads[0]
    half = road.width_m / 2
    (x0, y0), (x1, y1) = road.start, road.end
    road_poly = [
        at(scene, x0, y0 - half),
        at(scene, x1, y1 - half),
        at(scene, x1, y1 + half),
        at(scene, x0, y0 + half),
    ]
    region = polygon_mask(CAM, poses[0], road_poly) if road_only else None
    params = PipelineParams(stationary=StationaryParams(min_stay_s=STAY_S), min_hits=2)
    pipeline = DetectionPipeline([DetectorName.STATIONARY], params, stationary_region=region)
    out = []
    for i, pose in enumerate(poses):
        t = 2.0 * i
        out += [(t, lead) for lead in pipeline.process(renderer.frame(FrameKind.RGB, CAM, pose, t))]
    return out


def test_still_scene_yields_nothing(scene: SceneMap) -> None:
    assert fly(scene, [], 40.0, road_only=False) == []


@pytest.mark.parametrize(("agl_m", "road_only"), [(60.0, True), (90.0, False), (120.0, True)])
def test_stalls_reported_only_after_they_stayed(scene: SceneMap, agl_m: float, road_only: bool) -> None:
    stalls = Incident(
        "stalls-1",
        IncidentKind.STALLS,
        *at(scene, 5.0, -30.0),
        size_m=12.0,
        count=4,
        heading_deg=90.0,
        temperature_c=22.0,
        start_s=START_S,
    )
    found = fly(scene, [stalls], 40.0, road_only, agl_m)
    assert found, "no stationary object reported"
    assert min(t for t, _ in found) >= START_S + STAY_S
    truths = stalls.member_positions()
    matched = set()
    for _, lead in found:
        assert lead.label == Label.STATIONARY_OBJECT
        e = [np.hypot(*(np.subtract(offset(scene, lead), offset_xy(scene, p)))) for p in truths]
        j = int(np.argmin(e))
        assert e[j] <= lead.uncertainty_m, (
            f"lead {e[j]:.1f} m from the nearest stall (radius {lead.uncertainty_m:.1f})"
        )
        matched.add(j)
    assert len(matched) >= 3  # recall ≥ 0.75 of the four stalls
    assert len(found) <= len(truths)  # one lead per stall, not one per frame


def offset(scene: SceneMap, lead: Lead) -> tuple[float, float]:
    return scene.offset_of(lead.lon_deg, lead.lat_deg)


def offset_xy(scene: SceneMap, lonlat: tuple[float, float]) -> tuple[float, float]:
    return scene.offset_of(*lonlat)
