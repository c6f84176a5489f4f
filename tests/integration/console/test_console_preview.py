"""The launch preview over the real services (``console_stack``): the dispatcher's planner on the
live fleet names the same dock and ETA the launch that follows decides, stores and reserves nothing,
and plans in the wind the docks report."""

from __future__ import annotations

from dataclasses import replace

from tests.integration.console.console_stack import console_stack
from tests.unit.mission.alert_helpers import centre_wgs84


async def test_the_preview_is_the_decision_the_launch_then_takes(store_url: str) -> None:
    lon, lat = centre_wgs84()
    async with console_stack(store_url) as s:
        dan = await s.token("dan", "dispatcher")
        r = await s.http.get("/api/v1/missions/preview", params={"lon": lon, "lat": lat}, headers=dan)
        assert r.status_code == 200, r.text
        preview = r.json()
        assert preview["dock_id"] is not None
        assert (await s.http.get("/api/v1/missions", headers=dan)).json() == []
        assert all(s.fleet.assignment(e.dock_id) is None for e in s.fleet.registry)

        launched = await s.http.post("/api/v1/missions", json={"lon_deg": lon, "lat_deg": lat}, headers=dan)
        assert launched.status_code == 202, launched.text
        detail = (await s.http.get(f"/api/v1/missions/{launched.json()['id']}", headers=dan)).json()
        assert detail["decision"]["dock_id"] == preview["dock_id"]
        assert detail["decision"]["eta_s"] == preview["eta_s"]
        assert detail["decision"]["promise_breached"] == preview["promise_breached"]

        # with that dock now busy the preview passes it over and says why
        again = (
            await s.http.get("/api/v1/missions/preview", params={"lon": lon, "lat": lat}, headers=dan)
        ).json()
        assert again["dock_id"] not in (None, preview["dock_id"])
        passed = {o["dock_id"]: o for o in again["rejected"]}[preview["dock_id"]]
        assert passed["reason_code"] != "slower" and passed["reason"]


async def test_the_preview_plans_in_the_wind_the_docks_report(store_url: str) -> None:
    lon, lat = centre_wgs84()
    async with console_stack(store_url) as s:
        for entry in s.fleet.registry:
            state = s.fleet.dock_state(entry.dock_id)
            assert state is not None
            s.fleet.put_dock_state(replace(state, weather=replace(state.weather, wind_mps=30.0)))
        r = await s.http.get("/api/v1/missions/preview", params={"lon": lon, "lat": lat}, headers=s.auth())
        assert r.status_code == 200, r.text
        preview = r.json()
        assert preview["wind_speed_mps"] == 30.0
        assert preview["dock_id"] is None and preview["promise_breached"] is True
        assert {o["reason_code"] for o in preview["rejected"]} <= {"wind", "weather"}


async def test_a_wind_without_direction_is_planned_and_stored_as_unknown(store_url: str) -> None:
    """The docks report only the wind's speed: the preview, the stored decision and coverage now
    say the direction is unknown instead of a made-up 0°."""
    lon, lat = centre_wgs84()
    async with console_stack(store_url) as s:
        for entry in s.fleet.registry:
            state = s.fleet.dock_state(entry.dock_id)
            assert state is not None
            s.fleet.put_dock_state(replace(state, weather=replace(state.weather, wind_mps=5.0)))
        dan = await s.token("dan", "dispatcher")
        r = await s.http.get("/api/v1/missions/preview", params={"lon": lon, "lat": lat}, headers=dan)
        assert r.status_code == 200, r.text
        preview = r.json()
        assert preview["wind_speed_mps"] == 5.0
        assert preview["wind_direction_known"] is False and preview["wind_from_deg"] is None
        assert preview["dock_id"] is not None

        launched = await s.http.post("/api/v1/missions", json={"lon_deg": lon, "lat_deg": lat}, headers=dan)
        assert launched.status_code == 202, launched.text
        detail = (await s.http.get(f"/api/v1/missions/{launched.json()['id']}", headers=dan)).json()
        assert detail["decision"]["wind_direction_known"] is False
        assert detail["decision"]["wind_from_deg"] is None
        assert detail["decision"]["eta_s"] == preview["eta_s"]

        coverage = (await s.http.get("/api/v1/coverage", headers=dan)).json()
        assert coverage["wind_speed_mps"] == 5.0 and coverage["wind_direction_known"] is False
        assert coverage["wind_from_deg"] in (0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0)
