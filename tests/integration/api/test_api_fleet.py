"""Docks and drones with availability and its reasons, and coverage now by the available docks
(compared with geo's coverage report computed directly)."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from fleet.model import DockWeather, RainLevel
from geo.coverage import coverage_report
from tests.integration.api.console_fakes import TestBackend
from tests.unit.fleet.fleet_helpers import flying_drone, healthy_dock


def test_docks_list_state_and_availability(
    client: TestClient, backend: TestBackend, viewer: dict[str, str]
) -> None:
    ids = [e.dock_id for e in backend.manager.registry]
    windy = DockWeather(wind_mps=15.0, rain=RainLevel.NONE, temperature_c=18.0)
    backend.manager.put_dock_state(replace(healthy_dock(ids[1], backend.clock.now_s()), weather=windy))
    backend.manager.set_maintenance(ids[2], "rotor check")

    docks = client.get("/api/v1/docks", headers=viewer).json()
    assert [d["id"] for d in docks] == ids
    by_id = {d["id"]: d for d in docks}
    assert by_id[ids[0]]["availability"]["available"] is True
    assert by_id[ids[0]]["state"]["online"] is True
    windy_codes = [r["code"] for r in by_id[ids[1]]["availability"]["reasons"]]
    assert "wind" in windy_codes and by_id[ids[1]]["availability"]["available"] is False
    assert by_id[ids[1]]["state"]["wind_mps"] == 15.0
    assert "maintenance" in [r["code"] for r in by_id[ids[2]]["availability"]["reasons"]]
    assert by_id[ids[2]]["maintenance_note"] == "rotor check"

    only_up = client.get("/api/v1/docks", params={"available": "false"}, headers=viewer).json()
    assert {d["id"] for d in only_up} == {ids[1], ids[2]}
    one = client.get(f"/api/v1/docks/{ids[1]}", headers=viewer).json()
    assert one == by_id[ids[1]]
    assert client.get("/api/v1/docks/NOPE", headers=viewer).status_code == 404


def test_drones_with_telemetry(client: TestClient, backend: TestBackend, viewer: dict[str, str]) -> None:
    entry = next(iter(backend.manager.registry))
    backend.manager.put_drone_state(
        flying_drone(entry.drone_id, backend.clock.now_s(), 0.0, 0.0, battery_pct=61.0)
    )
    drones = client.get("/api/v1/drones", headers=viewer).json()
    assert len(drones) == len(backend.manager.registry)
    mine = client.get(f"/api/v1/drones/{entry.drone_id}", headers=viewer).json()
    assert mine["dock_id"] == entry.dock_id
    assert mine["state"]["in_air"] is True and mine["state"]["battery_pct"] == 61.0
    never_heard = [d for d in drones if d["id"] != entry.drone_id]
    assert all(d["state"] is None for d in never_heard)
    # the flying drone makes its dock busy
    dock = client.get(f"/api/v1/docks/{entry.dock_id}", headers=viewer).json()
    assert dock["availability"]["available"] is False


def test_coverage_now_follows_availability(
    client: TestClient, backend: TestBackend, viewer: dict[str, str]
) -> None:
    p = backend.planning
    full = client.get("/api/v1/coverage", headers=viewer).json()
    assert full["unavailable"] == {} and sorted(full["available"]) == sorted(d.id for d in p.docks)
    direct = coverage_report(
        p.district, p.docks, backend.wind, 1, p.router, p.target_s, with_wind_limit=False
    )
    assert abs(full["covered_fraction"] - direct.covered_fraction) < 1e-9
    assert abs(full["uncovered_area_km2"] - direct.uncovered_area_km2) < 1e-9

    down = p.docks[0].id
    backend.manager.ingest_status(down, online=False)
    less = client.get("/api/v1/coverage", headers=viewer).json()
    assert down in less["unavailable"] and "offline" in less["unavailable"][down]
    assert down not in less["available"]
    assert less["uncovered_area_km2"] > full["uncovered_area_km2"]
    assert less["uncovered_geojson"]["type"] in ("Polygon", "MultiPolygon")
    lon, lat = less["worst_point_lon_lat"]
    assert 113.5 < lon < 114.2 and 34.5 < lat < 35.1


def test_coverage_k_is_validated(client: TestClient, viewer: dict[str, str]) -> None:
    r = client.get("/api/v1/coverage", params={"k": 0}, headers=viewer)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "k"]
