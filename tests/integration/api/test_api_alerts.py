"""POST /api/v1/alerts from sources (own token + HMAC webhook signature) and from dispatchers;
validation with the field named, GCJ-02 converted on entry, duplicates joining one incident, and
a dispatcher's decision on alerts waiting for approval (audited)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from geo.crs import gcj02_to_wgs84, wgs84_to_gcj02
from mission.webhook_auth import sign
from tests.integration.api.console_fakes import TestBackend
from tests.unit.mission.alert_helpers import HMAC_SECRET, VIDEO_TOKEN, WATER_TOKEN, centre_wgs84, offset_wgs84


def from_source(
    client: TestClient, source: str, token: str, alert: dict[str, Any], secret: str | None = None
) -> Any:
    body = json.dumps(alert).encode()
    headers = {
        "X-Skyloop-Source": source,
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
    }
    if secret is not None:
        headers |= sign(secret, body)
    return client.post("/api/v1/alerts", content=body, headers=headers)


def fire(**extra: Any) -> dict[str, Any]:
    lon, lat = centre_wgs84()
    return {"type": "fire_smoke", "lon": lon, "lat": lat, **extra}


def test_signed_source_alert_is_stored_and_launches(client: TestClient, viewer: dict[str, str]) -> None:
    r = from_source(client, "video_ai", VIDEO_TOKEN, fire(id="VA-1", description="smoke cam 17"), HMAC_SECRET)
    assert r.status_code == 202, r.text
    receipt = r.json()
    assert receipt["action"] == "launch"
    assert receipt["alert"]["source"] == "video_ai" and receipt["alert"]["external_id"] == "VA-1"
    stored = client.get(f"/api/v1/alerts/{receipt['alert']['id']}", headers=viewer).json()
    assert stored["incident_id"] == receipt["incident"]["id"]
    # a re-delivery of the same alert adds nothing
    again = from_source(client, "video_ai", VIDEO_TOKEN, fire(id="VA-1"), HMAC_SECRET)
    assert again.status_code == 200 and again.json()["action"] == "already_seen"
    assert len(client.get("/api/v1/alerts", headers=viewer).json()) == 1


def test_source_credentials_and_signature_are_checked(client: TestClient, backend: TestBackend) -> None:
    bad_sig = from_source(client, "video_ai", VIDEO_TOKEN, fire(), "not-the-secret")
    assert bad_sig.status_code == 401 and "signature" in bad_sig.json()["detail"]
    unsigned = from_source(client, "video_ai", VIDEO_TOKEN, fire())
    assert unsigned.status_code == 401 and "X-Skyloop-Signature" in unsigned.json()["detail"]
    wrong_token = from_source(client, "video_ai", WATER_TOKEN, fire(), HMAC_SECRET)
    assert wrong_token.status_code == 401 and "wrong token" in wrong_token.json()["detail"]
    unknown = from_source(client, "nobody", VIDEO_TOKEN, fire(), HMAC_SECRET)
    assert unknown.status_code == 401
    anonymous = client.post("/api/v1/alerts", json=fire())
    assert anonymous.status_code == 401
    # a replayed request (same signature) is refused
    body = json.dumps(fire(id="VA-R")).encode()
    headers = {
        "X-Skyloop-Source": "video_ai",
        "Authorization": f"Bearer {VIDEO_TOKEN}",
        "Content-Type": "application/json",
    }
    headers |= sign(HMAC_SECRET, body)
    assert client.post("/api/v1/alerts", content=body, headers=headers).status_code == 202
    replay = client.post("/api/v1/alerts", content=body, headers=headers)
    assert replay.status_code == 401 and "replay" in replay.json()["detail"]
    assert len(backend.store.alerts) == 1


def test_malformed_alerts_are_422_naming_the_field(client: TestClient, dispatcher: dict[str, str]) -> None:
    cases = [
        ({**fire(), "lat": 200}, ["body", "lat"]),
        ({k: v for k, v in fire().items() if k != "type"}, ["body", "type"]),
        ({**fire(), "type": "alien"}, ["body", "type"]),
        ({**fire(), "crs": "mercator"}, ["body", "crs"]),
        ({**fire(), "colour": "red"}, ["body", "colour"]),
        ({**fire(), "lon": "east"}, ["body", "lon"]),
    ]
    for body, loc in cases:
        r = client.post("/api/v1/alerts", json=body, headers=dispatcher)
        assert r.status_code == 422, body
        assert r.json()["detail"][0]["loc"] == loc, r.json()
    r = client.post(
        "/api/v1/alerts", content=b"{not json", headers=dispatcher | {"Content-Type": "application/json"}
    )
    assert r.status_code == 422


def test_source_type_rules_are_422(client: TestClient) -> None:
    r = from_source(client, "smart_water", WATER_TOKEN, fire())
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "type"]


def test_gcj02_alert_lands_at_the_wgs84_point(client: TestClient) -> None:
    lon, lat = offset_wgs84(1200.0, -800.0)
    glon, glat = wgs84_to_gcj02(lon, lat)
    alert = {"type": "person_near_water", "lon": float(glon), "lat": float(glat)}  # source default: gcj02
    r = from_source(client, "smart_water", WATER_TOKEN, alert)
    assert r.status_code == 202, r.text
    got = r.json()["alert"]
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert abs(got["lon_deg"] - wlon) < 1e-9 and abs(got["lat_deg"] - wlat) < 1e-9
    assert abs(got["lon_deg"] - lon) < 1e-6 and abs(got["lat_deg"] - lat) < 1e-6  # ~0.1 m
    assert got["original_crs"] == "gcj02" and got["original_lon"] == float(glon)


def test_duplicates_join_one_incident(
    client: TestClient, dispatcher: dict[str, str], viewer: dict[str, str]
) -> None:
    first = client.post("/api/v1/alerts", json=fire(), headers=dispatcher).json()
    lon, lat = offset_wgs84(120.0, 50.0)
    second = client.post(
        "/api/v1/alerts", json={"type": "fire_smoke", "lon": lon, "lat": lat}, headers=dispatcher
    )
    assert second.status_code == 202 and second.json()["action"] == "join"
    assert second.json()["incident"]["id"] == first["incident"]["id"]
    assert first["alert"]["source"] == "console"
    assert len(client.get("/api/v1/incidents", headers=viewer).json()) == 1
    incident_id = first["incident"]["id"]
    mission = client.post(
        "/api/v1/missions",
        json={"lon_deg": lon, "lat_deg": lat, "incident_id": incident_id},
        headers=dispatcher,
    ).json()
    detail = client.get(f"/api/v1/incidents/{incident_id}", headers=viewer).json()
    assert detail["incident"]["id"] == incident_id
    assert {a["id"] for a in detail["alerts"]} == {first["alert"]["id"], second.json()["alert"]["id"]}
    assert [m["id"] for m in detail["missions"]] == [mission["id"]]
    assert detail["leads"] == []
    assert client.get("/api/v1/incidents/none", headers=viewer).status_code == 404


def test_viewer_cannot_raise_alerts(client: TestClient, viewer: dict[str, str]) -> None:
    r = client.post("/api/v1/alerts", json=fire(), headers=viewer)
    assert r.status_code == 403 and "dispatcher" in r.json()["detail"]


def test_out_of_reach_alert_is_stored_as_rejected(client: TestClient, dispatcher: dict[str, str]) -> None:
    r = client.post(
        "/api/v1/alerts", json={"type": "fire_smoke", "lon": 116.4, "lat": 39.9}, headers=dispatcher
    )
    assert r.status_code == 422
    assert r.json()["action"] == "reject" and r.json()["detail"]
    assert (
        client.get(f"/api/v1/alerts/{r.json()['alert']['id']}", headers=dispatcher).json()["status"]
        == "rejected"
    )


def test_dispatcher_approves_a_queued_alert_and_is_audited(
    client: TestClient, dispatcher: dict[str, str], admin: dict[str, str]
) -> None:
    lon, lat = centre_wgs84()
    r = client.post("/api/v1/alerts", json={"type": "crowd", "lon": lon, "lat": lat}, headers=dispatcher)
    assert r.status_code == 202 and r.json()["action"] == "queue"
    alert_id = r.json()["alert"]["id"]
    decided = client.post(f"/api/v1/alerts/{alert_id}/decision", json={"approve": True}, headers=dispatcher)
    assert decided.status_code == 200 and decided.json()["action"] == "launch"
    assert decided.json()["alert"]["decided_by"] == "dan"
    again = client.post(f"/api/v1/alerts/{alert_id}/decision", json={"approve": False}, headers=dispatcher)
    assert again.status_code == 409 and "not pending" in again.json()["detail"]
    log = client.get("/api/v1/audit", headers=admin).json()
    approvals = [e for e in log if e["action"] == "alert.approve" and e["target"] == alert_id]
    assert approvals[0]["actor"] == "dan" and approvals[0]["details"]["outcome"] == "done"
    assert [e["details"]["outcome"] for e in log if e["action"] == "alert.reject"] == ["refused"]
