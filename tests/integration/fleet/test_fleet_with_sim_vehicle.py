"""Drone telemetry into the fleet manager: the sim vehicle behind the real MAVSDK link, followed by
:func:`fleet.feeds.follow_drone`. A drone that reports flying makes its dock busy even though the dock's
OSD still says idle, and becomes an airborne candidate for re-tasking; landed, the dock is free again."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace

import pytest

from docks.model import ChargeState, CoverState, DockMode, Rainfall
from docks.protocol import DockOsd
from fleet.drone_model import DroneSpec, Height
from fleet.feeds import follow_drone
from fleet.flight_settings import FlightSettings
from fleet.flight_waits import wait_until
from fleet.manager import FleetManager
from fleet.mavsdk_fleet import MavsdkFleet
from fleet.mavsdk_link import MavsdkDroneLink
from fleet.model import Availability, CandidateKind, DroneState, FleetEventKind, ReasonCode, SortieSpec
from fleet.registry import DockRecord, DockTypeSpec, FleetRegistry
from geo.crs import LocalFrame
from sim.clock import SimClock
from sim.vehicle.fleet import SimFleet, spaced_configs

HOME_LAT_DEG, HOME_LON_DEG, HOME_AMSL_M = 34.7600, 113.7300, 95.0
SPEED = 20.0
WAIT_S = 30.0


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def dock_osd() -> DockOsd:
    return DockOsd(
        mode=DockMode.IDLE,
        cover_state=CoverState.CLOSED,
        drone_in_dock=True,
        drone_battery_pct=99.0,
        charge_state=ChargeState.FULL,
        wind_speed_mps=2.0,
        rainfall=Rainfall.NONE,
        environment_temperature_c=20.0,
        latitude_deg=HOME_LAT_DEG,
        longitude_deg=HOME_LON_DEG,
    )


@dataclass
class World:
    manager: FleetManager
    link: MavsdkDroneLink


@pytest.fixture
async def world() -> AsyncIterator[World]:
    frame = LocalFrame.from_epsg("EPSG:4547")
    registry = FleetRegistry(
        [DockRecord("D01", "dock3", HOME_LON_DEG, HOME_LAT_DEG, drone_id="D01-UAV")],
        {"dock3": DockTypeSpec(name="dock3", launch_wind_limit_mps=12.0, temperature_range_c=(-30.0, 50.0))},
        frame.to_local,
    )
    manager = FleetManager(registry)  # real monotonic clock: telemetry freshness in wall seconds
    configs = [
        replace(c, gcs_port=free_udp_port())
        for c in spaced_configs(1, HOME_LON_DEG, HOME_LAT_DEG, HOME_AMSL_M, local_port_base=0, sysid_base=1)
    ]
    async with AsyncExitStack() as stack:
        sim = SimFleet(configs, SimClock(SPEED))
        await stack.enter_async_context(sim)
        fleet = MavsdkFleet(FlightSettings(connect_timeout_s=20.0))
        await stack.enter_async_context(fleet)
        link = await fleet.add_drone(DroneSpec("D01-UAV", configs[0].connection_url, configs[0].sysid))
        await link.connect()
        follower = asyncio.create_task(follow_drone(manager, link))
        try:
            yield World(manager, link)
        finally:
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)


async def drone_until(manager: FleetManager, predicate: Callable[[DroneState], bool]) -> DroneState:
    """D01's drone state in the manager once ``predicate`` holds (``WAIT_S``: a guard against a hang)."""
    async with asyncio.timeout(WAIT_S):
        while True:
            drone = manager.drone_state("D01-UAV")
            if drone is not None and predicate(drone):
                return drone
            await asyncio.sleep(0.05)


async def until(manager: FleetManager, predicate) -> Availability:
    sub = manager.subscribe()
    try:
        current = manager.availability("D01")
        if predicate(current):
            return current
        async with asyncio.timeout(WAIT_S):
            async for event in sub:
                a = event.availability
                if event.kind is FleetEventKind.AVAILABILITY and a is not None and predicate(a):
                    return a
    finally:
        sub.close()
    raise AssertionError("subscription ended")


async def test_telemetry_makes_the_dock_busy_in_flight_and_free_after_landing(world: World) -> None:
    fm, link = world.manager, world.link
    fm.ingest_osd("D01", dock_osd())
    await wait_until(
        link, lambda t: t.health is not None and t.health.all_ok and t.home is not None, WAIT_S, "health"
    )
    await until(fm, lambda a: a.available)
    # the battery comes in its own telemetry message, maybe after the health and home ones
    drone = await drone_until(fm, lambda d: d.battery_pct is not None)
    assert drone.link_ok and not drone.in_air

    await link.arm()
    await link.takeoff(Height.above_home(20.0))
    busy = await until(fm, lambda a: ReasonCode.BUSY in a.codes)
    assert busy.summary == "busy: drone airborne"
    fm.ingest_osd("D01", dock_osd())  # the OSD still says idle with the drone inside: telemetry wins
    assert fm.availability("D01").codes == (ReasonCode.BUSY,)

    async with fm.subscribe() as sub, asyncio.timeout(WAIT_S):  # climbing: drone-state events follow
        async for event in sub:
            if event.drone is not None and (event.drone.rel_alt_m or 0.0) >= 10.0:
                break
    target = SortieSpec(HOME_LON_DEG + 0.01, HOME_LAT_DEG, on_scene_s=120.0)
    airborne = [c for c in fm.candidates(target) if c.kind is CandidateKind.AIRBORNE]
    assert len(airborne) == 1 and airborne[0].drone_id == "D01-UAV"
    assert airborne[0].available and airborne[0].rel_alt_m is not None and airborne[0].rel_alt_m > 5.0

    await link.land()
    fm.ingest_osd("D01", dock_osd())
    free = await until(fm, lambda a: a.available)
    assert free.available
    drone = fm.drone_state("D01-UAV")
    assert drone is not None and not drone.in_air
