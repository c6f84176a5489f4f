"""Airborne re-tasking through the console (``console_stack``): a drone flying home near a new fire
is handed over to it in the air — the decision says so and stores the docks rejected as slower, the
old mission closes with the hand-over in its log, the drone flies straight there (no dock
preparation, no take-off) and its dock's reservation follows it."""

from __future__ import annotations

from fleet.model import DroneState
from mission.lifecycle_types import Return
from mission.model import MissionState
from tests.integration.console.console_stack import console_stack
from tests.unit.mission.alert_helpers import offset_wgs84

S = MissionState


async def test_a_returning_drone_near_a_new_fire_is_retasked_in_the_air(store_url: str) -> None:
    lon, lat = offset_wgs84(-1500.0, 0.0)
    async with console_stack(store_url) as s:
        r = await s.http.post("/api/v1/missions", json={"lon_deg": lon, "lat_deg": lat}, headers=s.auth())
        assert r.status_code == 202, r.text
        old = await s.until(r.json()["id"], lambda m: m.state is S.SUPERVISING)
        assert old.drone_id is not None and old.dock_id is not None
        drone = s.drones[old.drone_id]
        drone.stall.add("return_to_launch")  # it stays on its way home for as long as the test needs
        s.runner.command(old.id, Return("dan"))
        await s.until(old.id, lambda m: m.state is S.RETURNING)

        # the fleet sees it flying home, 150 m from where a fire is then reported
        fire_lon, fire_lat = offset_wgs84(0.0, 0.0)
        here_lon, here_lat = offset_wgs84(-150.0, 0.0)
        s.fleet.put_drone_state(
            DroneState(
                old.drone_id, here_lon, here_lat, 100.0, in_air=True, armed=True, battery_pct=90.0,
                link_ok=True, flight_mode="return", telemetry_at_s=s.fleet.clock.now_s(),
            )
        )  # fmt: skip
        before = len(drone.commands)
        alert = await s.http.post(
            "/api/v1/alerts", json={"type": "fire_smoke", "lon": fire_lon, "lat": fire_lat}, headers=s.auth()
        )
        assert alert.status_code == 202 and alert.json()["action"] == "launch", alert.text
        incident_id = alert.json()["incident"]["id"]
        (new,) = [m for m in await s.store.list_missions() if m.incident_id == incident_id]

        decision = await s.store.get_decision(new.id)
        assert decision is not None and decision.airborne
        assert (decision.dock_id, decision.drone_id) == (old.dock_id, old.drone_id)
        slower = [o for o in decision.rejected if o.reason_code == "slower"]
        assert slower and all(o.eta_s is not None and o.eta_s > (decision.eta_s or 0.0) for o in slower)

        ended = await s.until(old.id, lambda m: m.state.terminal)
        assert ended.state is S.CLOSED and ended.reason is not None and new.id in ended.reason
        log = await s.store.mission_events(old.id)
        (handover,) = [e for e in log if e.data.get("event") == "retasked"]
        assert handover.data["new_mission_id"] == new.id and handover.to_state is S.CLOSED
        assert not {"return_to_dock", "close_cover", "land"} & set(handover.data["effects"])

        flying = await s.until(new.id, lambda m: m.state in (S.ON_SCENE, S.SUPERVISING))
        assert flying.drone_id == old.drone_id
        after = [c[0] for c in drone.commands[before:]]
        assert "goto" in after and not {"arm", "takeoff", "land"} & set(after)
        assert not [c for c in s.docks.calls if c[0] == old.dock_id and c[1] == "flighttask_prepare"][1:]
        new_log = [e.data.get("event") for e in await s.store.mission_events(new.id)]
        assert "dock_ready" not in new_log and "airborne" in new_log
        assert s.fleet.assignment(old.dock_id) == new.id


async def test_a_watch_gives_way_to_a_more_urgent_incident_but_not_to_an_equal_one(store_url: str) -> None:
    lon, lat = offset_wgs84(-1500.0, 0.0)
    async with console_stack(store_url) as s:
        r = await s.http.post("/api/v1/missions", json={"lon_deg": lon, "lat_deg": lat}, headers=s.auth())
        watching = await s.until(r.json()["id"], lambda m: m.state is S.SUPERVISING)  # manual: priority 2
        assert watching.drone_id is not None
        here_lon, here_lat = offset_wgs84(-150.0, 0.0)
        s.fleet.put_drone_state(
            DroneState(
                watching.drone_id, here_lon, here_lat, 100.0, in_air=True, armed=True, battery_pct=90.0,
                link_ok=True, flight_mode="orbit", telemetry_at_s=s.fleet.clock.now_s(),
            )
        )  # fmt: skip
        point_lon, point_lat = offset_wgs84(0.0, 0.0)

        # another manual point (same priority): the watching drone stays where it is
        same = await s.http.post(
            "/api/v1/missions", json={"lon_deg": point_lon, "lat_deg": point_lat}, headers=s.auth()
        )
        equal = await s.store.get_decision(same.json()["id"])
        assert equal is not None and not equal.airborne and equal.drone_id != watching.drone_id
        assert any(o.drone_id == watching.drone_id and o.reason_code == "busy" for o in equal.rejected)
        assert (await s.store.get_mission(watching.id)).state is S.SUPERVISING

        # a fire (priority 1) 150 m away takes it
        alert = await s.http.post(
            "/api/v1/alerts",
            json={"type": "fire_smoke", "lon": point_lon, "lat": point_lat},
            headers=s.auth(),
        )
        assert alert.status_code == 202 and alert.json()["action"] == "launch", alert.text
        incident_id = alert.json()["incident"]["id"]
        (fire,) = [m for m in await s.store.list_missions() if m.incident_id == incident_id]
        decision = await s.store.get_decision(fire.id)
        assert decision is not None and decision.airborne and decision.drone_id == watching.drone_id
        ended = await s.until(watching.id, lambda m: m.state.terminal)
        assert ended.state is S.CLOSED and ended.reason is not None and fire.id in ended.reason
        (handover,) = [
            e for e in await s.store.mission_events(watching.id) if e.data.get("event") == "retasked"
        ]
        assert handover.data["effects"] == ["stop_payload_tasks", "notify"]
        await s.until(fire.id, lambda m: m.state in (S.ON_SCENE, S.SUPERVISING))
