"""The live WebSocket (snapshot on connect, then updates, heartbeats, token required), /healthz,
/metrics in Prometheus text format, and an OpenAPI document that lists every route."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from starlette.websockets import WebSocketDisconnect

from fleet.model import DockWeather, RainLevel
from mission.api.app import create_app
from mission.api_settings import ApiSettings
from mission.settings import load_settings
from tests.integration.api.conftest import ADMIN_TOKEN, bearer
from tests.integration.api.console_fakes import TestBackend
from tests.unit.fleet.fleet_helpers import healthy_dock


def next_of_type(ws: object, kind: str, limit: int = 50) -> dict[str, object]:
    for _ in range(limit):
        message: dict[str, object] = ws.receive_json()  # type: ignore[attr-defined]
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message in {limit}")


def test_live_snapshot_then_update(client: TestClient, backend: TestBackend) -> None:
    dock_id = next(iter(backend.manager.registry)).dock_id
    with client.websocket_connect(f"/api/v1/live?token={ADMIN_TOKEN}") as ws:
        snap = ws.receive_json()
        assert snap["type"] == "snapshot"
        assert [d["id"] for d in snap["docks"]] == list(backend.manager.registry.dock_ids)
        assert len(snap["drones"]) == len(backend.manager.registry) and snap["missions"] == []
        windy = DockWeather(wind_mps=14.0, rain=RainLevel.NONE, temperature_c=18.0)
        state = replace(healthy_dock(dock_id, backend.clock.now_s()), weather=windy)
        assert client.portal is not None
        client.portal.call(backend.manager.put_dock_state, state)  # on the app's event loop
        update = next_of_type(ws, "dock")
        dock = update["dock"]
        assert isinstance(dock, dict) and dock["id"] == dock_id
        assert dock["state"]["wind_mps"] == 14.0
        assert "wind" in [r["code"] for r in dock["availability"]["reasons"]]


def test_live_streams_missions_and_heartbeats(client: TestClient, dispatcher: dict[str, str]) -> None:
    with client.websocket_connect("/api/v1/live", headers=dispatcher) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        r = client.post("/api/v1/missions", json={"lon_deg": 113.8, "lat_deg": 34.8}, headers=dispatcher)
        message = next_of_type(ws, "mission")
        assert message["mission"]["id"] == r.json()["id"]  # type: ignore[index]
        assert next_of_type(ws, "heartbeat")["at"]  # heartbeat_s is 0.2 in the fixture


@pytest.mark.parametrize("query", ["", "?token=wrong"])
def test_live_needs_a_token(client: TestClient, query: str) -> None:
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect(f"/api/v1/live{query}") as ws:
        ws.receive_json()
    assert info.value.code == 1008


def test_healthz(client: TestClient, backend: TestBackend) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    backend.healthy["fleet"] = False
    r = client.get("/healthz")
    assert r.status_code == 503 and r.json()["components"]["fleet"] is False


def test_metrics_parse_as_prometheus_text(
    client: TestClient, backend: TestBackend, viewer: dict[str, str]
) -> None:
    client.get("/api/v1/docks", headers=viewer)
    client.get("/api/v1/docks/D01", headers=viewer)
    backend.manager.ingest_status(next(iter(backend.manager.registry)).dock_id, online=False)
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    docks = {s.labels["available"]: s.value for s in families["skyloop_docks"].samples}
    assert docks == {"true": len(backend.manager.registry) - 1, "false": 1}
    reasons = {s.labels["code"]: s.value for s in families["skyloop_dock_unavailable_reasons"].samples}
    assert reasons.get("offline") == 1
    requests = families["skyloop_http_requests"].samples
    routes = {s.labels["route"] for s in requests if s.name == "skyloop_http_requests_total"}
    assert {"/api/v1/docks", "/api/v1/docks/{dock_id}"} <= routes  # templates, not ids


def test_openapi_lists_every_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    app = create_app(TestBackend())
    for route in app.routes:
        methods = getattr(route, "methods", None)
        path = getattr(route, "path", "")
        if not methods or path in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"):
            continue
        for method in methods - {"HEAD"}:
            assert (path, method) in documented, (path, method)
    assert len(documented) >= 20
    schemas = spec["components"]["schemas"]
    assert {"AlertIn", "AlertReceiptOut", "MissionDetailOut", "DockOut", "TokenCreatedOut"} <= set(schemas)
    assert client.get("/docs").status_code == 200


def test_openapi_declares_the_bearer_scheme(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v1/docks"]["get"]["security"] == [{"HTTPBearer": []}]
    launch = spec["paths"]["/api/v1/missions"]["post"]
    assert {"202", "401", "403", "422"} <= set(launch["responses"])
    assert launch["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/LaunchIn")


def test_cors_is_off_by_default_and_on_for_listed_origins(client: TestClient, viewer: dict[str, str]) -> None:
    origin = {"Origin": "https://console.example"}
    r = client.get("/api/v1/docks", headers=viewer | origin)
    assert "access-control-allow-origin" not in r.headers
    settings = load_settings()
    settings.api.cors_origins = ["https://console.example"]
    with TestClient(create_app(TestBackend(), settings, bootstrap_token=ADMIN_TOKEN)) as c:
        r = c.get("/api/v1/docks", headers=bearer(ADMIN_TOKEN) | origin)
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://console.example"
    with pytest.raises(ValueError, match="refused"):
        ApiSettings(cors_origins=["*"])


def test_oversized_bodies_are_refused(client: TestClient, dispatcher: dict[str, str]) -> None:
    huge = b"{" + b" " * 2_000_000 + b"}"
    r = client.post("/api/v1/alerts", content=huge, headers=dispatcher | {"Content-Type": "application/json"})
    assert r.status_code == 413 and "limit" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked, counted as it is read
        yield b'{"type": "fire_smoke", "description": "'
        for _ in range(40):
            yield b"x" * 50_000
        yield b'"}'

    r = client.post(
        "/api/v1/alerts", content=chunks(), headers=dispatcher | {"Content-Type": "application/json"}
    )
    assert r.status_code == 413 and "limit" in r.json()["detail"]
