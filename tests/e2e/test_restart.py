"""Mission control killed mid-flight and restarted on the same store: the mission is recovered from
the store and live telemetry and completes (the drone home on its dock, the mission closed)."""

from __future__ import annotations

import httpx

from mission.app_demo import DemoStack
from tests.e2e.conftest import get_json, until, until_available
from tests.e2e.test_intake_and_dispatch import NEAR_D12


async def test_mission_control_restarted_mid_flight_completes_the_mission(
    demo: DemoStack, api: httpx.AsyncClient
) -> None:
    await until_available(api, "D12")
    r = await api.post("/api/v1/missions", json={"lon_deg": NEAR_D12[0], "lat_deg": NEAR_D12[1]})
    assert r.status_code == 202, r.text
    mission_id = r.json()["id"]
    await until(
        lambda: get_json(api, f"/api/v1/missions/{mission_id}"),
        lambda d: d["mission"]["state"] == "en_route",
        60.0,
        "the drone en route",
    )

    control = await demo.restart_control()  # the old one is gone; the drone flies on
    assert [(r.mission_id, r.running) for r in control.recovered] == [(mission_id, True)]
    # Killed in flight: en route, or already on scene when the old one had stopped (300 m take ~1 wall
    # second at x20; a stop on a loaded machine takes longer). It resumes from the state it had.
    killed_in = control.recovered[0].state.value
    assert killed_in in ("en_route", "on_scene", "supervising"), killed_in
    assert control.url == api.base_url.join("/").__str__().rstrip("/")

    # the watch ends when the operator sends the drone home (the console command, through the API)
    await until(
        lambda: get_json(api, f"/api/v1/missions/{mission_id}"),
        lambda d: d["mission"]["state"] in ("supervising", "returning", "landed", "closed"),
        90.0,
        "the recovered mission on scene",
    )
    r = await api.post(f"/api/v1/missions/{mission_id}/commands", json={"command": "return"})
    assert r.status_code in (202, 409), r.text  # 409: it was already on its way home
    done = await until(
        lambda: get_json(api, f"/api/v1/missions/{mission_id}"),
        lambda d: d["mission"]["state"] in ("closed", "aborted", "failed"),
        90.0,
        "the mission closed",
    )
    assert done["mission"]["state"] == "closed", done["mission"]["reason"]
    resumed = [e for e in done["events"] if e["data"].get("event") == "resumed"]
    assert len(resumed) == 1 and resumed[0]["from_state"] == killed_in
    seqs = [e["seq"] for e in done["events"]]
    assert seqs == list(range(1, len(seqs) + 1))  # one log, nothing lost or doubled across the restart
    dock = await get_json(api, "/api/v1/docks/D12")
    assert dock["state"]["drone_in_dock"]
