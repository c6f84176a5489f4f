"""Shared builders for the fleet tests: a registry on the reference config's dock types, healthy
dock states, and points at a given offset from a dock."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from fleet.model import CoverStatus, DockActivity, DockState, DockWeather, DroneState, RainLevel
from fleet.registry import DockRecord, DockTypeSpec, FleetRegistry
from geo.model import EnergyParams, ReachParams
from mission.settings import load_settings

LON0, LAT0 = 113.80, 34.80
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT0))


def to_local(lon_deg: float, lat_deg: float) -> tuple[float, float]:
    """A flat local frame around (LON0, LAT0): enough for unit tests of fleet logic."""
    return ((lon_deg - LON0) * _M_PER_DEG_LON, (lat_deg - LAT0) * _M_PER_DEG_LAT)


def to_wgs84(x_m: float, y_m: float) -> tuple[float, float]:
    return (LON0 + x_m / _M_PER_DEG_LON, LAT0 + y_m / _M_PER_DEG_LAT)


def config_dock_types() -> dict[str, DockTypeSpec]:
    """The dock types of the shipped config/skyloop.toml."""
    settings = load_settings()
    return {name: DockTypeSpec.from_mapping(name, t.model_dump()) for name, t in settings.dock_types.items()}


def config_params() -> tuple[ReachParams, EnergyParams, float]:
    """Reach and energy defaults and the gust margin from the shipped config."""
    s = load_settings()
    reach = ReachParams(**s.planning.reach.model_dump(), target_s=s.planning.target_s)
    energy = EnergyParams(**s.planning.energy.model_dump())
    return reach, energy, s.planning.wind_margin_mps


def make_registry(types: tuple[str, ...] = ("dock2", "dock3", "dock3")) -> FleetRegistry:
    """Docks D01.. every 3 km east of the origin, of the given types."""
    reach, energy, _ = config_params()
    docks = []
    for i, kind in enumerate(types):
        lon, lat = to_wgs84(3000.0 * i, 0.0)
        docks.append(DockRecord(f"D{i + 1:02d}", kind, lon, lat, drone_id=f"U{i + 1:02d}"))
    return FleetRegistry(docks, config_dock_types(), to_local, reach, energy)


def healthy_dock(dock_id: str, at_s: float, **changes: Any) -> DockState:
    """An online, idle dock with a full drone inside and calm, dry, mild weather."""
    state = DockState(
        dock_id=dock_id,
        online=True,
        activity=DockActivity.IDLE,
        cover=CoverStatus.CLOSED,
        drone_in_dock=True,
        battery_pct=98.0,
        charging=False,
        weather=DockWeather(wind_mps=2.0, rain=RainLevel.NONE, temperature_c=18.0),
        network_quality=5,
        osd_at_s=at_s,
        status_at_s=at_s,
    )
    return replace(state, **changes)


def flying_drone(drone_id: str, at_s: float, x_m: float, y_m: float, **changes: Any) -> DroneState:
    lon, lat = to_wgs84(x_m, y_m)
    state = DroneState(
        drone_id=drone_id,
        lon_deg=lon,
        lat_deg=lat,
        rel_alt_m=100.0,
        in_air=True,
        armed=True,
        battery_pct=80.0,
        link_ok=True,
        flight_mode="hold",
        telemetry_at_s=at_s,
    )
    return replace(state, **changes)
