"""Flight steps shared by the scenarios. Every wait is bounded by a budget computed from the
vehicle's own parameters (speeds, climb rates), in sim seconds, never from the sim's exact numbers."""

from __future__ import annotations

import math

from fleet.drone_model import DroneTelemetry, Height, LandedState
from fleet.flight_waits import distance_m, horizontal_distance_m, wait_until
from fleet.mavsdk_link import MavsdkDroneLink

from .conftest import FlightWorld

EARTH_RADIUS_M = 6_371_008.8


def offset(lat_deg: float, lon_deg: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point ``north_m``/``east_m`` metres from (lat, lon)."""
    dlat = math.degrees(north_m / EARTH_RADIUS_M)
    dlon = math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat_deg))))
    return lat_deg + dlat, lon_deg + dlon


async def params(link: MavsdkDroneLink, *names: str) -> dict[str, float]:
    return {name: float(await link.get_param(name)) for name in names}


async def wait_healthy(world: FlightWorld, link: MavsdkDroneLink, sim_s: float = 120.0) -> DroneTelemetry:
    return await wait_until(
        link,
        lambda t: t.health is not None and t.health.all_ok and t.health.armable and t.home is not None,
        world.wall_s(sim_s) + 5.0,
        "health ok",
    )


async def take_off(world: FlightWorld, link: MavsdkDroneLink, rel_alt_m: float) -> DroneTelemetry:
    p = await params(link, "MPC_Z_VEL_MAX_UP", "NAV_MC_ALT_RAD")
    await link.arm()
    await link.takeoff(Height.above_home(rel_alt_m))
    budget_s = 2 * rel_alt_m / p["MPC_Z_VEL_MAX_UP"] + 30
    return await wait_until(
        link,
        lambda t: (
            t.in_air is True
            and t.position is not None
            and abs(t.position.rel_alt_m - rel_alt_m) <= p["NAV_MC_ALT_RAD"] + 0.5
        ),
        world.wall_s(budget_s) + 2.0,
        f"takeoff to {rel_alt_m} m",
    )


async def fly_to(
    world: FlightWorld, link: MavsdkDroneLink, lat_deg: float, lon_deg: float, rel_alt_m: float
) -> DroneTelemetry:
    """Go to a point and wait until the drone has stopped on it; returns that snapshot."""
    p = await params(link, "MPC_XY_CRUISE", "NAV_ACC_RAD", "NAV_MC_ALT_RAD", "MPC_Z_VEL_MAX_DN")
    start = link.telemetry().position
    assert start is not None
    dist = distance_m(start.lat_deg, start.lon_deg, lat_deg, lon_deg)
    await link.goto(lat_deg, lon_deg, Height.above_home(rel_alt_m))
    budget_s = (
        2 * dist / p["MPC_XY_CRUISE"] + 2 * abs(rel_alt_m - start.rel_alt_m) / p["MPC_Z_VEL_MAX_DN"] + 60
    )
    return await wait_until(
        link,
        lambda t: (
            horizontal_distance_m(t.position, lat_deg, lon_deg) <= p["NAV_ACC_RAD"] + 1.0
            and t.position is not None
            and abs(t.position.rel_alt_m - rel_alt_m) <= p["NAV_MC_ALT_RAD"] + 1.0
            and t.velocity is not None
            and t.velocity.ground_speed_mps < 1.0
        ),
        world.wall_s(budget_s) + 3.0,
        f"arrive {dist:.0f} m away",
    )


async def wait_landed_disarmed(
    world: FlightWorld, link: MavsdkDroneLink, budget_sim_s: float
) -> DroneTelemetry:
    return await wait_until(
        link,
        lambda t: t.armed is False and t.landed_state is LandedState.ON_GROUND,
        world.wall_s(budget_sim_s) + 3.0,
        "landed and disarmed",
    )


async def return_home(world: FlightWorld, link: MavsdkDroneLink) -> DroneTelemetry:
    """RTL and wait until landed and disarmed; budget from the distance, speeds and RTL height."""
    p = await params(
        link, "MPC_XY_CRUISE", "RTL_RETURN_ALT", "MPC_Z_VEL_MAX_UP", "MPC_LAND_SPEED", "COM_DISARM_LAND"
    )
    t = link.telemetry()
    assert t.position is not None and t.home is not None
    dist = horizontal_distance_m(t.position, t.home.lat_deg, t.home.lon_deg)
    height = max(p["RTL_RETURN_ALT"], t.position.rel_alt_m)
    budget_s = (
        2 * dist / p["MPC_XY_CRUISE"]
        + 2 * height / p["MPC_Z_VEL_MAX_UP"]
        + 2 * height / p["MPC_LAND_SPEED"]
        + p["COM_DISARM_LAND"]
        + 60
    )
    await link.return_to_launch()
    return await wait_landed_disarmed(world, link, budget_s)
