"""The registry: validation of dock records and dock types, lookups, per-type parameters."""

from __future__ import annotations

import json
import math

import pytest

from fleet.registry import DockRecord, DockTypeSpec, FleetConfigError, FleetRegistry, UnknownDockError
from geo.crs import LocalFrame
from geo.model import EnergyParams, ReachParams
from mission.settings import load_settings

from .fleet_helpers import config_dock_types, to_local, to_wgs84

TYPES = config_dock_types()


def rows(*extra: dict) -> list[dict]:
    lon, lat = to_wgs84(0.0, 0.0)
    base = [
        {"id": "D01", "type": "dock2", "lon": lon, "lat": lat},
        {"id": "D02", "type": "dock3", "lon": lon + 0.03, "lat": lat},
    ]
    return base + list(extra)


def test_records_resolve_type_parameters_and_local_positions() -> None:
    reg = FleetRegistry.from_rows(
        rows(), TYPES, to_local, ReachParams(prep_s=99.0), EnergyParams(reserve_pct=30.0)
    )
    d1, d2 = reg.dock("D01"), reg.dock("D02")
    assert d1.reach.prep_s == TYPES["dock2"].prep_s and d2.reach.prep_s == TYPES["dock3"].prep_s
    assert d2.energy.flight_endurance_s == TYPES["dock3"].flight_endurance_s
    assert d2.energy.reserve_pct == 30.0
    assert math.hypot(d1.x_m, d1.y_m) < 1e-6 and d2.x_m > 2000.0
    assert d1.drone_id == "D01-UAV"
    assert reg.dock_of_drone("D02-UAV").dock_id == "D02"
    assert reg.dock_ids == ("D01", "D02") and len(reg) == 2 and "D01" in reg


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"id": "D01", "type": "dock2", "lon": 113.9, "lat": 34.8}, "listed twice"),
        ({"id": "D03", "type": "dock9", "lon": 113.9, "lat": 34.8}, "unknown dock type 'dock9'"),
        ({"id": "D03", "type": "dock2", "lon": 213.9, "lat": 34.8}, "longitude"),
        ({"id": "D03", "type": "dock2", "lon": 113.9, "lat": float("nan")}, "latitude"),
        ({"id": "D03", "type": "dock2", "lat": 34.8}, "missing 'lon'"),
        ({"id": "D03", "type": "dock2", "lon": "east", "lat": 34.8}, "record #3"),
        ({"id": "", "type": "dock2", "lon": 113.9, "lat": 34.8}, "empty id"),
        ({"id": "D03", "type": "dock2", "lon": 113.9, "lat": 34.8, "drone_sn": "D01-UAV"}, "housed by both"),
    ],
)
def test_bad_records_are_refused_with_the_reason(extra: dict, message: str) -> None:
    with pytest.raises(FleetConfigError, match=message):
        FleetRegistry.from_rows(rows(extra), TYPES, to_local)


def test_unknown_ids_raise_lookup_errors() -> None:
    reg = FleetRegistry([DockRecord("D01", "dock2", *to_wgs84(0.0, 0.0))], TYPES, to_local)
    with pytest.raises(UnknownDockError, match="unknown dock 'X'"):
        reg.dock("X")
    with pytest.raises(UnknownDockError, match="unknown drone"):
        reg.dock_of_drone("nobody")


def test_dock_types_from_settings_sections() -> None:
    spec = DockTypeSpec.from_mapping("d", {"launch_wind_limit_mps": 10.0, "temperature_range_c": [-20, 40]})
    assert spec.temperature_range_c == (-20.0, 40.0) and spec.launch_wind_limit_mps == 10.0
    with pytest.raises(FleetConfigError, match="unknown keys"):
        DockTypeSpec.from_mapping("d", {"wind_limit": 10.0})
    with pytest.raises(FleetConfigError, match="must be > 0"):
        DockTypeSpec(name="d", charge_20_90_s=0.0)
    with pytest.raises(FleetConfigError, match="empty"):
        DockTypeSpec(name="d", temperature_range_c=(10.0, -10.0))


def test_the_shipped_docks_file_makes_a_registry() -> None:
    """config/docks.geojson feature properties plus coordinates are the rows mission passes in."""
    settings = load_settings()
    path = settings.path(settings.district.docks)
    if not path.is_file():
        pytest.skip(f"{path} does not exist")
    doc = json.loads(path.read_text(encoding="utf-8"))
    frame = LocalFrame.from_epsg(settings.district.metric_crs or "EPSG:4547")
    rows = [
        {**f["properties"], "lon": f["geometry"]["coordinates"][0], "lat": f["geometry"]["coordinates"][1]}
        for f in doc["features"]
    ]
    reg = FleetRegistry.from_rows(rows, TYPES, frame.to_local)
    assert len(reg) == len(rows) and len(set(reg.drone_ids)) == len(rows)
    xs = [d.x_m for d in reg]
    assert max(xs) - min(xs) > 5000.0  # spread over the district, in metres
