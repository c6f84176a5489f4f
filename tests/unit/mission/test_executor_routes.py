"""The executor flies around keep-out zones (on fakes): a go-to whose straight line crosses a zone
flies the route's legs in order, the route stored first; a clear one stays a single go-to; the
return flies its bends before the return to launch; no route is never flown straight; operator
commands cut a leg sequence short; recovery routes again from where the drone is."""

from __future__ import annotations

from typing import Any

from shapely.geometry import LineString, Point, Polygon, box

from fleet.drone_model import Height
from geo.crs import LocalFrame
from geo.district import KeepOut
from geo.routing import KeepOutRouter
from mission import lifecycle_types as fx
from mission.flight_routes import EXIT_MARGIN_M, FlightRoutes
from mission.model import MissionEvent, MissionState
from mission.recovery import recover
from tests.unit.fleet.fleet_helpers import healthy_dock, to_wgs84
from tests.unit.mission.executor_rig import FIRE_LAT, FIRE_LON, Rig, rig
from tests.unit.mission.fakes_links import FakeDrone

S = MissionState
PLAN = fx.Planned("D01", "U01", eta_s=150.0)
FRAME = LocalFrame.from_epsg(4547)
CLEARANCE_M = 30.0
D01_LON, D01_LAT = to_wgs84(0.0, 0.0)


def zone_across(lon_deg: float, lat_deg: float, width_m: float = 600.0, depth_m: float = 100.0) -> KeepOut:
    """A zone centred on the point, ``width_m`` east-west: across a flight due north or south."""
    x, y = FRAME.to_local(lon_deg, lat_deg)
    return KeepOut(
        "z1", "Zone One", box(x - width_m / 2, y - depth_m / 2, x + width_m / 2, y + depth_m / 2), "t"
    )


def routes(*zones: KeepOut) -> FlightRoutes:
    return FlightRoutes(KeepOutRouter([z.polygon_m for z in zones], CLEARANCE_M), FRAME, zones)


#: Across the flight from D01 to the fire (1 km due north), half way.
MIDWAY = zone_across(D01_LON, (D01_LAT + FIRE_LAT) / 2)


def local(lon_deg: float, lat_deg: float) -> tuple[float, float]:
    x, y = FRAME.to_local(lon_deg, lat_deg)
    return float(x), float(y)


def gotos(drone: FakeDrone) -> list[tuple[float, float]]:
    """(lon, lat) of every go-to the drone was sent, in order."""
    return [(c[2], c[1]) for c in drone.commands if c[0] == "goto"]


def route_events(r: Rig, mission_id: str) -> list[MissionEvent]:
    return [e for e in r.store.events[mission_id] if e.kind == "route"]


def clear_of(zone: Polygon, path: list[tuple[float, float]], margin_m: float) -> bool:
    """Every leg of ``path`` (lon, lat) keeps ``margin_m`` from the zone."""
    line = LineString([local(*p) for p in path])
    return bool(line.distance(zone) >= margin_m)


def crosses(zone: Polygon, path: list[tuple[float, float]]) -> bool:
    return bool(LineString([local(*p) for p in path]).intersects(zone))


def count_routes_at_each_goto(r: Rig, drone: FakeDrone, mission_id: str) -> list[int]:
    """Wrap the drone's go-to: how many route events were stored when each go-to was sent."""
    seen: list[int] = []
    goto = drone.goto

    async def counting(
        lat_deg: float,
        lon_deg: float,
        height: Height,
        yaw_deg: float | None = None,
        speed_mps: float | None = None,
    ) -> None:
        seen.append(len(route_events(r, mission_id)))
        await goto(lat_deg, lon_deg, height, yaw_deg, speed_mps)

    drone.goto = counting  # type: ignore[method-assign]
    return seen


