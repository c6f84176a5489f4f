"""Routes around the reference keep-out zones through the console's API (``console_stack``: the real
backend, planner and store, fake drones): a go-to into the East station zone is refused with 422
naming the zone (audited, nothing flown); a go-to whose straight line crosses it is accepted and
flown around it; the mission's JSON — listed, in full and on the live socket — carries the route."""

from __future__ import annotations

from typing import Any

from shapely.geometry import LineString, Polygon
from websockets.asyncio.client import connect

from mission.model import MissionState
from tests.integration.console.console_stack import ADMIN_TOKEN, ConsoleStack, console_stack, next_message

S = MissionState
#: The East station keep-out zone of config/keepout.geojson (WGS84 lon, lat).
EAST_STATION = Polygon(
    [(113.780635, 34.76417), (113.765343, 34.764142), (113.765366, 34.756029), (113.780656, 34.756058)]
)
WEST_OF_IT = (113.7600, 34.7600)
EAST_OF_IT = (113.7870, 34.7600)
INSIDE_IT = (113.7730, 34.7600)


async def launched_to_west_of_the_station(s: ConsoleStack, who: dict[str, str]) -> str:
    lon, lat = WEST_OF_IT
    r = await s.http.post("/api/v1/missions", json={"lon_deg": lon, "lat_deg": lat}, headers=who)
    assert r.status_code == 202, r.text
    mission_id: str = r.json()["id"]
    await s.until(mission_id, lambda m: m.state is S.SUPERVISING)
    return mission_id


async def goto(s: ConsoleStack, mission_id: str, point: tuple[float, float], who: dict[str, str]) -> Any:
    body = {"command": "goto", "lon_deg": point[0], "lat_deg": point[1]}
    return await s.http.post(f"/api/v1/missions/{mission_id}/commands", json=body, headers=who)


async def test_a_go_to_inside_a_keep_out_zone_is_refused_with_422_naming_it(store_url: str) -> None:
    async with console_stack(store_url) as s:
        dan = await s.token("dan", "dispatcher")
        mission_id = await launched_to_west_of_the_station(s, dan)
        before = await s.store.get_mission(mission_id)
        flown = list(s.drones[before.drone_id or ""].commands)

        r = await goto(s, mission_id, INSIDE_IT, dan)

        assert r.status_code == 422, r.text
        (problem,) = r.json()["detail"]
        assert problem["zone_id"] == "zz-east-station" and problem["loc"] == ["body", "lon_deg"]
        assert (
            "keep-out zone zz-east-station (郑州东站 Zhengzhou East station hub (sample))" in problem["msg"]
        )
        after = await s.store.get_mission(mission_id)
        assert (after.state, after.lon_deg, after.lat_deg) == (S.SUPERVISING, before.lon_deg, before.lat_deg)
        assert s.drones[after.drone_id or ""].commands == flown  # nothing was flown
        audit = (await s.http.get("/api/v1/audit", headers=s.auth(ADMIN_TOKEN))).json()
        refused = [a for a in audit if a["action"] == "command.goto"]
        assert [a["details"]["outcome"] for a in refused] == ["refused"]
        assert "zz-east-station" in refused[0]["details"]["error"]


async def test_a_go_to_across_a_zone_is_flown_around_it_and_the_mission_json_carries_the_route(
    store_url: str,
) -> None:
    async with (
        console_stack(store_url) as s,
        connect(f"ws://{s.url}/api/v1/live?token={ADMIN_TOKEN}") as ws,
    ):
        await next_message(ws, "snapshot")
        dan = await s.token("dan", "dispatcher")
        mission_id = await launched_to_west_of_the_station(s, dan)
        first = (await s.http.get(f"/api/v1/missions/{mission_id}", headers=dan)).json()["mission"]["route"]
        assert first[-1] == list(WEST_OF_IT)

        r = await goto(s, mission_id, EAST_OF_IT, dan)
        assert r.status_code == 202, r.text
        await s.until(mission_id, lambda m: m.state is S.SUPERVISING and m.lon_deg == EAST_OF_IT[0])
        seen = await next_message(
            ws,
            "mission",
            lambda m: (
                m["mission"]["id"] == mission_id and (m["mission"]["route"] or [[]])[-1] == [*EAST_OF_IT]
            ),
        )

        detail = (await s.http.get(f"/api/v1/missions/{mission_id}", headers=dan)).json()
        (listed,) = (await s.http.get("/api/v1/missions", headers=dan)).json()
    route = detail["mission"]["route"]
    assert listed["route"] == route and seen["mission"]["route"] == route
    assert route[0] == list(WEST_OF_IT) and route[-1] == list(EAST_OF_IT)
    assert len(route) >= 3  # bends: the straight line would cross the station
    assert LineString([WEST_OF_IT, EAST_OF_IT]).intersects(EAST_STATION)
    assert not LineString([tuple(p) for p in route]).intersects(EAST_STATION)
    events = [e for e in detail["events"] if e["kind"] == "route"]
    assert events[-1]["data"] == {"to": "goto", "points": route}
