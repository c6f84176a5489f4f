"""``skyloop coverage`` end to end on a small district written to a temporary folder."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from mission.cli import main

LON0, LAT0 = 113.80, 34.80
KM_LON, KM_LAT = 1 / 91.29, 1 / 110.93  # degrees per km at 34.8° N (approximate is fine here)


def lonlat(x_km: float, y_km: float) -> list[float]:
    return [LON0 + x_km * KM_LON, LAT0 + y_km * KM_LAT]


def fc(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def polygon(ring_km: list[tuple[float, float]], **props: object) -> dict:
    ring = [lonlat(x, y) for x, y in ring_km]
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]},
    }


def dock(dock_id: str, x_km: float, y_km: float) -> dict:
    return {
        "type": "Feature",
        "properties": {"id": dock_id, "name": f"dock {dock_id}", "type": "dock3"},
        "geometry": {"type": "Point", "coordinates": lonlat(x_km, y_km)},
    }


SQUARE = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)]
DOCKS = [dock("A", 1.0, 1.0), dock("B", 3.0, 1.0), dock("C", 1.0, 3.0), dock("D", 3.0, 3.0)]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A 4 km square, a 200 m keep-out in the middle, four Dock 3 sites 1 km in from the corners."""
    (tmp_path / "district.geojson").write_text(
        json.dumps(fc([polygon(SQUARE, role="district", name="square")]))
    )
    zone = [(1.9, 1.9), (2.1, 1.9), (2.1, 2.1), (1.9, 2.1)]
    (tmp_path / "keepout.geojson").write_text(
        json.dumps(fc([polygon(zone, id="z1", name="zone", kind="sample")]))
    )
    (tmp_path / "docks.geojson").write_text(json.dumps(fc(DOCKS)))
    shipped = Path(__file__).resolve().parents[3] / "config" / "skyloop.toml"
    (tmp_path / "skyloop.toml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path / "skyloop.toml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["coverage", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_report_of_a_covered_square(config, capsys):
    code, out, err = run(capsys, "--config", str(config), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    for key in (
        "district_area_km2",
        "docks",
        "k",
        "covered_fraction",
        "uncovered_area_km2",
        "worst_response_s",
        "worst_point",
        "g1_breaks_at_wind_mps",
        "keepout_area_km2",
        "target_s",
        "wind",
    ):
        assert key in data
    assert data["district_area_km2"] == pytest.approx(16.0, rel=0.01)
    assert data["keepout_area_km2"] == pytest.approx(0.04, rel=0.02)
    assert data["docks"] == 4 and data["k"] == 1
    assert data["covered_fraction"] == pytest.approx(1.0)
    assert data["uncovered_area_km2"] == 0.0
    # Dock 3: overhead 30 + 45 + 20 + 10 = 105 s; a corner is √2 km from its dock.
    corner_s = 105.0 + math.sqrt(2) * 1000.0 / 15.0 + 5.0
    assert data["worst_response_s"] == pytest.approx(corner_s, abs=1.5)  # the square is approximate
    lon, lat = data["worst_point"]
    assert LON0 - 1e-3 <= lon <= LON0 + 4 * KM_LON + 1e-3 and LAT0 - 1e-3 <= lat <= LAT0 + 4 * KM_LAT + 1e-3
    assert 0.0 < data["g1_breaks_at_wind_mps"] <= 12.0 + 0.1  # Dock 3 launch limit
    assert 0.0 <= data["g1_breaks_from_deg"] < 360.0
    assert data["guarantee_holds"] is True


def test_k2_and_an_unavailable_dock_leave_gaps(config, capsys):
    code, out, _ = run(capsys, "--config", str(config), "--format", "json", "--k", "2")
    k2 = json.loads(out)
    assert code == 0 and k2["k"] == 2
    assert 0.0 < k2["covered_fraction"] < 1.0  # corners are 3.2 km from their second dock
    code, out, _ = run(capsys, "--config", str(config), "--format", "json", "--unavailable", "A")
    without_a = json.loads(out)
    assert without_a["docks"] == 3 and without_a["unavailable"] == ["A"]
    assert without_a["covered_fraction"] < 1.0
    assert without_a["worst_response_s"] > 105.0 + math.sqrt(2) * 1000.0 / 15.0 + 5.0


def test_wind_above_the_launch_limit_grounds_every_dock(config, capsys):
    code, out, _ = run(
        capsys, "--config", str(config), "--format", "json", "--wind-mps", "13", "--wind-from-deg", "90"
    )
    data = json.loads(out)
    assert code == 0
    assert sorted(data["grounded"]) == ["A", "B", "C", "D"]
    assert data["covered_fraction"] == 0.0 and data["worst_response_s"] is None


def test_table_geojson_and_png_outputs(config, capsys, tmp_path):
    gj, png = tmp_path / "out.geojson", tmp_path / "out.png"
    code, out, _ = run(capsys, "--config", str(config), "--geojson", str(gj), "--png", str(png), "--k", "2")
    assert code == 0
    assert "covered" in out and "worst response" in out
    data = json.loads(gj.read_text())
    kinds = {f["properties"]["kind"] for f in data["features"]}
    assert {"district", "keepout", "dock", "reach", "uncovered", "worst_point"} <= kinds
    assert sum(f["properties"]["kind"] == "dock" for f in data["features"]) == 4
    lon, lat = data["features"][0]["geometry"]["coordinates"][0][0]
    assert lon == pytest.approx(LON0, abs=1e-6) and lat == pytest.approx(LAT0, abs=1e-6)  # WGS84 back
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _assert_one_line_error(capsys, *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("skyloop: error:")
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--k", "0"], "--k"),
        (["--wind-mps", "nan"], "--wind-mps"),
        (["--wind-mps", "-1"], "--wind-mps"),
        (["--wind-mps", "100"], "--wind-mps"),
        (["--wind-mps", "5", "--wind-from-deg", "400"], "--wind-from-deg"),
        (["--wind-from-deg", "90"], "--wind-mps"),
        (["--unavailable", "A,ZZ"], "ZZ"),
    ],
)
def test_bad_arguments_are_one_line_errors(config, capsys, argv, needle):
    assert needle in _assert_one_line_error(capsys, "--config", str(config), *argv)


def test_bad_files_are_one_line_errors(config, capsys):
    district = config.parent / "district.geojson"
    district.write_text("this is not json")
    assert "GeoJSON" in _assert_one_line_error(capsys, "--config", str(config))
    bowtie = [(0.0, 0.0), (4.0, 4.0), (4.0, 0.0), (0.0, 4.0)]
    district.write_text(json.dumps(fc([polygon(bowtie, role="district")])))
    assert "invalid polygon" in _assert_one_line_error(capsys, "--config", str(config))
    assert "not found" in _assert_one_line_error(capsys, "--config", str(config.parent / "missing.toml"))
    district.write_text(json.dumps(fc([polygon(SQUARE, role="district")])))
    bad_dock = dock("E", 2.0, 2.0)
    bad_dock["geometry"]["coordinates"] = [float("nan"), LAT0]
    (config.parent / "docks.geojson").write_text(json.dumps(fc([*DOCKS, bad_dock])))
    assert "docks.geojson" in _assert_one_line_error(capsys, "--config", str(config))


def test_unwritable_output_is_a_one_line_error(config, capsys, tmp_path):
    target = tmp_path / "no-such-dir" / "deeper" / "out.geojson"
    assert "cannot write" in _assert_one_line_error(capsys, "--config", str(config), "--geojson", str(target))
