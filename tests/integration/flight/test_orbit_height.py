"""Regression (demo bug H6): while circling its target, a drone flew at its commanded height *plus*
home's AMSL altitude (195 m above home for 100 m at a 95 m home), over the 120 m ceiling.

MAVSDK's ``do_orbit`` sends the AMSL altitude in a COMMAND_INT whose frame says GLOBAL_RELATIVE_ALT;
PX4 ignores that frame and reads z as AMSL, the sim vehicle read it as relative. Real MAVSDK, real
MAVLink, the sim vehicle (or PX4 SITL with ``px4``); heights are the telemetry's, above home.
"""

from __future__ import annotations

import asyncio
import math

import pytest

from fleet.drone_model import DroneTelemetry, Height, LinkEvent
from fleet.flight_settings import FlightSettings
from fleet.flight_waits import horizontal_distance_m, wait_until

from .conftest import flight_world
from .flying import fly_to, offset, params, take_off, wait_healthy

FAST = 40.0  # sim seconds per wall second
ORBIT_HEIGHT_M = 100.0  # the executor's on-scene height
RADIUS_M, SPEED_MPS = 60.0, 8.0


@pytest.mark.parametrize("start_height_m", [ORBIT_HEIGHT_M, 50.0], ids=["level", "climbing-entry"])
async def test_orbit_holds_the_commanded_height_above_home(backend: str, start_height_m: float) -> None:
    settings = FlightSettings(connect_timeout_s=20.0)
    async with flight_world(backend, speed=FAST, settings=settings) as world:
        link = world.links[0]
        home = (await wait_healthy(world, link)).home
        assert home is not None
        p = await params(link, "NAV_MC_ALT_RAD", "MPC_Z_VEL_MAX_UP")
        tolerance_m = p["NAV_MC_ALT_RAD"] + 1.5  # "a few metres"
        await take_off(world, link, start_height_m)
        lat, lon = offset(home.lat_deg, home.lon_deg, 200.0, 0.0)
        await fly_to(world, link, lat, lon, start_height_m)

        samples: list[DroneTelemetry] = []

        async def record() -> None:
            stream = link.subscribe()
            try:
                async for update in stream:
                    if not isinstance(update, LinkEvent) and update.position is not None:
                        samples.append(update)
            finally:
                stream.close()

        recorder = asyncio.create_task(record())
        try:
            await link.orbit(lat, lon, Height.above_home(ORBIT_HEIGHT_M), RADIUS_M, SPEED_MPS)
            climb_s = abs(ORBIT_HEIGHT_M - start_height_m) / p["MPC_Z_VEL_MAX_UP"]
            await wait_until(
                link,
                lambda t: (
                    t.position is not None
                    and abs(horizontal_distance_m(t.position, lat, lon) - RADIUS_M) < 5.0
                    and abs(t.position.rel_alt_m - ORBIT_HEIGHT_M) <= tolerance_m
                ),
                world.wall_s(2 * climb_s + 60) + 2,
                "on the orbit at the commanded height",
            )
            # by the link's own message count, not the recorder's list: under load the recorder's
            # queue lags, and samples it appends next can be older than the settled one
            settled_from = link.telemetry().messages
            await asyncio.sleep(world.wall_s(2 * math.pi * RADIUS_M / SPEED_MPS))  # about one lap
        finally:
            recorder.cancel()

        heights_m = [s.position.rel_alt_m for s in samples if s.position is not None]
        on_circle_m = [
            s.position.rel_alt_m for s in samples if s.position is not None and s.messages >= settled_from
        ]
        assert len(on_circle_m) > 10, "telemetry while circling"
        assert max(heights_m) <= settings.ceiling_m, f"above the ceiling: {max(heights_m):.1f} m"
        assert max(heights_m) <= ORBIT_HEIGHT_M + tolerance_m, "no climb past the commanded height"
        assert max(abs(h - ORBIT_HEIGHT_M) for h in on_circle_m) <= tolerance_m
        # The observers' figure is the height above home: AMSL minus home's AMSL says the same.
        last = samples[-1].position
        assert last is not None
        assert last.abs_alt_m - home.abs_alt_m == pytest.approx(last.rel_alt_m, abs=1.0)
