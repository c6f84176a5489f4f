"""Alert intake and dispatch through the HTTP API against the demo stack: credentials and roles,
malformed bodies, a busy nearest dock (the next one goes, the reason stored), duplicate alerts
joining one incident, and a GCJ-02 alert landing at the right WGS84 spot."""

from __future__ import annotations

import json
from typing import Any

import httpx

from geo.crs import wgs84_to_gcj02
from mission.app_demo import DemoStack
from mission.webhook_auth import sign
from tests.e2e.conftest import VIDEO_SECRET, get_json, post_source_alert, until
from tests.e2e.test_fire_to_closed_case import FIRE_LAT, FIRE_LON

#: 300 m north of dock D12: D12 answers it.
NEAR_D12 = (113.743784, 34.788441 + 300.0 / 111_000.0)


async def test_tokens_roles_and_malformed_bodies(demo: DemoStack, api: httpx.AsyncClient) -> None:
    body = json.dumps({"type": "fire_smoke", "lon": FIRE_LON, "lat": FIRE_LAT, "crs": "wgs84"}).encode()
    wrong = {"X-Skyloop-Source": "video_ai", "Authorization": "Bearer not-the-token-0123456789"}
    wrong |= {"Content-Type": "application/json", **sign(VIDEO_SECRET, body)}
    assert (await api.post("/api/v1/alerts", content=body, headers=wrong)).status_code == 401
    async with httpx.AsyncClient(base_url=demo.url) as anonymous:
        assert (await anonymous.get("/api/v1/missions")).status_code == 401
        bogus = {"Authorization": "Bearer sk-bogus-token-0123456789"}
        assert (await anonymous.get("/api/v1/missions", headers=bogus)).status_code == 401

    r = await api.post("/api/v1/tokens", json={"name": "e2e-viewer", "role": "viewer"})
    assert r.status_code == 201, r.text
    viewer = {"Authorization": f"Bearer {r.json()['token']}"}
    launch = {"lon_deg": NEAR_D12[0], "lat_deg": NEAR_D12[1]}
    r = await api.post("/api/v1/missions", json=launch, headers=viewer)
    assert r.status_code == 403 and "dispatcher" in r.text
    assert (await api.get("/api/v1/missions", headers=viewer)).status_code == 200

    r = await api.post("/api/v1/missions", json={"lon_deg": NEAR_D12[0]})  # no latitude
    assert r.status_code == 422 and "lat_deg" in r.text
    r = await post_source_alert(api, {"type": "fire_smoke", "lon": FIRE_LON})
    assert r.status_code == 422 and "lat" in r.text
    assert await get_json(api, "/api/v1/missions") == []  # nothing refused was acted on


async def test_busy_nearest_dock_then_duplicates_and_gcj02(demo: DemoStack, api: httpx.AsyncClient) -> None:
    await until(lambda: get_json(api, "/api/v1/docks"), all_available, 60.0, "4 docks available")
    r = await api.post("/api/v1/missions", json={"lon_deg": NEAR_D12[0], "lat_deg": NEAR_D12[1]})
    assert r.status_code == 202, r.text
    near = await _decision(api, r.json()["id"])
    assert near["dock_id"] == "D12"
    await until(
        lambda: get_json(api, "/api/v1/docks/D12"),
        lambda d: not d["availability"]["available"],
        30.0,
        "D12 busy",
    )

    # the fire is nearest to D12 too, but D12 is busy: D08 goes, and why not D12 is stored
    r = await post_source_alert(api, {"type": "fire_smoke", "lon": FIRE_LON, "lat": FIRE_LAT, "crs": "wgs84"})
    assert r.status_code == 202, r.text
    first = r.json()
    incident_id = first["incident"]["id"]
    detail = await until(
        lambda: get_json(api, f"/api/v1/incidents/{incident_id}"),
        lambda d: len(d["missions"]) == 1,
        30.0,
        "the fire's mission",
    )
    decision = await _decision(api, detail["missions"][0]["id"])
    assert decision["dock_id"] == "D08"
    d12 = next(o for o in decision["rejected"] if o["dock_id"] == "D12")
    assert d12["reason_code"] == "busy" and near["mission_id"] in d12["reason"]

    # the same fire reported again 100 m away, in GCJ-02: it joins the incident, no second mission
    lon, lat = FIRE_LON + 100.0 / 91_300.0, FIRE_LAT
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    r = await post_source_alert(
        api, {"type": "fire_smoke", "lon": float(g_lon), "lat": float(g_lat), "crs": "gcj02"}
    )
    assert r.status_code == 202, r.text
    again = r.json()
    assert again["action"] == "join" and again["incident"]["id"] == incident_id
    alert = again["alert"]
    assert abs(alert["lon_deg"] - lon) < 2e-5 and abs(alert["lat_deg"] - lat) < 2e-5  # within ~2 m
    assert alert["original_crs"] == "gcj02" and abs(alert["original_lon"] - lon) > 1e-3  # GCJ-02 is offset
    detail = await get_json(api, f"/api/v1/incidents/{incident_id}")
    assert len(detail["alerts"]) == 2 and len(detail["missions"]) == 1


async def _decision(api: httpx.AsyncClient, mission_id: str) -> dict[str, Any]:
    detail = await until(
        lambda: get_json(api, f"/api/v1/missions/{mission_id}"),
        lambda d: d["decision"] is not None,
        30.0,
        f"the decision of mission {mission_id}",
    )
    return {**detail["decision"], "mission_id": mission_id}


def all_available(docks: list[dict[str, Any]]) -> bool:
    return len(docks) == 4 and all(d["availability"]["available"] for d in docks)
