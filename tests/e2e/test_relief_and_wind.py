"""Supervision and weather through the HTTP API against the demo stack: a drone whose battery runs
low on scene asks for relief, another dock's drone takes over the watch and the first comes home;
and wind over the docks' launch limit grounds them all (the decision stores why each was rejected,
and the mission fails with the reason)."""

from __future__ import annotations

from typing import Any

import httpx

from mission.app_demo import DemoStack
from tests.e2e.conftest import get_json, until
from tests.e2e.test_intake_and_dispatch import NEAR_D12, all_available


async def test_low_battery_on_scene_brings_a_relief_drone(demo: DemoStack, api: httpx.AsyncClient) -> None:
    await until(lambda: get_json(api, "/api/v1/docks"), all_available, 60.0, "4 docks available")
    r = await api.post("/api/v1/missions", json={"lon_deg": NEAR_D12[0], "lat_deg": NEAR_D12[1]})
    assert r.status_code == 202, r.text
    first = r.json()["id"]
    await until(
        lambda: get_json(api, f"/api/v1/missions/{first}"),
        lambda d: d["mission"]["state"] == "supervising",
        90.0,
        "the first drone watching",
    )
    # below the relief threshold (reserve + the way home + the relief lead), above the return one
    vehicle = next(d.vehicle for d in demo.world.drones if d.dock_sn == "D12")
    vehicle.set_battery(0.33)

    async def relief() -> dict[str, Any] | None:
        for m in await get_json(api, "/api/v1/missions"):
            if m["relieves_mission_id"] == first:
                return dict(m)
        return None

    # stored first, then planned: wait for the planner's dock
    found = await until(relief, lambda m: bool(m and m["dock_id"]), 60.0, "a planned relief mission")
    assert found["kind"] == "relief" and found["dock_id"] == "D08"
    # the first drone comes home when its battery says so; the relief takes over the watch
    done = await until(
        lambda: get_json(api, f"/api/v1/missions/{first}"),
        lambda d: d["mission"]["state"] in ("returning", "landed", "closed", "failed", "aborted"),
        90.0,
        "the first drone on its way home",
    )
    assert done["mission"]["state"] in ("returning", "landed", "closed"), done["mission"]["reason"]
    asked = [e for e in done["events"] if e["data"].get("event") == "battery_low"]
    assert asked and "request_relief" in asked[0]["data"]["effects"]
    watch = await until(
        lambda: get_json(api, f"/api/v1/missions/{found['id']}"),
        lambda d: d["mission"]["state"] in ("supervising", "returning", "landed", "closed", "failed"),
        90.0,
        "the relief drone on scene",
    )
    assert watch["mission"]["state"] == "supervising"
    assert watch["mission"]["incident_id"] == done["mission"]["incident_id"]


async def test_wind_over_the_limit_grounds_the_docks(demo: DemoStack, api: httpx.AsyncClient) -> None:
    await until(lambda: get_json(api, "/api/v1/docks"), all_available, 60.0, "4 docks available")
    demo.world.set_wind(16.0, 45.0)
    await until(
        lambda: get_json(api, "/api/v1/docks"),
        lambda ds: all(any(r["code"] == "wind" for r in d["availability"]["reasons"]) for d in ds),
        60.0,
        "every dock grounded by the wind",
    )
    r = await api.post("/api/v1/missions", json={"lon_deg": NEAR_D12[0], "lat_deg": NEAR_D12[1]})
    assert r.status_code == 202, r.text
    detail = await until(
        lambda: get_json(api, f"/api/v1/missions/{r.json()['id']}"),
        lambda d: d["decision"] is not None and d["mission"]["state"] in ("failed", "aborted", "closed"),
        30.0,
        "the decision that nothing can go",
    )
    decision = detail["decision"]
    assert decision["dock_id"] is None
    assert {o["dock_id"]: o["reason_code"] for o in decision["rejected"]} == dict.fromkeys(
        ("D12", "D08", "D16", "D10"), "wind"
    )
    assert detail["mission"]["state"] == "failed" and detail["mission"]["reason"]
