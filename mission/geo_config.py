"""Planning inputs from the settings: the district, keep-out zones and docks read from the GeoJSON
files the settings name, with each dock's reach and energy parameters from its dock type.

Every file problem (missing, not JSON, not GeoJSON, an invalid polygon, a bad dock) is raised as
one :class:`geo.district.GeoInputError` line that starts with the file's path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from geo.crs import CoordinateError, LocalFrame
from geo.district import District, GeoInputError, district_from_geojson, docks_from_geojson
from geo.model import DockSite, EnergyParams, ReachParams
from geo.routing import KeepOutRouter

if TYPE_CHECKING:  # mission.settings imports this module for RoutingSettings
    from mission.settings import Settings


class RoutingSettings(BaseModel):
    """``[routing]`` in the TOML file: how routes keep away from keep-out zones."""

    model_config = ConfigDict(extra="forbid")

    clearance_m: float = Field(30.0, ge=0, le=2000, description="distance kept from every keep-out zone")


@dataclass(frozen=True)
class PlanningInputs:
    """Everything coverage, siting and the planner need, in the district's metric frame."""

    district: District
    docks: list[DockSite]
    router: KeepOutRouter
    energy_by_dock: dict[str, EnergyParams]
    target_s: float


def read_geojson(path: Path, what: str) -> dict[str, Any]:
    """The JSON object in ``path``; a missing or unreadable file is a :class:`GeoInputError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GeoInputError(f"{path}: {what} file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GeoInputError(f"{path}: cannot read the {what} file: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GeoInputError(f"{path}: not GeoJSON (invalid JSON at line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise GeoInputError(f"{path}: not GeoJSON (expected a JSON object)")
    return data


def _in_file(path: Path, exc: GeoInputError | CoordinateError) -> GeoInputError:
    return GeoInputError(f"{path}: {exc}")


def reach_by_type(settings: Settings) -> dict[str, ReachParams]:
    """The response-time parameters of each dock type: the planning defaults, the type's own
    preparation time and the planning target."""
    base = settings.planning.reach.model_dump()
    return {
        name: ReachParams(**base, prep_s=t.prep_s, target_s=settings.planning.target_s)
        for name, t in settings.dock_types.items()
    }


def energy_by_type(settings: Settings) -> dict[str, EnergyParams]:
    """The energy parameters of each dock type (endurance from the type, policy from planning)."""
    e = settings.planning.energy
    return {
        name: EnergyParams(
            flight_endurance_s=t.flight_endurance_s,
            hover_endurance_s=t.hover_endurance_s,
            on_scene_min_s=e.on_scene_min_s,
            reserve_pct=e.reserve_pct,
            landing_s=e.landing_s,
        )
        for name, t in settings.dock_types.items()
    }


def default_dock_type(settings: Settings) -> str:
    """The type of a dock whose GeoJSON feature names none: ``dock2`` if configured, else the first."""
    if "dock2" in settings.dock_types or not settings.dock_types:
        return "dock2"
    return next(iter(settings.dock_types))


def load_district(settings: Settings) -> District:
    """The district and its keep-out zones from the files named in ``[district]``."""
    d = settings.district
    boundary_path, keepout_path = settings.path(d.boundary), settings.path(d.keepout)
    boundary = read_geojson(boundary_path, "district")
    keepout = read_geojson(keepout_path, "keep-out")
    try:
        frame = LocalFrame.from_epsg(d.metric_crs) if d.metric_crs else None
    except CoordinateError as exc:
        raise GeoInputError(f"district.metric_crs: {exc}") from None
    try:
        return district_from_geojson(boundary, keepout, frame, d.name)
    except (GeoInputError, CoordinateError) as exc:
        # district_from_geojson starts its messages with "district:" or "keep-out:"
        path = keepout_path if str(exc).startswith("keep-out") else boundary_path
        raise _in_file(path, exc) from None


def load_planning(settings: Settings, *, require_docks: bool = True) -> PlanningInputs:
    """Read the district, keep-out zones and docks named in the settings.

    ``require_docks=False`` accepts a missing docks file (an empty dock list), e.g. before siting
    has written one; a docks file that exists is always read and checked.
    """
    district = load_district(settings)
    docks_path = settings.path(settings.district.docks)
    docks: list[DockSite] = []
    energy: dict[str, EnergyParams] = {}
    if require_docks or docks_path.exists():
        fc = read_geojson(docks_path, "docks")
        reach = reach_by_type(settings)
        wind = {name: t.launch_wind_limit_mps for name, t in settings.dock_types.items()}
        default = default_dock_type(settings)
        try:
            docks = docks_from_geojson(fc, district.frame, reach, wind, default)
        except (GeoInputError, CoordinateError) as exc:
            raise _in_file(docks_path, exc) from None
        by_type = energy_by_type(settings)
        types = {
            str((f.get("properties") or {}).get("id")): str(
                (f.get("properties") or {}).get("type") or default
            )
            for f in fc["features"]
        }
        energy = {dock.id: by_type[types[dock.id]] for dock in docks}
    router = KeepOutRouter([k.polygon_m for k in district.keepouts], settings.routing.clearance_m)
    return PlanningInputs(district, docks, router, energy, settings.planning.target_s)
