"""The issue's main check, through the HTTP API against the demo stack (x20): a fire alert becomes a
mission from the nearest able dock, the drone flies, the rendered fire is detected, the lead reaches
the grid STAND-IN exactly once though it fails its first two deliveries, the resolved callback
sends a drone to verify and closes the case, and the drone lands and charges."""

from __future__ import annotations

from typing import Any

import httpx

from mission.app_demo import DemoStack
from sim.incidents import Incident, IncidentKind
from sim.scenarios import LONG_LAKE
from tests.e2e.conftest import get_json, post_source_alert, until

#: The scripted fire of ``fire-at-longhu``: 30 m north of the Long Lake place.
FIRE_LON, FIRE_LAT = LONG_LAKE.at(1.0, 30.0)
AFTER_DISPATCH = ("dispatched", "resolved", "verified", "closed")


def light_fire(demo: DemoStack) -> str:
    world = demo.world
    world.add_incident(
        Incident(
            "e2e-fire",
            IncidentKind.FIRE,
            FIRE_LON,
            FIRE_LAT,
            size_m=2.5,
            temperature_c=450.0,
            start_s=world.clock.now_s(),
        )
    )
    return "e2e-fire"


async def test_a_fire_alert_ends_in_a_closed_case_and_a_charging_drone(
    demo: DemoStack, api: httpx.AsyncClient
) -> None:
    fire = light_fire(demo)
    await until(lambda: get_json(api, "/api/v1/docks"), _all_available, 60.0, "4 docks available")

    r = await post_source_alert(api, {"type": "fire_smoke", "lon": FIRE_LON, "lat": FIRE_LAT, "crs": "wgs84"})
    assert r.status_code == 202, r.text
    receipt = r.json()
    assert receipt["action"] == "launch"
    incident_id = receipt["incident"]["id"]

    async def missions() -> list[dict[str, Any]]:
        detail = await get_json(api, f"/api/v1/incidents/{incident_id}")
        return list(detail["missions"])

    first = (await until(missions, lambda ms: len(ms) >= 1, 30.0, "a mission for the incident"))[0]
    detail = await until(
        lambda: get_json(api, f"/api/v1/missions/{first['id']}"),
        lambda d: d["decision"] is not None,
        30.0,
        "the dispatch decision",
    )
    decision = detail["decision"]
    assert decision["dock_id"] == "D12"  # the nearest of the four, all able
    assert {o["dock_id"] for o in decision["rejected"]} == {"D08", "D16", "D10"}
    assert all(o["reason"] for o in decision["rejected"])

    # the rendered fire is detected: a fire lead from that mission's drone
    leads = await until(
        lambda: get_json(api, "/api/v1/leads"),
        lambda ls: any(lead["mission_id"] == first["id"] for lead in ls),
        120.0,
        "a lead from the payload",
    )
    lead = next(lead for lead in leads if lead["mission_id"] == first["id"])
    assert lead["class_name"] in ("fire", "smoke", "hot_spot")
    assert lead["incident_id"] == incident_id

    async def reviewed_leads() -> list[dict[str, Any]]:
        """The incident's leads, after a dispatcher approved those policy holds for review."""
        detail = await get_json(api, f"/api/v1/incidents/{incident_id}")
        for waiting in (ld for ld in detail["leads"] if ld["status"] == "pending_review"):
            r = await api.post(f"/api/v1/leads/{waiting['id']}/review", json={"approve": True, "note": "e2e"})
            assert r.status_code == 200, r.text
        return list(detail["leads"])

    # the platform resolves the case; the fire brigade has put it out by then
    await until(
        reviewed_leads,
        lambda ls: any(ld["id"] == lead["id"] and ld["status"] in AFTER_DISPATCH for ld in ls),
        90.0,
        "the platform's dispatched callback",
    )
    demo.world.end_incident(fire)

    async def incident() -> dict[str, Any]:
        await reviewed_leads()
        return dict(await get_json(api, f"/api/v1/incidents/{incident_id}"))

    closed = await until(
        incident,
        lambda d: d["incident"]["status"] == "closed",
        150.0,
        "the case closed after the verification",
    )
    kinds = {m["kind"] for m in closed["missions"]}
    assert kinds == {"response", "verify"}
    assert demo.grid.failed == 2
    for ld in closed["leads"]:
        created = [rec for rec in demo.grid.leads() if rec.payload["lead"]["id"] == ld["id"]]
        assert len(created) == 1  # exactly once, despite the two failed deliveries
    assert {ld["status"] for ld in closed["leads"]} == {"closed"}

    async def received() -> list[str]:
        return [rec.topic for rec in demo.grid.received]

    # the outbox delivers the verification after the case closed in the store
    await until(received, lambda topics: "lead.verified" in topics, 30.0, "lead.verified at the stand-in")

    # every drone home: the response mission closed, its drone on D12 and charging
    done = await until(
        lambda: get_json(api, f"/api/v1/missions/{first['id']}"),
        lambda d: d["mission"]["state"] in ("closed", "aborted", "failed"),
        120.0,
        "the response mission closed",
    )
    assert done["mission"]["state"] == "closed", done["mission"]["reason"]
    states = [e["to_state"] for e in done["events"] if e["kind"] == "state"]
    assert states[:3] == ["requested", "planned", "launching"]
    verify = next(m for m in closed["missions"] if m["kind"] == "verify")
    if states[-2:] != ["landed", "closed"]:
        # still coming home when the revisit was asked for: its drone was handed over in the air
        # (the re-task policy), the revisit flew it and brought it home
        assert states[-2:] == ["returning", "closed"], states
        assert (done["mission"]["reason"] or "").startswith("re-tasked"), done["mission"]["reason"]
        assert verify["drone_id"] == done["mission"]["drone_id"]
    dock = await until(
        lambda: get_json(api, "/api/v1/docks/D12"),
        lambda d: bool((d.get("state") or {}).get("drone_in_dock") and d["state"]["charging"]),
        60.0,
        "D12 with its drone inside, charging",
    )
    assert dock["state"]["drone_in_dock"]


def _all_available(docks: list[dict[str, Any]]) -> bool:
    return len(docks) == 4 and all(d["availability"]["available"] for d in docks)
