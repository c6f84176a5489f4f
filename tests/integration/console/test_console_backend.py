"""The console over the real services (``console_stack``): an alert through the HTTP API becomes a
stored mission with its dispatch decision and flies; a duplicate joins and launches nothing; a
queued alert launches on approval; operator commands are audited and reach the running mission;
the live socket sees alert, incident and mission appear; /healthz and /metrics report the services."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from websockets.asyncio.client import connect

from mission.app_fleet import build_registry
from mission.model import IncidentStatus, MissionState
from mission.settings import load_settings
from tests.integration.console.console_stack import ADMIN_TOKEN, LiveLog, console_stack, next_message
from tests.unit.mission.alert_helpers import centre_wgs84, offset_wgs84

S = MissionState


async def test_an_alert_becomes_a_stored_mission_with_its_decision_and_flies(store_url: str) -> None:
    lon, lat = centre_wgs84()
    async with console_stack(store_url) as s:
        dan = await s.token("dan", "dispatcher")
        r = await s.http.post(
            "/api/v1/alerts", json={"type": "fire_smoke", "lon": lon, "lat": lat}, headers=dan
        )
        assert r.status_code == 202, r.text
        decision = r.json()
        assert decision["action"] == "launch"
        incident_id = decision["incident"]["id"]

        (listed,) = (await s.http.get("/api/v1/missions", headers=dan)).json()
        assert listed["incident_id"] == incident_id and listed["kind"] == "response"
        detail = (await s.http.get(f"/api/v1/missions/{listed['id']}", headers=dan)).json()
        chosen = detail["decision"]
        assert chosen["dock_id"] is not None and detail["mission"]["dock_id"] == chosen["dock_id"]
        # every other dock is stored with why it was not chosen
        assert {o["dock_id"] for o in chosen["rejected"]} == {e.dock_id for e in s.fleet.registry} - {
            chosen["dock_id"]
        }
        assert all(o["reason"] for o in chosen["rejected"])
        slower = [o["eta_s"] for o in chosen["rejected"] if o["eta_s"] is not None]
        assert slower and chosen["eta_s"] <= min(slower)

        m = await s.until(listed["id"], lambda m: m.state is S.SUPERVISING)
        assert m.drone_id is not None
        assert [c[0] for c in s.drones[m.drone_id].commands][:3] == ["arm", "takeoff", "goto"]
        assert (await s.store.get_incident(incident_id)).status is IncidentStatus.RESPONDING

        # the same fire reported again joins the incident and launches nothing more
        near = offset_wgs84(50.0, 0.0)
        again = await s.http.post(
            "/api/v1/alerts", json={"type": "fire_smoke", "lon": near[0], "lat": near[1]}, headers=dan
        )
        assert again.status_code == 202 and again.json()["action"] == "join"
        assert again.json()["incident"]["id"] == incident_id
        assert len((await s.http.get("/api/v1/missions", headers=dan)).json()) == 1


async def test_a_queued_alert_launches_only_when_a_dispatcher_approves(store_url: str) -> None:
    lon, lat = offset_wgs84(-800.0, 600.0)
    async with console_stack(store_url) as s:
        dan = await s.token("dan", "dispatcher")
        r = await s.http.post("/api/v1/alerts", json={"type": "crowd", "lon": lon, "lat": lat}, headers=dan)
        assert r.status_code == 202 and r.json()["action"] == "queue"
        assert (await s.http.get("/api/v1/missions", headers=dan)).json() == []
        alert_id = r.json()["alert"]["id"]
        d = await s.http.post(f"/api/v1/alerts/{alert_id}/decision", json={"approve": True}, headers=dan)
        assert d.status_code == 200, d.text
        (mission,) = (await s.http.get("/api/v1/missions", headers=dan)).json()
        assert mission["incident_id"] == r.json()["incident"]["id"]
        await s.until(mission["id"], lambda m: m.state is S.SUPERVISING)


async def test_commands_are_audited_and_reach_the_running_mission(store_url: str) -> None:
    lon, lat = offset_wgs84(300.0, -400.0)
    async with console_stack(store_url) as s:
        dan = await s.token("dan", "dispatcher")
        r = await s.http.post("/api/v1/missions", json={"lon_deg": lon, "lat_deg": lat}, headers=dan)
        assert r.status_code == 202, r.text
        mission_id = r.json()["id"]
        assert r.json()["state"] != "requested" and r.json()["dock_id"] is not None  # planned already
        incident = await s.store.get_incident(r.json()["incident_id"])
        assert incident.type == "manual" and incident.status is IncidentStatus.RESPONDING
        m = await s.until(mission_id, lambda m: m.state is S.SUPERVISING)
        assert m.drone_id is not None

        hold = await s.http.post(
            f"/api/v1/missions/{mission_id}/commands", json={"command": "hold"}, headers=dan
        )
        assert hold.status_code == 202, hold.text
        await s.until(mission_id, lambda _: "hold" in [c[0] for c in s.drones[m.drone_id or ""].commands])
        events = (await s.http.get(f"/api/v1/missions/{mission_id}/events", headers=dan)).json()
        held = [e for e in events if e["data"].get("event") == "hold"]
        assert len(held) == 1 and held[0]["actor"] == "dan" and held[0]["kind"] == "command"

        back = await s.http.post(
            f"/api/v1/missions/{mission_id}/commands", json={"command": "return"}, headers=dan
        )
        assert back.status_code == 202, back.text
        await s.until(mission_id, lambda m: m.state is S.CLOSED)
        late = await s.http.post(
            f"/api/v1/missions/{mission_id}/commands", json={"command": "hold"}, headers=dan
        )
        assert late.status_code == 409 and "closed" in late.json()["detail"]
        unknown = await s.http.post("/api/v1/missions/nope/commands", json={"command": "hold"}, headers=dan)
        assert unknown.status_code == 404

        audit = (await s.http.get("/api/v1/audit", headers=s.auth(ADMIN_TOKEN))).json()
        trail = [(a["action"], a["target"], a["details"].get("outcome")) for a in reversed(audit)]
        assert ("command.launch", mission_id, "accepted") in trail
        assert ("command.hold", mission_id, "accepted") in trail
        assert ("command.return", mission_id, "accepted") in trail
        assert ("command.hold", mission_id, "refused") in trail
        assert all(a["actor"] == "dan" for a in audit if a["action"].startswith("command."))


async def test_the_live_socket_sees_the_alert_incident_and_mission_appear(store_url: str) -> None:
    lon, lat = offset_wgs84(1200.0, 300.0)
    async with (
        console_stack(store_url) as s,
        connect(f"ws://{s.url}/api/v1/live?token={ADMIN_TOKEN}") as ws,
    ):
        log = LiveLog(ws)
        snapshot = await log.seen("snapshot")
        assert len(snapshot["docks"]) == len(s.fleet.registry) and snapshot["missions"] == []
        r = await s.http.post(
            "/api/v1/alerts", json={"type": "fire_smoke", "lon": lon, "lat": lat}, headers=s.auth()
        )
        alert_id, incident_id = r.json()["alert"]["id"], r.json()["incident"]["id"]
        assert (await log.seen("alert", lambda m: m["alert"]["id"] == alert_id))["alert"]
        seen = await log.seen("mission", lambda m: m["mission"]["incident_id"] == incident_id)
        mission_id = seen["mission"]["id"]
        # the incident's status and the mission's transitions are stored by different tasks, in
        # no fixed order: each must show up, whichever comes first
        await log.seen(
            "incident",
            lambda m: m["incident"]["id"] == incident_id and m["incident"]["status"] == "responding",
        )
        await log.seen(
            "mission",
            lambda m: m["mission"]["id"] == mission_id and m["mission"]["state"] == "supervising",
        )
        await log.seen("mission_event", lambda m: m["mission_id"] == mission_id)
        dock_id = (await s.store.get_mission(mission_id)).dock_id
        assert dock_id is not None
        state = s.fleet.dock_state(dock_id)
        assert state is not None
        s.fleet.put_dock_state(replace(state, battery_pct=51.0))
        dock = await log.seen(
            "dock", lambda m: m["dock"]["id"] == dock_id and m["dock"]["state"]["battery_pct"] == 51.0
        )
        # the snapshot is followed by changes only, in the order they were stored
        states = [
            m["mission"]["state"]
            for m in log.messages
            if m["type"] == "mission" and m["mission"]["id"] == mission_id
        ]
        assert states.index("supervising") > 0 and states[-1] == "supervising", states
        assert dock["dock"]["state"]["battery_pct"] == 51.0


async def test_health_and_metrics_report_the_services(store_url: str) -> None:
    lon, lat = centre_wgs84()
    async with console_stack(store_url) as s:
        health = await s.http.get("/healthz")
        assert health.status_code == 200
        assert health.json()["components"] == {"store": True, "fleet": True}
        await s.http.post(
            "/api/v1/alerts", json={"type": "fire_smoke", "lon": lon, "lat": lat}, headers=s.auth()
        )
        await s.http.post(
            "/api/v1/alerts", json={"type": "fire_smoke", "lon": 116.4, "lat": 39.9}, headers=s.auth()
        )
        text = (await s.http.get("/metrics")).text
        figures = dict(
            line.rsplit(" ", 1)
            for line in text.splitlines()
            if line.startswith("skyloop_") and "{" not in line
        )
        assert float(figures["skyloop_missions_launched_total"]) == 1.0
        assert float(figures["skyloop_alerts_launch_total"]) == 1.0
        assert float(figures["skyloop_alerts_reject_total"]) == 1.0
        assert float(figures["skyloop_missions_running"]) == 1.0
        assert "skyloop_grid_delivered_total" in figures


async def test_when_no_dock_can_go_the_alert_is_kept_and_the_failure_shown(store_url: str) -> None:
    lon, lat = centre_wgs84()
    async with console_stack(store_url) as s:
        for entry in s.fleet.registry:
            state = s.fleet.dock_state(entry.dock_id)
            assert state is not None
            s.fleet.put_dock_state(replace(state, online=False))
        async with connect(f"ws://{s.url}/api/v1/live?token={ADMIN_TOKEN}") as ws:
            await next_message(ws, "snapshot")
            r = await s.http.post(
                "/api/v1/alerts", json={"type": "fire_smoke", "lon": lon, "lat": lat}, headers=s.auth()
            )
            assert r.status_code == 202 and r.json()["action"] == "launch"
            notice = await next_message(ws, "mission_event", lambda m: m["event"]["kind"] == "notify")
            assert notice["event"]["data"]["level"] == "urgent"
        (mission,) = (await s.http.get("/api/v1/missions", headers=s.auth())).json()
        assert mission["state"] == "failed" and mission["reason"] == "no dock or drone can go"
        detail = (await s.http.get(f"/api/v1/missions/{mission['id']}", headers=s.auth())).json()
        rejected = detail["decision"]["rejected"]
        assert detail["decision"]["dock_id"] is None and len(rejected) == len(s.fleet.registry)
        assert {o["reason_code"] for o in rejected} == {"offline"}
        assert (await s.store.get_alert(r.json()["alert"]["id"])).incident_id == r.json()["incident"]["id"]


async def test_coverage_now_is_computed_in_the_wind_the_docks_report(store_url: str) -> None:
    async with console_stack(store_url) as s:
        for entry in s.fleet.registry:
            state = s.fleet.dock_state(entry.dock_id)
            assert state is not None
            s.fleet.put_dock_state(replace(state, weather=replace(state.weather, wind_mps=6.5)))
        busy = s.fleet.registry.dock_ids[0]
        s.fleet.assign(busy, "some-mission")
        r = await s.http.get("/api/v1/coverage", headers=s.auth())
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["wind_speed_mps"] == 6.5
        assert busy in report["unavailable"] and busy not in report["available"]
        assert len(report["available"]) == len(s.fleet.registry) - 1


async def test_a_watch_outlasting_the_battery_gets_a_relief_mission_from_another_dock(store_url: str) -> None:
    home = next(iter(build_registry(load_settings())))
    lon, lat = home.record.lon_deg, home.record.lat_deg + 0.004  # about 450 m north of a dock
    async with console_stack(store_url) as s:
        r = await s.http.post("/api/v1/missions", json={"lon_deg": lon, "lat_deg": lat}, headers=s.auth())
        first = await s.until(r.json()["id"], lambda m: m.state is S.SUPERVISING)
        assert first.drone_id is not None
        s.drones[first.drone_id].set_battery(33.0)  # above going home (~26 %), below relief (~36 %)
        relief = None
        async with asyncio.timeout(10.0):
            while relief is None:
                found = [m for m in await s.store.list_missions() if m.relieves_mission_id == first.id]
                relief = found[0] if found else None
                await asyncio.sleep(0.01)
        assert relief.kind == "relief" and relief.incident_id == first.incident_id
        assert relief.dock_id != first.dock_id and (relief.lon_deg, relief.lat_deg) == (lon, lat)
        done = await s.until(first.id, lambda m: m.state is S.CLOSED)
        assert done.state is S.CLOSED  # it came home once the relief drone took over
        taken_over = [
            e for e in await s.store.mission_events(first.id) if e.data.get("event") == "relief_arrived"
        ]
        assert taken_over and taken_over[0].data["relief_mission_id"] == relief.id
