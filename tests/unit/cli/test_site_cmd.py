"""``skyloop site`` end to end on a small district written to a temporary folder."""

from __future__ import annotations

import json
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


def point(x_km: float, y_km: float, **props: object) -> dict:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Point", "coordinates": lonlat(x_km, y_km)},
    }


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """An 8 km x 4 km district with a 200 m keep-out at (2, 2) km and no docks file yet."""
    rect = [(0.0, 0.0), (8.0, 0.0), (8.0, 4.0), (0.0, 4.0)]
    (tmp_path / "district.geojson").write_text(json.dumps(fc([polygon(rect, role="district", name="rect")])))
    zone = [(1.9, 1.9), (2.1, 1.9), (2.1, 2.1), (1.9, 2.1)]
    (tmp_path / "keepout.geojson").write_text(json.dumps(fc([polygon(zone, id="z1", name="zone", kind="x")])))
    shipped = Path(__file__).resolve().parents[3] / "config" / "skyloop.toml"
    (tmp_path / "skyloop.toml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path / "skyloop.toml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


SMALL = ("--candidates", "grid:1000", "--cell-m", "500", "--time-limit-s", "20")


def test_p_center_json_and_written_config_agree_with_coverage(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_path = tmp_path / "docks.geojson"
    code, out, err = run(
        capsys, "site", "--config", str(config), "--docks", "2", "--objective", "p-center", *SMALL,
        "--format", "json", "--write-config", str(out_path),
    )  # fmt: skip
    assert code == 0, err
    assert "p-center" in err  # progress went to stderr
    data = json.loads(out)
    for key in ("sites", "worst_response_s", "covered_fraction", "optimality_gap", "solve_s"):
        assert key in data
    assert [s["id"] for s in data["sites"]] == ["D01", "D02"]
    assert data["optimality_gap"] == 0.0
    assert data["discrete"]["value"] <= data["discrete"]["greedy_value"]
    # the continuous check is never better than the grid's cell centres
    assert data["worst_response_s"] >= data["discrete"]["worst_response_s"] - 0.1
    written = json.loads(out_path.read_text(encoding="utf-8"))
    assert written["type"] == "FeatureCollection"
    assert "skyloop site" in written["produced_by"]["command"]
    assert written["produced_by"]["worst_response_s"] == data["worst_response_s"]
    props = [f["properties"] for f in written["features"]]
    assert [(p["id"], p["type"]) for p in props] == [("D01", "dock3"), ("D02", "dock3")]
    assert all(f["geometry"]["type"] == "Point" for f in written["features"])
    # the written file is a valid docks file: `skyloop coverage` reads it and agrees
    code, cov_out, err = run(capsys, "coverage", "--config", str(config), "--format", "json")
    assert code == 0, err
    coverage = json.loads(cov_out)
    assert coverage["docks"] == 2
    assert coverage["worst_response_s"] == pytest.approx(data["worst_response_s"], abs=0.2)
    assert coverage["covered_fraction"] == pytest.approx(data["covered_fraction"], abs=1e-4)


def test_set_cover_k2_and_max_cover(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "site", "--config", str(config), "--docks", "20", "--objective", "set-cover", "--k", "2",
        *SMALL, "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    sc = json.loads(out)
    assert sc["objective"] == "set-cover" and sc["k"] == 2
    assert sc["discrete"]["covered_fraction"] == pytest.approx(1.0)
    code, out, err = run(
        capsys, "site", "--config", str(config), "--docks", "1", "--objective", "max-cover", *SMALL,
    )  # fmt: skip
    assert code == 0, err
    assert "max-cover" in out and "D01" in out


def test_candidate_file_and_fixed_docks(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cands = tmp_path / "cands.geojson"
    cands.write_text(json.dumps(fc([point(2.0, 2.0), point(6.0, 2.0), point(7.0, 3.0), point(4.0, 2.0)])))
    fixed = tmp_path / "fixed.geojson"
    fixed.write_text(json.dumps(fc([point(1.5, 1.0, id="OLD", name="existing", type="dock2")])))
    code, out, err = run(
        capsys, "site", "--config", str(config), "--docks", "2", "--objective", "p-center", "--candidates",
        str(cands), "--fixed", str(fixed), "--cell-m", "500", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["sites"][0]["id"] == "OLD" and data["sites"][0]["fixed"]
    assert data["sites"][1]["id"] == "D01"
    assert any("keep-out" in note for note in data["notes"])  # the (2, 2) km candidate was dropped
    assert data["discrete"]["candidates"] == 4  # the fixed dock and three candidates


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--docks", "2", "--objective", "k-median"), "unknown objective"),
        (("--docks", "0", "--objective", "p-center"), "--docks"),
        (("--docks", "two", "--objective", "p-center"), "--docks"),
        (("--docks", "2", "--objective", "p-center", "--k", "0"), "--k"),
        (("--docks", "2", "--objective", "p-center", "--candidates", "grid:abc"), "--candidates"),
        (("--docks", "2", "--objective", "p-center", "--candidates", "hexagons"), "--candidates"),
        (("--docks", "2", "--objective", "p-center", "--candidates", "missing.geojson"), "not found"),
        (("--docks", "2", "--objective", "p-center", "--format", "xml"), "--format"),
        (("--docks", "2", "--objective", "p-center", "--k", "3", *SMALL), "p-center needs k <= n"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    config: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, "site", "--config", str(config), *args)
    assert code == 2
    assert out == ""
    lines = [line for line in err.splitlines() if not line.startswith("skyloop site [")]
    assert len(lines) == 1 and message in lines[0]


def test_bad_files_are_one_line_errors(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_json = tmp_path / "bad.geojson"
    not_json.write_text("{ nope", encoding="utf-8")
    polys = tmp_path / "polys.geojson"
    polys.write_text(json.dumps(fc([polygon([(0, 0), (1, 0), (1, 1)])])), encoding="utf-8")
    for argv in (
        ("--config", str(tmp_path / "nope.toml")),
        ("--config", str(config), "--candidates", str(not_json)),
        ("--config", str(config), "--candidates", str(polys)),
        ("--config", str(config), "--fixed", str(not_json)),
    ):
        code, _, err = run(capsys, "site", *argv, "--docks", "2", "--objective", "p-center")
        assert code == 2, argv
        assert len(err.strip().splitlines()) == 1, err
        assert "Traceback" not in err