async def test_a_go_to_across_a_zone_flies_the_route_legs_stored_first_and_so_does_the_return() -> None:
    async with rig() as r:
        r.runner.deps.routes = routes(MIDWAY)
        m = r.mission()
        drone = r.drones["U01"]
        stored_at_goto = count_routes_at_each_goto(r, drone, m.id)
        await r.runner.launch(m, PLAN)
        on_scene = await r.state(m.id, S.SUPERVISING)
        out = gotos(drone)
        r.runner.send(m.id, fx.WatchEnded("case_handled"))
        done = await r.over(m.id)
    assert done.state is S.CLOSED
    to_target, to_dock = route_events(r, m.id)
    assert to_target.data["to"] == "target" and to_dock.data["to"] == "dock"
    points = [tuple(p) for p in to_target.data["points"]]
    assert len(points) >= 3  # bends around the zone: at least two legs
    assert points[0] == (D01_LON, D01_LAT) and points[-1] == (FIRE_LON, FIRE_LAT)
    assert out == points[1:]  # each bend in order, the target last, nothing else
    assert stored_at_goto[0] == 1  # the route was stored before the first leg was flown
    assert on_scene.route == [list(p) for p in points]  # the mission carries it
    assert clear_of(MIDWAY.polygon_m, points, CLEARANCE_M - 0.5)
    assert crosses(MIDWAY.polygon_m, [points[0], points[-1]])  # as the straight line would
    # home: the bends, then the return to launch flies the last, clear, leg
    back = [tuple(p) for p in to_dock.data["points"]]
    assert len(back) >= 3 and back[0] == (FIRE_LON, FIRE_LAT) and back[-1] == (D01_LON, D01_LAT)
    assert clear_of(MIDWAY.polygon_m, back, CLEARANCE_M - 0.5)
    cmds = [c[0] for c in drone.commands]
    assert cmds[-(len(back) - 1) :] == ["goto"] * (len(back) - 2) + ["return_to_launch"]
    assert gotos(drone)[len(out) :] == back[1:-1]
    assert done.route == [list(p) for p in back]


async def test_a_clear_straight_line_stays_a_single_go_to() -> None:
    far = zone_across(*to_wgs84(5000.0, 5000.0))
    async with rig() as r:
        r.runner.deps.routes = routes(far)
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.SUPERVISING)
        (route,) = route_events(r, m.id)
    assert route.data["points"] == [[D01_LON, D01_LAT], [FIRE_LON, FIRE_LAT]]
    assert gotos(r.drones["U01"]) == [(FIRE_LON, FIRE_LAT)]


async def test_without_zones_nothing_changes() -> None:
    async with rig() as r:
        m = r.mission()
        await r.runner.launch(m, PLAN)
        on_scene = await r.state(m.id, S.SUPERVISING)
    assert route_events(r, m.id) == [] and on_scene.route is None
    assert gotos(r.drones["U01"]) == [(FIRE_LON, FIRE_LAT)]


async def test_a_target_inside_a_zone_is_not_flown_the_drone_comes_home_and_the_mission_fails() -> None:
    async with rig() as r:
        r.runner.deps.routes = routes(zone_across(FIRE_LON, FIRE_LAT))
        m = r.mission()
        await r.runner.launch(m, PLAN)
        done = await r.over(m.id)
    assert done.state is S.FAILED and "keep-out zone z1 (Zone One)" in (done.reason or "")
    (refused,) = [e for e in r.store.events[m.id] if e.kind == "route_refused"]
    assert refused.data["to"] == "target" and "z1" in refused.data["why"]
    assert gotos(r.drones["U01"]) == []  # never a leg toward it
    assert [c[0] for c in r.drones["U01"].commands][-1] == "return_to_launch"
    assert any(n.level == "urgent" for _, n in r.notes)


async def test_no_route_home_lands_where_it_is_instead_of_crossing_a_zone() -> None:
    async with rig() as r:
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.SUPERVISING)
        # a zone closed around the dock while the drone watched (e.g. a new temporary restriction)
        r.runner.deps.routes = routes(zone_across(D01_LON, D01_LAT, 200.0, 200.0))
        r.runner.send(m.id, fx.WatchEnded("case_handled"))
        done = await r.over(m.id)
    assert done.state is S.FAILED and done.reason == "landed outside a dock"
    (refused,) = [e for e in r.store.events[m.id] if e.kind == "route_refused"]
    assert refused.data["to"] == "dock" and "z1" in refused.data["why"]
    assert any("return_to_dock failed" in n.text and "landing" in n.text for _, n in r.notes)
    cmds = [c[0] for c in r.drones["U01"].commands]
    assert cmds[-1] == "land" and "return_to_launch" not in cmds
    assert "cover_open" not in r.docks.methods("D01")  # nothing opened for a flight not flown


