"""Scenarios: every named one is well formed, its incidents lie in a rendered scene, and the player
applies its steps in time order to the world."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from payload.georef import wgs84_to_offset
from sim.clock import SimClock
from sim.incidents import Incident
from sim.scenarios import PLACES, SCENARIOS, AddIncident, DockFaults, EndIncident, run_scenario
from sim.weather import Rainfall


class RecordingWorld:
    """A ScenarioWorld that writes down what it was asked to do."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.incidents: dict[str, Incident] = {}

    def add_incident(self, incident: Incident, reported_as: str | None = None) -> None:
        self.incidents[incident.incident_id] = incident
        self.calls.append(("add", incident.incident_id))

    def end_incident(self, incident_id: str) -> None:
        self.calls.append(("end", incident_id))

    def set_wind(self, speed_mps: float, from_deg: float) -> None:
        self.calls.append(("wind", speed_mps))

    def set_rain(self, level: Rainfall) -> None:
        self.calls.append(("rain", level))

    def inject_dock(self, index: int, faults: Mapping[str, bool]) -> str:
        self.calls.append(("dock", (index, dict(faults))))
        return f"D{index + 1:02d}"


def test_the_named_scenarios_exist() -> None:
    for name in ("fire-at-longhu", "person-at-longzihu", "crowd-at-east-station", "storm", "dock-fault"):
        assert name in SCENARIOS and SCENARIOS[name].description


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_incidents_lie_inside_their_place_scene_and_ended_ones_were_added(name: str) -> None:
    scenario = SCENARIOS[name]
    added = {s.action.name for s in scenario.steps if isinstance(s.action, AddIncident)}
    for step in scenario.steps:
        action = step.action
        if isinstance(action, EndIncident):
            assert action.name in added
        if isinstance(action, AddIncident):
            scene = action.place.scene()
            lon, lat = action.place.at(action.east_m, action.north_m)
            north, east = wgs84_to_offset(scene.origin_lon_deg, scene.origin_lat_deg, lon, lat)
            assert max(abs(float(north)), abs(float(east))) + action.size_m < scene.half_extent_m
            assert action.place.name in PLACES


async def test_the_player_applies_steps_in_time_order() -> None:
    world = RecordingWorld()
    clock = SimClock(speed=1000.0)
    lines: list[str] = []
    await run_scenario(SCENARIOS["dock-fault"], world, clock, lines.append)
    assert [c[1] for c in world.calls] == [
        (0, {"cover_stuck": True}),
        (1, {"offline": True}),
        (2, {"charger_failure": True}),
        (0, {"cover_stuck": False}),
        (1, {"offline": False}),
        (2, {"charger_failure": False}),
    ]
    assert len(lines) == 6 and lines[0].startswith("[dock-fault +5s] dock D01")


async def test_an_incident_starts_when_its_step_plays() -> None:
    world = RecordingWorld()
    clock = SimClock(speed=1000.0, start_s=500.0)
    await run_scenario(SCENARIOS["fire-at-longhu"], world, clock)
    fire = world.incidents["fire-at-longhu-fire"]
    assert fire.start_s >= 510.0 and fire.kind == "fire"
    assert world.calls == [("add", "fire-at-longhu-fire"), ("end", "fire-at-longhu-fire")]


def test_dock_faults_name_real_faults() -> None:
    from sim.dock_config import SimDockFaults

    for scenario in SCENARIOS.values():
        for step in scenario.steps:
            if isinstance(step.action, DockFaults):
                assert all(hasattr(SimDockFaults(), k) for k in step.action.faults)


@pytest.mark.parametrize("name", sorted(PLACES))
def test_every_place_scene_lies_outside_the_keep_out_zones_with_their_clearance(name: str) -> None:
    """A drone sent to a scenario's incident must be able to fly there: no scene square may touch a
    keep-out zone of the reference district or its routing clearance."""
    from shapely.geometry import box

    from mission.geo_config import load_planning
    from mission.settings import load_settings

    planning = load_planning(load_settings())
    scene = PLACES[name].scene()
    x_m, y_m = planning.district.frame.to_local(scene.origin_lon_deg, scene.origin_lat_deg)
    half_m = scene.half_extent_m
    square = box(x_m - half_m, y_m - half_m, x_m + half_m, y_m + half_m)
    for zone in planning.router.zones_m:
        assert square.distance(zone) > planning.router.clearance_m, f"{name} touches a keep-out zone"
