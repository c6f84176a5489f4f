"""A go-to flies at the speed asked (MAVSDK set_current_speed = DO_CHANGE_SPEED, within the airframe's
MPC_XY_VEL_MAX), not at the autopilot's own cruise (MPC_XY_CRUISE, 5 m/s on PX4); a bad speed is refused
before anything is sent."""

from __future__ import annotations

import asyncio

import pytest

from fleet.drone_model import Height, LinkEvent
from fleet.errors import InvalidCommand
from fleet.flight_waits import horizontal_distance_m, wait_until

from .conftest import flight_world
from .flying import offset, params, take_off, wait_healthy

FAST = 40.0


async def test_go_to_flies_at_the_asked_speed_and_refuses_a_bad_one(backend: str) -> None:
    async with flight_world(backend, speed=FAST) as world:
        link = world.links[0]
        home = (await wait_healthy(world, link)).home
        assert home is not None
        await link.set_param("MPC_XY_VEL_MAX", 15.0)  # as the operator configures the airframe
        default_cruise_mps = (await params(link, "MPC_XY_CRUISE"))["MPC_XY_CRUISE"]
        assert default_cruise_mps < 10.0
        await take_off(world, link, 40.0)

        async def top_speed_of_leg(north_m: float, speed_mps: float) -> float:
            lat, lon = offset(home.lat_deg, home.lon_deg, north_m, 0.0)
            speeds: list[float] = []

            async def watch() -> None:
                async for u in link.subscribe():
                    if not isinstance(u, LinkEvent) and u.velocity is not None:
                        speeds.append(u.velocity.ground_speed_mps)

            watcher = asyncio.create_task(watch())
            try:
                await link.goto(lat, lon, Height.above_home(40.0), speed_mps=speed_mps)
                await wait_until(
                    link,
                    lambda t: horizontal_distance_m(t.position, lat, lon) < 10.0,
                    world.wall_s(north_m / default_cruise_mps * 2 + 60) + 3,
                    f"arrive {north_m} m north",
                )
            finally:
                watcher.cancel()
            return max(speeds)

        fast = await top_speed_of_leg(1200.0, 14.0)
        assert fast == pytest.approx(14.0, abs=1.0)  # well above the autopilot's 5 m/s cruise
        with pytest.raises(InvalidCommand):
            await link.goto(home.lat_deg, home.lon_deg, Height.above_home(40.0), speed_mps=0.0)
        with pytest.raises(InvalidCommand):
            await link.goto(home.lat_deg, home.lon_deg, Height.above_home(40.0), speed_mps=float("nan"))