async def test_a_dock_with_no_route_is_passed_over_for_the_next_that_can_take_the_drone() -> None:
    async with rig() as r:
        r.fleet.put_dock_state(healthy_dock("D02", r.fleet.clock.now_s(), drone_in_dock=False))
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.state(m.id, S.SUPERVISING)
        r.runner.deps.routes = routes(zone_across(D01_LON, D01_LAT, 200.0, 200.0))  # D01 closed in
        r.runner.send(m.id, fx.WatchEnded("case_handled"))
        done = await r.over(m.id)
    assert done.state is S.CLOSED and done.return_dock_id == "D02"
    (refused,) = [e for e in r.store.events[m.id] if e.kind == "route_refused"]
    assert refused.data["dock_id"] == "D01"
    (home,) = [e for e in route_events(r, m.id) if e.data["to"] == "dock"]
    assert home.data["points"][-1] == list(to_wgs84(3000.0, 0.0))  # D02
    assert [c[0] for c in r.drones["U01"].commands][-2:] == ["goto", "land"]
    assert "cover_open" not in r.docks.methods("D01") and "cover_open" in r.docks.methods("D02")


async def test_hold_stops_a_leg_sequence_and_a_new_go_to_is_routed_from_where_the_drone_is() -> None:
    async with rig() as r:
        r.runner.deps.routes = routes(MIDWAY)
        drone = r.drones["U01"]
        drone.stall.add("goto")  # accepted, never arrives: the run waits at the first bend
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.until(m.id, lambda _: len(gotos(drone)) == 1)
        r.runner.command(m.id, fx.Hold("dan"))
        await r.until(m.id, lambda _: drone.commands[-1][0] == "hold")
        await r.until(m.id, lambda _: "flight" not in r.runner.get(m.id)._jobs)
        assert len(gotos(drone)) == 1  # no further leg after the hold
        drone.move(*reversed(to_wgs84(-400.0, 300.0)))  # drifted west of the zone
        drone.stall.discard("goto")
        r.runner.command(m.id, fx.GoToPoint("dan", lat_deg=FIRE_LAT, lon_deg=FIRE_LON))
        await r.state(m.id, S.SUPERVISING)
    first, second = route_events(r, m.id)
    assert first.data["to"] == "target" and second.data["to"] == "goto"
    start = second.data["points"][0]
    assert Point(local(*start)).distance(Point(local(*to_wgs84(-400.0, 300.0)))) < 1e-6
    assert clear_of(MIDWAY.polygon_m, [tuple(p) for p in second.data["points"]], CLEARANCE_M - 0.5)


async def test_recovery_routes_again_from_where_the_drone_is() -> None:
    async with rig() as r:
        r.runner.deps.routes = routes(MIDWAY)
        drone = r.drones["U01"]
        drone.stall.add("goto")
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.until(m.id, lambda _: len(gotos(drone)) == 1)
        runner = await r.restart()
        east = to_wgs84(450.0, 200.0)
        drone.move(east[1], east[0])  # where the autopilot took it meanwhile
        drone.stall.discard("goto")
        report = await recover(r.store, runner, r.drones.__getitem__, r.fleet.registry)
        assert [x.posted for x in report] == [("resumed",)]
        await r.state(m.id, S.SUPERVISING)
    first, second = route_events(r, m.id)
    assert first.data["points"][0] == [D01_LON, D01_LAT]  # before: from the dock
    assert tuple(second.data["points"][0]) == east  # after the restart: from where it is
    assert second.data["points"][-1] == [FIRE_LON, FIRE_LAT]
    assert clear_of(MIDWAY.polygon_m, [tuple(p) for p in second.data["points"]], CLEARANCE_M - 0.5)


def test_a_drone_inside_a_zone_leaves_it_by_the_nearest_way_out_first() -> None:
    inside = to_wgs84(0.0, 520.0)  # 20 m south of the zone's north edge (y 450..550)
    route = routes(MIDWAY).route(inside, (FIRE_LON, FIRE_LAT), "target")
    out = Point(local(*route.points[1]))
    assert MIDWAY.polygon_m.distance(out) >= EXIT_MARGIN_M - 0.5
    assert Point(local(*route.points[0])).distance(out) < 35.0  # straight out to the north
    rest: list[Any] = list(route.points[1:])
    assert not crosses(MIDWAY.polygon_m, rest) and rest[-1] == (FIRE_LON, FIRE_LAT)
