"""Named scripted days of the sim world: each a list of timed actions (incidents, weather, dock faults).

``skyloop demo --scenario fire-at-longhu`` runs one. Times are sim seconds after the scenario starts.
Incidents are placed in the :data:`PLACES` the sim camera can render (a scene per place), so a drone
sent there sees them. The world a scenario acts on is anything with the :class:`ScenarioWorld`
methods (``mission.app_sim.SimWorld``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from payload.georef import offset_to_wgs84
from sim.camera.world import Road, SceneMap, lakeside_scene
from sim.clock import SimClock
from sim.incidents import Incident, IncidentKind
from sim.weather import Rainfall

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Place:
    """A named spot of the reference district with the scene the sim camera renders around it."""

    name: str
    lon_deg: float
    lat_deg: float
    scene: Callable[[], SceneMap]

    def at(self, east_m: float, north_m: float) -> tuple[float, float]:
        """WGS84 (lon, lat) of a point ``east_m``/``north_m`` from the place."""
        lon, lat = offset_to_wgs84(self.lon_deg, self.lat_deg, north_m, east_m)
        return float(lon), float(lat)


def _station_scene() -> SceneMap:
    """The east station's east square: a plaza between two roads."""
    lon, lat = EAST_STATION.lon_deg, EAST_STATION.lat_deg
    return SceneMap(
        lon, lat, roads=(Road((-150.0, -60.0), (150.0, -60.0), 16.0), Road((-90, -150), (-90, 150)))
    )


#: Long Lake (龙湖): a lakeside park, its lake north-east of the origin, a road 30 m south.
LONG_LAKE = Place("longhu", 113.755, 34.800, lambda: lakeside_scene(113.755, 34.800))
#: Longzi Lake (龙子湖): the same kind of park; its water's west shore is 5 m east of (0, 70).
LONGZI_LAKE = Place("longzihu", 113.824, 34.786, lambda: lakeside_scene(113.824, 34.786))
#: Zhengzhou East station's east square (东广场), ~350 m east of the station hub's keep-out zone
#: (config/keepout.geojson ``zz-east-station``): drones may not fly over the hub itself, so the
#: forecourt where crowds gather is the square outside it.
EAST_STATION = Place("east-station", 113.7845, 34.7601, _station_scene)
PLACES: dict[str, Place] = {p.name: p for p in (LONG_LAKE, LONGZI_LAKE, EAST_STATION)}


# --- actions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddIncident:
    """An incident starts now at ``place`` + (east, north) metres; ``reported_as`` overrides the
    alert type the video AI centre gives it (e.g. ``road_occupation``)."""

    name: str
    kind: IncidentKind
    place: Place
    east_m: float = 0.0
    north_m: float = 0.0
    size_m: float = 1.0
    count: int = 1
    temperature_c: float = 33.0
    heading_deg: float = 0.0
    reported_as: str | None = None


@dataclass(frozen=True)
class EndIncident:
    """The incident is dealt with (fire out, crowd gone)."""

    name: str


@dataclass(frozen=True)
class SetWind:
    speed_mps: float
    from_deg: float = 45.0


@dataclass(frozen=True)
class SetRain:
    level: Rainfall


@dataclass(frozen=True)
class DockFaults:
    """Faults on the ``dock_index``-th dock of the world (``sim.dock_config.SimDockFaults`` names)."""

    dock_index: int
    faults: Mapping[str, bool] = field(default_factory=dict)


Action = AddIncident | EndIncident | SetWind | SetRain | DockFaults


@dataclass(frozen=True)
class Step:
    at_s: float
    action: Action


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    steps: tuple[Step, ...]

    def incident_id(self, name: str) -> str:
        return f"{self.name}-{name}"


class ScenarioWorld(Protocol):
    """What a scenario acts on."""

    def add_incident(self, incident: Incident, reported_as: str | None = None) -> None: ...

    def end_incident(self, incident_id: str) -> None: ...

    def set_wind(self, speed_mps: float, from_deg: float) -> None: ...

    def set_rain(self, level: Rainfall) -> None: ...

    def inject_dock(self, index: int, faults: Mapping[str, bool]) -> str: ...


