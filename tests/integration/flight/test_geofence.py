"""The keep-out zones as the autopilot's geofence, through MAVSDK: the reference zones
(config/keepout.geojson) uploaded and read back, then a drone on the far side of the Zhengzhou East
station zone sent straight home through it — by mission control (a commanded return: the fence holds
it at the edge) and by its own link-loss failsafe (PX4 flies the most severe failsafe, so only
``GF_ACTION`` = land stops that return; it lands at the edge). Each scenario also runs on PX4 SITL
(``px4`` marker, needs ``SKYLOOP_PX4_BIN``); the link-loss one needs the sim's cut-link hook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from shapely.geometry import Point, Polygon

from fleet.drone_model import DroneTelemetry, FlightMode, LandedState
from fleet.flight_settings import FlightSettings
from fleet.flight_waits import wait_until
from fleet.geofence import GeofencePlan, GeofenceSettings, plan_from_keepouts
from fleet.mavsdk_link import MavsdkDroneLink
from mission.geo_config import load_district
from mission.settings import load_settings
from sim.vehicle.model import LandedState as SimLanded
from sim.vehicle.vehicle import Vehicle

from .conftest import FlightWorld, flight_world
from .flying import fly_to, params, take_off, wait_healthy, wait_landed_disarmed

FAST = 40.0
CRUISE_MPS = 12.0
ALT_M = 40.0
#: The world's home (113.730, 34.760) is 3.2 km west of the zone; the far point 680 m east of it.
NORTH_OF_ZONE = (34.7690, 113.7600), (34.7690, 113.7880)
FAR_SIDE = (34.7600, 113.7880)


def reference_plan(**geofence: object) -> tuple[GeofencePlan, Polygon]:
    """The reference district's zones as a plan, and the East station zone in (lon, lat)."""
    district = load_district(load_settings())
    plan = plan_from_keepouts(district.keepouts, district.frame, GeofenceSettings(**geofence))
    east = next(p for p in plan.polygons if p.zone_id == "zz-east-station")
    return plan, Polygon(east.ring_lon_lat)


@asynccontextmanager
async def watched(link: MavsdkDroneLink) -> AsyncIterator[list[DroneTelemetry]]:
    """Every telemetry snapshot while the block runs."""
    seen: list[DroneTelemetry] = []

    async def collect() -> None:
        async for u in link.subscribe():
            if isinstance(u, DroneTelemetry):
                seen.append(u)

    task = asyncio.create_task(collect())
    try:
        yield seen
    finally:
        task.cancel()


def inside(zone: Polygon, seen: list[DroneTelemetry]) -> list[tuple[float, float]]:
    return [
        (t.position.lon_deg, t.position.lat_deg)
        for t in seen
        if t.position is not None and zone.covers(Point(t.position.lon_deg, t.position.lat_deg))
    ]


def edge_m(zone: Polygon, t: DroneTelemetry) -> float:
    """Distance to the zone's outline in metres (small-area approximation at 34.76° N)."""
    assert t.position is not None
    deg = zone.exterior.distance(Point(t.position.lon_deg, t.position.lat_deg))
    return float(deg) * 111_320.0 * 0.8215  # a lower bound: 1° of longitude is the shorter one here


async def track_until_landed(vehicle: Vehicle) -> list[tuple[float, float]]:
    """The sim vehicle's (lon, lat) every 10 ms of wall time (0.4 sim s at 40x) until it is on the ground."""
    track: list[tuple[float, float]] = []
    while True:
        m = vehicle.state.motion
        lat, lon = vehicle.frame.to_global(m.north_m, m.east_m)
        track.append((lon, lat))
        if vehicle.state.landed_state is SimLanded.ON_GROUND:
            return track
        await asyncio.sleep(0.01)


async def fly_to_far_side(world: FlightWorld, link: MavsdkDroneLink, plan: GeofencePlan) -> None:
    await wait_healthy(world, link)
    await link.upload_geofence(plan)
    await link.set_param("MPC_XY_CRUISE", CRUISE_MPS)
    await take_off(world, link, ALT_M)
    for lat, lon in (*NORTH_OF_ZONE, FAR_SIDE):  # around the zone, as mission control routes
        await fly_to(world, link, lat, lon, ALT_M)


async def test_the_reference_zones_upload_and_read_back(backend: str) -> None:
    plan, _ = reference_plan()
    async with flight_world(backend, speed=FAST) as world:
        link = world.links[0]
        await wait_healthy(world, link)
        await link.upload_geofence(plan)  # raises unless the download matches what was sent
        p = await params(link, "GF_ACTION", "GF_PREDICT")
        assert p == {"GF_ACTION": 2.0, "GF_PREDICT": 1.0}
        if world.sim is not None:
            assert len(world.vehicle(0).fence.polygons) == len(plan.polygons) == 2


async def test_a_commanded_return_through_the_zone_holds_at_its_edge_then_goes_round(backend: str) -> None:
    plan, zone = reference_plan(action=2, predict=1)
    async with flight_world(backend, speed=FAST, settings=FlightSettings(connect_timeout_s=20.0)) as world:
        link = world.links[0]
        await fly_to_far_side(world, link, plan)
        async with watched(link) as seen:
            await link.return_to_launch()  # straight home: through the East station zone
            held = await wait_until(
                link,
                lambda t: (
                    t.flight_mode is FlightMode.HOLD
                    and t.velocity is not None
                    and t.velocity.ground_speed_mps < 0.3
                ),
                world.wall_s(600) + 5.0,
                "hold at the fence",
            )
            assert not inside(zone, seen)
            assert 0.3 < edge_m(zone, held) < 20.0
            if world.sim is not None:
                assert any("geofence violation, hold" in s for s in world.vehicle(0).status_log)
            # what mission control does next: route round the zone, then return
            for lat, lon in reversed(NORTH_OF_ZONE):
                await fly_to(world, link, lat, lon, ALT_M)
            await link.return_to_launch()
            await wait_landed_disarmed(world, link, 900)
            assert not inside(zone, seen)


async def test_a_link_loss_return_through_the_zone_lands_short_of_it_with_gf_action_land(
    backend: str,
) -> None:
    plan, zone = reference_plan(action=5, predict=1)
    async with flight_world(backend, speed=FAST, settings=FlightSettings(connect_timeout_s=20.0)) as world:
        link = world.links[0]
        vehicle = world.vehicle(0)  # skips on PX4: the scenario needs the cut-link hook
        await link.set_param("NAV_DLL_ACT", 2)  # return to launch on link loss
        await fly_to_far_side(world, link, plan)
        p = await params(link, "COM_DL_LOSS_T", "COM_FAIL_ACT_T")
        vehicle.cut_link(True)  # from now on MAVSDK sees nothing: watch the vehicle itself
        budget = world.wall_s(p["COM_DL_LOSS_T"] + p["COM_FAIL_ACT_T"] + 600) + 10.0
        track = await asyncio.wait_for(track_until_landed(vehicle), budget)
        vehicle.cut_link(False)
        landed = await wait_until(
            link, lambda t: t.landed_state is LandedState.ON_GROUND, world.wall_s(60) + 10.0, "landed"
        )
        assert not [pt for pt in track if zone.covers(Point(*pt))]
        assert any("geofence violation, land" in s for s in vehicle.status_log)
        assert any("ground control station" in s for s in vehicle.status_log)  # the return was its own
        assert 0.3 < edge_m(zone, landed) < 25.0
