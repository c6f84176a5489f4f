"""The real detectors on rendered frames at 60–120 m, scored against the incidents' ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from payload.model import Label, Lead
from payload.pipeline import DetectionPipeline, DetectorName, PipelineParams
from sim.incidents import IncidentKind
from tests.integration.payload.conftest import World, distance_m

FLOORS = {  # class: (precision, recall)
    Label.HOT_SPOT: (1.0, 1.0),
    Label.FIRE: (1.0, 1.0),
    Label.SMOKE: (0.5, 1.0),
    Label.WARM_BODY: (0.9, 0.85),
    Label.CROWD: (1.0, 1.0),
}


def run(
    world: World, agl_m: float, n_frames: int = 8, pitch_deg: float = -90.0, back_m: float = 0.0
) -> list[Lead]:
    pipeline = DetectionPipeline(
        [DetectorName.HOT_SPOT, DetectorName.WARM_BODY, DetectorName.FIRE_SMOKE, DetectorName.CROWD]
    )
    leads: list[Lead] = []
    for i, pose in enumerate(world.hover_poses(agl_m, n_frames, pitch_deg, back_m=back_m)):
        rgb, ir = world.frames(pose, 5.0 + 0.25 * i)
        leads += pipeline.process(rgb, ir)
    return leads


def score(world: World, leads: list[Lead]) -> dict[str, tuple[float, float, list[float]]]:
    """Per class: precision, recall and each matched lead's (distance / uncertainty radius)."""
    inc = {i.kind: i for i in world.incidents}
    fire, crowd, person = inc[IncidentKind.FIRE], inc[IncidentKind.CROWD], inc[IncidentKind.PERSON]
    truths: dict[str, list[tuple[float, float]]] = {
        Label.HOT_SPOT: [(fire.lon_deg, fire.lat_deg)],
        Label.FIRE: [(fire.lon_deg, fire.lat_deg)],
        Label.WARM_BODY: [(person.lon_deg, person.lat_deg), *crowd.member_positions()],
        Label.CROWD: [(crowd.lon_deg, crowd.lat_deg)],
    }
    result: dict[str, tuple[float, float, list[float]]] = {}
    for label, points in truths.items():
        mine = [lead for lead in leads if lead.label == label]
        matched: set[int] = set()
        ratios: list[float] = []
        true_pos = 0
        for lead in mine:
            dists = [distance_m(world, lead, *p) for p in points]
            free = [j for j in np.argsort(dists) if j not in matched]
            slack = crowd.radius_m if label == Label.CROWD else 0.0
            if free and dists[free[0]] <= lead.uncertainty_m + slack:
                matched.add(int(free[0]))
                true_pos += 1
                ratios.append(dists[free[0]] / lead.uncertainty_m)
        precision = true_pos / len(mine) if mine else 0.0
        result[label] = (precision, len(matched) / len(points), ratios)
    # smoke: somewhere over the plume (downwind of the fire, within ~20 m)
    smoke = [lead for lead in leads if lead.label == Label.SMOKE]
    near = [s for s in smoke if distance_m(world, s, fire.lon_deg, fire.lat_deg) <= 20.0]
    result[Label.SMOKE] = ((len(near) / len(smoke)) if smoke else 0.0, 1.0 if near else 0.0, [])
    return result


@pytest.mark.parametrize("agl_m", [60.0, 90.0, 120.0])
def test_precision_recall_and_positions_at_altitude(world: World, agl_m: float) -> None:
    leads = run(world, agl_m)
    for label, (precision, recall, ratios) in score(world, leads).items():
        p_floor, r_floor = FLOORS[label]
        assert precision >= p_floor, f"{label} precision {precision:.2f} at {agl_m} m"
        assert recall >= r_floor, f"{label} recall {recall:.2f} at {agl_m} m"
        assert all(r <= 1.0 for r in ratios), f"{label} lead outside its uncertainty radius at {agl_m} m"
    # one fire is one lead, confirmed over several frames
    fires = [lead for lead in leads if lead.label == Label.FIRE]
    assert len(fires) == 1 and fires[0].frames_confirmed >= 3
    crowd = next(lead for lead in leads if lead.label == Label.CROWD)
    assert crowd.count is not None and 10 <= crowd.count <= 13


def test_oblique_view_still_finds_the_fire_and_the_people(world: World) -> None:
    # 30 m south of the scene, looking north 18° below the nadir-to-horizon midline
    leads = run(world, 90.0, pitch_deg=-72.0, back_m=30.0)
    s = score(world, leads)
    for label in (Label.FIRE, Label.HOT_SPOT, Label.WARM_BODY, Label.CROWD):
        precision, recall, ratios = s[label]
        assert precision >= FLOORS[label][0] and recall >= FLOORS[label][1], f"{label}: {precision}, {recall}"
        assert all(r <= 1.0 for r in ratios)


def test_ginger_orange_decoy_is_never_fire(world: World) -> None:
    decoy = next(i for i in world.incidents if i.kind is IncidentKind.DECOY)
    leads = run(world, 60.0)
    for lead in leads:
        if lead.label in (Label.FIRE, Label.HOT_SPOT):
            assert distance_m(world, lead, decoy.lon_deg, decoy.lat_deg) > 5.0


def test_person_at_the_lake_shore_is_flagged(world: World) -> None:
    lake = tuple(world.at(e, n) for e, n in world.scene.water[0])  # WGS84 (lon, lat), as in GeoJSON
    pipeline = DetectionPipeline(
        [DetectorName.WARM_BODY], PipelineParams(water_lonlat=(lake,), shore_buffer_m=10.0)
    )
    leads: list[Lead] = []
    for i, pose in enumerate(world.hover_poses(90.0, 5)):
        _, ir = world.frames(pose, 5.0 + 0.25 * i)
        leads += pipeline.process(thermal=ir)
    person = next(i for i in world.incidents if i.kind is IncidentKind.PERSON)
    flagged = [lead for lead in leads if lead.near_water_m is not None]
    assert len(flagged) == 1  # the person 7 m from the water; the crowd is 20 m away
    assert distance_m(world, flagged[0], person.lon_deg, person.lat_deg) <= flagged[0].uncertainty_m
    assert 7.1 - flagged[0].uncertainty_m <= flagged[0].near_water_m <= 7.1 + flagged[0].uncertainty_m
