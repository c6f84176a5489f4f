"""The sim docks' configuration file and ``skyloop sim docks`` input checking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mission.cli import main
from sim.dock_fleet import DockFileError, SimDockType, dock_configs_from_geojson

TYPES = {"dock2": SimDockType(prep_s=60.0, launch_wind_limit_mps=8.0), "dock3": SimDockType(45.0, 12.0)}


def dock(sn: object, lon: float = 113.77, lat: float = 34.76, **props: object) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": {"id": sn, **props},
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


def write(tmp_path: Path, features: list[dict[str, object]]) -> Path:
    path = tmp_path / "docks.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_configs_follow_the_file_and_the_dock_types(tmp_path: Path) -> None:
    path = write(tmp_path, [dock("D01"), dock("D02", 113.8, 34.8, type="dock3", drone_sn="UAV-2")])
    d1, d2 = dock_configs_from_geojson(path, TYPES, cover_s=10.0)
    assert (d1.sn, d1.dock_type, d1.prep_s, d1.launch_wind_limit_mps) == ("D01", "dock2", 60.0, 8.0)
    assert (d2.sn, d2.dock_type, d2.prep_s, d2.drone_sn) == ("D02", "dock3", 45.0, "UAV-2")
    assert (d2.longitude_deg, d2.latitude_deg, d2.cover_s) == (113.8, 34.8, 10.0)
    assert d1.battery_pct != d2.battery_pct  # docks start with different charge


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ([], "at least one dock"),
        ([dock("D01"), dock("D01")], "duplicate dock id"),
        ([dock("D/01")], "not a valid serial"),
        ([dock("")], "not a valid serial"),
        ([dock("D01", type="dock9")], "unknown dock type 'dock9'"),
        ([dock("D01", lon=500.0)], "out of range"),
        ([{"type": "Feature", "properties": {"id": "D1"}, "geometry": {"type": "Polygon"}}], "Point"),
    ],
)
def test_bad_dock_files_say_what_is_wrong(
    tmp_path: Path, features: list[dict[str, object]], message: str
) -> None:
    with pytest.raises(DockFileError, match=message):
        dock_configs_from_geojson(write(tmp_path, features), TYPES)


def test_missing_or_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(DockFileError, match="not found"):
        dock_configs_from_geojson(tmp_path / "nope.geojson", TYPES)
    bad = tmp_path / "bad.geojson"
    bad.write_text("{oops")
    with pytest.raises(DockFileError, match="not readable JSON"):
        dock_configs_from_geojson(bad, TYPES)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--speed", "0"], "--speed must be a positive number"),
        (["--speed", "nan"], "--speed must be a positive number"),
        (["--broker", "http://127.0.0.1:1883"], "mqtt:// or mqtts://"),
        (["--wind", "-3"], "--wind must be within"),
        (["--docks", "/nonexistent/docks.geojson"], "docks file not found"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sim", "docks", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
