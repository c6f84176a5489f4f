"""The district model and its GeoJSON reading; planning inputs loaded from the settings."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pyproj import Geod
from shapely.geometry import Polygon

from geo.crs import LocalFrame
from geo.district import District, GeoInputError, district_from_geojson, docks_from_geojson
from geo.model import ReachParams
from mission.cli.paths import REPO_ROOT
from mission.geo_config import load_planning
from mission.settings import load_settings

CONFIG = REPO_ROOT / "config"
GK = LocalFrame.from_epsg(4547)


def load(name: str) -> dict:
    return json.loads((CONFIG / name).read_text(encoding="utf-8"))


def fc(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def poly_feature(coords, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [coords]}}


def point_feature(lon, lat, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [lon, lat]}}


SQUARE = [[113.80, 34.80], [113.81, 34.80], [113.81, 34.81], [113.80, 34.81], [113.80, 34.80]]


@pytest.fixture(scope="module")
def reference() -> District:
    return district_from_geojson(load("district.geojson"), load("keepout.geojson"), GK)


# ---- the reference district


def test_reference_district_area_is_about_402_km2(reference):
    """REFERENCE.md: ≈ 402 km² after clipping to the city boundary; the shipped polygon is the
    unclipped sketch, 405 km². The projected area must equal the geodesic one (scale ≈ 9 ppm)."""
    assert reference.area_km2 == pytest.approx(402.0, rel=0.015)
    geodesic_km2 = abs(Geod(ellps="GRS80").geometry_area_perimeter(reference.boundary_wgs84)[0]) / 1e6
    assert reference.area_km2 == pytest.approx(geodesic_km2, rel=1e-4)


def test_reference_district_contents(reference):
    assert reference.frame.crs == "EPSG:4547"
    assert {k.id for k in reference.keepouts} == {"zhcc-clearance", "zz-east-station"}
    assert {k.kind for k in reference.keepouts} == {"airport", "transport_hub"}
    names = [lm.name for lm in reference.landmarks]
    assert len(names) == 5 and any("郑州东站" in n for n in names)
    station = next(lm for lm in reference.landmarks if "郑州东站" in lm.name)
    assert (station.x_m, station.y_m) == pytest.approx(GK.to_local(113.7730, 34.7601))
    assert reference.boundary_m.contains(Polygon([(lm.x_m, lm.y_m) for lm in reference.landmarks[:3]]))


def test_flyable_is_boundary_minus_the_keepouts_that_overlap_it(reference):
    hub = next(k for k in reference.keepouts if k.id == "zz-east-station")
    airport = next(k for k in reference.keepouts if k.id == "zhcc-clearance")
    assert not airport.polygon_m.intersects(reference.boundary_m)  # it lies south of the district
    expected = reference.boundary_m.area - reference.boundary_m.intersection(hub.polygon_m).area
    assert reference.flyable_m.area == pytest.approx(expected, rel=1e-9)
    assert 0.9e6 < hub.polygon_m.area < 1.5e6  # the sample box is ≈ 1.4 km x 0.9 km


def test_boundary_wgs84_round_trips(reference):
    original = load("district.geojson")["features"][0]["geometry"]["coordinates"][0]
    back = list(reference.boundary_wgs84.exterior.coords)
    assert len(back) == len(original)
    for (lon, lat), (blon, blat) in zip(original, back, strict=True):
        assert (blon, blat) == pytest.approx((lon, lat), abs=1e-9)


def test_no_frame_picks_the_utm_zone_at_the_centroid():
    d = district_from_geojson(load("district.geojson"))
    assert d.frame.crs == "EPSG:32649"
    assert d.keepouts == ()
    assert d.area_km2 == pytest.approx(405.3, rel=2e-3)


def test_only_polygon_is_the_boundary_and_name_comes_from_properties():
    d = district_from_geojson(fc(poly_feature(SQUARE, name="square")), frame=GK)
    assert d.name == "square"
    geodesic_km2 = abs(Geod(ellps="GRS80").geometry_area_perimeter(Polygon(SQUARE))[0]) / 1e6
    assert d.area_km2 == pytest.approx(geodesic_km2, rel=1e-4)
    assert district_from_geojson(fc(poly_feature(SQUARE)), frame=GK, name="given").name == "given"


def test_multipolygon_keepout_gives_one_zone_per_part():
    other = [[x + 0.02, y] for x, y in SQUARE]
    multi = {
        "type": "Feature",
        "properties": {"id": "pair", "kind": "substation"},
        "geometry": {"type": "MultiPolygon", "coordinates": [[SQUARE], [other]]},
    }
    d = district_from_geojson(load("district.geojson"), fc(multi), GK)
    assert [k.id for k in d.keepouts] == ["pair#1", "pair#2"]


# ---- refusals: one clear line each


def bowtie() -> list[list[float]]:
    return [[113.80, 34.80], [113.81, 34.81], [113.81, 34.80], [113.80, 34.81], [113.80, 34.80]]


@pytest.mark.parametrize(
    ("boundary", "words"),
    [
        ([1, 2], "not GeoJSON"),
        ({"features": []}, "not GeoJSON"),
        ({"type": "Feature", "geometry": None}, "expected a GeoJSON FeatureCollection"),
        ({"type": "FeatureCollection"}, "without a 'features' list"),
        (fc({"type": "Polygon"}), r"features\[0\] is not a GeoJSON Feature"),
        (fc(point_feature(113.8, 34.8)), "no Polygon"),
        (
            fc(poly_feature(bowtie(), name="bow")),
            r"features\[0\] \(bow\): invalid polygon: Self-intersection",
        ),
        (fc(poly_feature([[113.8, 34.8], [float("nan"), 34.8], [113.81, 34.81], [113.8, 34.8]])), "finite"),
        (
            fc(poly_feature([[113.8, 34.8], [113.9, 95.0], [113.81, 34.81], [113.8, 34.8]])),
            "latitude outside",
        ),
        (
            fc(poly_feature([[113.8, 34.8], [190.0, 34.8], [113.81, 34.81], [113.8, 34.8]])),
            "longitude outside",
        ),
        (fc(poly_feature(SQUARE), poly_feature(SQUARE)), "several polygons"),
        (fc(poly_feature(SQUARE, role="district"), poly_feature(SQUARE, role="district")), "more than one"),
        (
            fc({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": 5}}),
            "malformed",
        ),
    ],
)
def test_bad_boundary_is_refused(boundary, words):
    with pytest.raises(GeoInputError, match=words) as info:
        district_from_geojson(boundary, frame=GK)
    assert "\n" not in str(info.value)


def test_bad_keepouts_are_refused():
    boundary = load("district.geojson")
    with pytest.raises(GeoInputError, match=r"keep-out: features\[0\].*Self-intersection"):
        district_from_geojson(boundary, fc(poly_feature(bowtie())), GK)
    with pytest.raises(GeoInputError, match="duplicate keep-out id 'a'"):
        district_from_geojson(boundary, fc(poly_feature(SQUARE, id="a"), poly_feature(SQUARE, id="a")), GK)


# ---- docks

REACH = {"dock2": ReachParams(prep_s=60.0), "dock3": ReachParams(prep_s=45.0)}
WIND = {"dock2": 8.0, "dock3": 12.0}


def test_docks_parse_with_their_type():
    docks = docks_from_geojson(
        fc(
            point_feature(113.8, 34.8, id="d1", name="one"),
            point_feature(113.85, 34.8, id="d2", type="dock3"),
        ),
        GK,
        REACH,
        WIND,
        "dock2",
    )
    assert [d.id for d in docks] == ["d1", "d2"]
    assert (docks[0].x_m, docks[0].y_m) == pytest.approx(GK.to_local(113.8, 34.8))
    assert docks[0].reach.prep_s == 60.0 and docks[0].launch_wind_limit_mps == 8.0
    assert docks[1].reach.prep_s == 45.0 and docks[1].launch_wind_limit_mps == 12.0


@pytest.mark.parametrize(
    ("features", "words"),
    [
        ([point_feature(113.8, 34.8, id="a"), point_feature(113.9, 34.8, id="a")], "duplicate dock id 'a'"),
        ([point_feature(113.8, 34.8, name="nameless")], "without an 'id'"),
        ([point_feature(113.8, 34.8, id="a", type="dock9")], "unknown dock type 'dock9'"),
        ([poly_feature(SQUARE, id="a")], "must be a Point"),
        ([point_feature(113.8, float("nan"), id="a")], "finite"),
        ([point_feature(113.8, -91.0, id="a")], "latitude outside"),
    ],
)
def test_bad_docks_are_refused(features, words):
    with pytest.raises(GeoInputError, match=words):
        docks_from_geojson(fc(*features), GK, REACH, WIND, "dock2")


# ---- planning inputs from the settings


def write_config(tmp: Path, docks: dict | None = None, **files: str) -> Path:
    (tmp / "district.geojson").write_text(files.get("district", (CONFIG / "district.geojson").read_text()))
    (tmp / "keepout.geojson").write_text(files.get("keepout", (CONFIG / "keepout.geojson").read_text()))
    if docks is not None:
        (tmp / "docks.geojson").write_text(json.dumps(docks))
    toml = (CONFIG / "skyloop.toml").read_text(encoding="utf-8")
    path = tmp / "skyloop.toml"
    path.write_text(toml, encoding="utf-8")
    return path


def test_load_planning_without_docks(tmp_path):
    settings = load_settings(write_config(tmp_path), routing={"clearance_m": 50.0})
    inputs = load_planning(settings, require_docks=False)
    assert inputs.docks == [] and inputs.energy_by_dock == {}
    assert inputs.district.frame.crs == "EPSG:4547"
    assert inputs.target_s == 300.0
    assert inputs.router.clearance_m == 50.0
    assert len(inputs.router.zones_m) == 2


def test_load_planning_maps_dock_types(tmp_path):
    docks = fc(point_feature(113.80, 34.80, id="a"), point_feature(113.85, 34.80, id="b", type="dock3"))
    settings = load_settings(write_config(tmp_path, docks), planning={"target_s": 240.0})
    inputs = load_planning(settings)
    a, b = inputs.docks
    assert (a.reach.prep_s, b.reach.prep_s) == (60.0, 45.0)  # from the dock types
    assert a.reach.target_s == b.reach.target_s == inputs.target_s == 240.0
    assert a.reach.cruise_mps == settings.planning.reach.cruise_mps
    assert (a.launch_wind_limit_mps, b.launch_wind_limit_mps) == (8.0, 12.0)
    assert inputs.energy_by_dock["a"].flight_endurance_s == 3000.0
    assert inputs.energy_by_dock["b"].flight_endurance_s == 3240.0
    assert inputs.energy_by_dock["b"].reserve_pct == settings.planning.energy.reserve_pct


def test_load_planning_errors_name_the_file(tmp_path):
    path = write_config(tmp_path)
    with pytest.raises(GeoInputError, match=r"docks\.geojson: docks file not found"):
        load_planning(load_settings(path))
    (tmp_path / "keepout.geojson").write_text("{not json")
    with pytest.raises(GeoInputError, match=r"keepout\.geojson: not GeoJSON \(invalid JSON"):
        load_planning(load_settings(path), require_docks=False)
    bad = copy.deepcopy(load("district.geojson"))
    bad["features"][0]["geometry"]["coordinates"][0][1] = [113.962, 34.95]  # crosses itself
    (tmp_path / "b").mkdir()
    path = write_config(tmp_path / "b", district=json.dumps(bad))
    with pytest.raises(GeoInputError, match=r"district\.geojson: district: .*Self-intersection"):
        load_planning(load_settings(path), require_docks=False)
    (tmp_path / "c").mkdir()
    path = write_config(tmp_path / "c", fc(point_feature(113.80, 34.80, id="a", type="dock7")))
    with pytest.raises(GeoInputError, match=r"docks\.geojson: docks: .*unknown dock type 'dock7'"):
        load_planning(load_settings(path))


def test_load_planning_refuses_a_non_metric_frame(tmp_path):
    settings = load_settings(write_config(tmp_path), district={"metric_crs": "EPSG:4326"})
    with pytest.raises(GeoInputError, match=r"district\.metric_crs: EPSG:4326 is not a projected"):
        load_planning(settings, require_docks=False)


def test_shipped_config_routing_clearance():
    assert load_settings().routing.clearance_m == 30.0
