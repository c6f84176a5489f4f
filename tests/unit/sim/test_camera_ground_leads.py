"""The district's ground raises no false leads: every payload detector runs on the frames of a
drone flying several kilometres over it at cruise height and hovering at the on-scene height, and
finds nothing; market stalls on a scene's road are neither smoke nor fire."""

from __future__ import annotations

import math

from payload.georef import offset_to_wgs84
from payload.model import CameraModel, CameraPose, FrameKind
from payload.pipeline import ALL_DETECTORS, DetectionPipeline
from sim.camera import CameraRenderer, GroundRenderer
from sim.incidents import Incident, IncidentKind
from sim.scenarios import LONG_LAKE

RGB = CameraModel(1280, 720, 70.0)  # the demo's cameras (mission.app_sim)
IR = CameraModel(640, 512, 31.8)
START = (113.745, 34.772)  # west of the east station, south of Long Lake: between the scenes
CRUISE_MPS = 15.0
RATE_HZ = 2.0


def test_the_detectors_find_nothing_over_the_district() -> None:
    ground = GroundRenderer()
    pipeline = DetectionPipeline(ALL_DETECTORS)
    found: list[tuple[float, str]] = []
    t_s = 0.0

    def look(east_m: float, north_m: float, agl_m: float, heading_deg: float) -> None:
        lon, lat = offset_to_wgs84(START[0], START[1], north_m, east_m)
        pose = CameraPose(float(lon), float(lat), agl_m, heading_deg)
        rgb = ground.frame(FrameKind.RGB, RGB, pose, t_s)
        thermal = ground.frame(FrameKind.THERMAL, IR, pose, t_s)
        found.extend((t_s, loc.detection.label) for loc in pipeline.detect(rgb, thermal))

    # a 4.5 km leg north-east at 120 m: bursts of five frames at 2 Hz (7.5 m apart) every 750 m,
    # so the detectors' frame-to-frame logic (alignment, flicker, motion) runs and restarts
    heading = 55.0
    ue, un = math.sin(math.radians(heading)), math.cos(math.radians(heading))
    for leg_m in range(0, 4500, 750):
        for k in range(5):
            d = leg_m + k * CRUISE_MPS / RATE_HZ
            look(d * ue, d * un, 120.0, heading)
            t_s += 1.0 / RATE_HZ
        t_s += 750.0 / CRUISE_MPS
    # on scene over the ground at 100 m (config's on_scene_height_m), long enough for the
    # stationary-object detector (20 s of evidence) and the tracker's confirmation
    for k in range(12):
        look(4600.0 * ue + 0.3 * math.sin(k), 4600.0 * un, 100.0, heading)
        t_s += 3.0
    # and a lower, slower pass (60 m, 5 m/s) heading east
    for k in range(6):
        look(4600.0 * ue + 2.5 * k, 4600.0 * un - 300.0, 60.0, 90.0)
        t_s += 0.5
    assert t_s > 100.0
    assert found == []


def test_stalls_on_the_long_lake_road_are_neither_smoke_nor_fire() -> None:
    """The stalls-at-longhu scenario's two rows (one on the carriageway): the white stripes of their
    canopies are smoke-coloured and flicker at their edges, some canopies are fire-coloured, but they
    are neither smoke nor fire. A drone hovers over the road at the on-scene height, frames at 2 Hz."""
    rows = [
        Incident("vendors", IncidentKind.STALLS, *LONG_LAKE.at(-60, -45), 10.0, 22.0, count=4),
        Incident("road", IncidentKind.STALLS, *LONG_LAKE.at(10, -30), 12.0, 22.0, count=4, heading_deg=90.0),
    ]
    renderer = CameraRenderer(LONG_LAKE.scene(), rows)
    pipeline = DetectionPipeline(ALL_DETECTORS)
    found: list[str] = []
    for k in range(8):
        t_s = 30.0 + k / RATE_HZ
        pose = CameraPose(*LONG_LAKE.at(10.0 + 0.3 * math.sin(k), -20.0 + 0.3 * math.cos(k)), 100.0, 0.0)
        rgb = renderer.frame(FrameKind.RGB, RGB, pose, t_s)
        thermal = renderer.frame(FrameKind.THERMAL, IR, pose, t_s)
        found.extend(loc.detection.label for loc in pipeline.detect(rgb, thermal))
    assert not {"smoke", "fire", "hot_spot", "warm_body"} & set(found)
