"""Launch preview: the planner's choice for a point now (dock, ETA, promise, rejected docks with
reasons), read-only — nothing stored or reserved — and for dispatchers only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.api.console_fakes import TestBackend

POINT = {"lon": 113.80, "lat": 34.80}


def preview(client: TestClient, headers: dict[str, str]) -> dict[str, object]:
    r = client.get("/api/v1/missions/preview", params=POINT, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def test_preview_names_the_planners_choice_and_every_rejected_dock(
    client: TestClient, backend: TestBackend, dispatcher: dict[str, str]
) -> None:
    body = preview(client, dispatcher)
    chosen, eta_s = body["dock_id"], body["eta_s"]
    assert isinstance(chosen, str) and isinstance(eta_s, float)
    assert body["promise_breached"] == (eta_s > body["target_s"])  # type: ignore[operator]
    rejected = body["rejected"]
    assert isinstance(rejected, list)
    others = {d.dock_id for d in backend.docks()} - {chosen}
    assert {r["dock_id"] for r in rejected} == others
    assert all(r["eta_s"] is None or r["eta_s"] >= eta_s for r in rejected)
    assert all(r["reason"] for r in rejected)


def test_preview_stores_and_reserves_nothing(
    client: TestClient, backend: TestBackend, dispatcher: dict[str, str]
) -> None:
    first = preview(client, dispatcher)
    assert client.get("/api/v1/missions", headers=dispatcher).json() == []
    assert all(backend.manager.assignment(d.dock_id) is None for d in backend.docks())
    assert preview(client, dispatcher)["dock_id"] == first["dock_id"]


def test_a_busy_dock_is_passed_over_with_its_reason(
    client: TestClient, backend: TestBackend, dispatcher: dict[str, str]
) -> None:
    first = preview(client, dispatcher)
    busy = str(first["dock_id"])
    backend.manager.assign(busy, "M-other")
    second = preview(client, dispatcher)
    assert second["dock_id"] not in (None, busy)
    assert second["eta_s"] >= first["eta_s"]  # type: ignore[operator]
    reasons = {r["dock_id"]: r for r in second["rejected"]}  # type: ignore[attr-defined]
    assert reasons[busy]["reason_code"] != "slower" and reasons[busy]["reason"]


def test_preview_is_for_dispatchers_and_checks_the_point(
    client: TestClient, viewer: dict[str, str], dispatcher: dict[str, str]
) -> None:
    assert client.get("/api/v1/missions/preview", params=POINT, headers=viewer).status_code == 403
    assert client.get("/api/v1/missions/preview", params=POINT).status_code == 401
    bad = client.get("/api/v1/missions/preview", params={"lon": 200, "lat": 34.8}, headers=dispatcher)
    assert bad.status_code == 422 and "lon" in bad.text
    missing = client.get("/api/v1/missions/preview", params={"lon": 113.8}, headers=dispatcher)
    assert missing.status_code == 422 and "lat" in missing.text