def apply(scenario: Scenario, action: Action, world: ScenarioWorld, now_s: float) -> str:
    """Carry out one action on ``world`` at sim time ``now_s``; returns a line for the log."""
    if isinstance(action, AddIncident):
        lon, lat = action.place.at(action.east_m, action.north_m)
        iid = scenario.incident_id(action.name)
        world.add_incident(
            Incident(
                iid,
                action.kind,
                lon,
                lat,
                size_m=action.size_m,
                temperature_c=action.temperature_c,
                start_s=now_s,
                count=action.count,
                heading_deg=action.heading_deg,
            ),
            action.reported_as,
        )
        return f"incident {iid}: {action.kind} at {lon:.6f},{lat:.6f} ({action.place.name})"
    if isinstance(action, EndIncident):
        world.end_incident(scenario.incident_id(action.name))
        return f"incident {scenario.incident_id(action.name)} ends"
    if isinstance(action, SetWind):
        world.set_wind(action.speed_mps, action.from_deg)
        return f"wind {action.speed_mps:g} m/s from {action.from_deg:g} deg"
    if isinstance(action, SetRain):
        world.set_rain(action.level)
        return f"rain {action.level.name.lower()}"
    sn = world.inject_dock(action.dock_index, action.faults)
    return f"dock {sn}: " + ", ".join(f"{k}={v}" for k, v in action.faults.items())


async def run_scenario(
    scenario: Scenario, world: ScenarioWorld, clock: SimClock, report: Callable[[str], None] = log.info
) -> None:
    """Play the steps in time order on ``clock`` (sim seconds after the call)."""
    t0 = clock.now_s()
    for step in sorted(scenario.steps, key=lambda s: s.at_s):
        await clock.sleep(t0 + step.at_s - clock.now_s())
        line = apply(scenario, step.action, world, clock.now_s())
        report(f"[{scenario.name} +{step.at_s:.0f}s] {line}")


def _scenarios() -> dict[str, Scenario]:
    fire = AddIncident("fire", IncidentKind.FIRE, LONG_LAKE, 1.0, 30.0, size_m=2.5, temperature_c=450.0)
    out = [
        Scenario(
            "fire-at-longhu",
            "smoke and fire in the Long Lake park; the video AI centre raises it after its review; "
            "the fire brigade puts it out after 20 minutes",
            (Step(10.0, fire), Step(1210.0, EndIncident("fire"))),
        ),
        Scenario(
            "person-at-longzihu",
            "a person walks to the Longzi Lake shore; the smart-water platform raises the alarm (GCJ-02)",
            (
                Step(
                    10.0,
                    AddIncident("person", IncidentKind.PERSON, LONGZI_LAKE, 0.0, 70.0, temperature_c=32.0),
                ),
                Step(900.0, EndIncident("person")),
            ),
        ),
        Scenario(
            "crowd-at-east-station",
            "a crowd of 30 gathers on the east station's east square (outside the hub's keep-out zone)",
            (
                Step(
                    10.0,
                    AddIncident(
                        "crowd",
                        IncidentKind.CROWD,
                        EAST_STATION,
                        0.0,
                        20.0,
                        size_m=12.0,
                        count=30,
                        temperature_c=32.0,
                    ),
                ),
                Step(1800.0, EndIncident("crowd")),
            ),
        ),
        Scenario(
            "stalls-at-longhu",
            "street vendors set up by the Long Lake park, one row on the carriageway (road occupation)",
            (
                Step(10.0, AddIncident("vendors", IncidentKind.STALLS, LONG_LAKE, -60.0, -45.0, 10.0, 4)),
                Step(
                    20.0,
                    AddIncident(
                        "road",
                        IncidentKind.STALLS,
                        LONG_LAKE,
                        10.0,
                        -30.0,
                        12.0,
                        4,
                        22.0,
                        90.0,
                        "road_occupation",
                    ),
                ),
            ),
        ),
        Scenario(
            "storm",
            "wind rises over every dock's launch limit (12 m/s less the margin), then eases",
            (
                Step(5.0, SetWind(14.0, 300.0)),
                Step(5.0, SetRain(Rainfall.MODERATE)),
                Step(900.0, SetWind(3.0)),
            ),
        ),
        Scenario(
            "dock-fault",
            "the first dock's cover sticks (seen when it next moves), the second drops off the network, "
            "the third one's charger fails; all recover after 10 minutes",
            (
                Step(5.0, DockFaults(0, {"cover_stuck": True})),
                Step(5.0, DockFaults(1, {"offline": True})),
                Step(5.0, DockFaults(2, {"charger_failure": True})),
                Step(600.0, DockFaults(0, {"cover_stuck": False})),
                Step(600.0, DockFaults(1, {"offline": False})),
                Step(600.0, DockFaults(2, {"charger_failure": False})),
            ),
        ),
    ]
    return {s.name: s for s in out}


SCENARIOS: dict[str, Scenario] = _scenarios()
