"""Mission control's fleet side fences every drone it connects: the demo's sim world (embedded broker,
sim vehicles) and :class:`mission.app_fleet.FleetSide` with the reference settings; each vehicle ends
up holding the district's keep-out zones and the ``[geofence]`` parameters, and the side records it."""

from __future__ import annotations

import asyncio

from fleet.geofence_sync import FenceState
from mission.app_fleet import FleetSide, build_registry
from mission.app_sim import SimOptions, SimWorld
from mission.settings import load_settings

WAIT_S = 30.0


async def test_every_drone_gets_the_keep_out_zones_as_its_geofence() -> None:
    settings = load_settings()
    async with SimWorld(settings, SimOptions(speed=20.0, dock_count=2)) as world:
        assert world.url is not None and world.vehicles is not None
        registry = build_registry(settings, only=world.dock_ids)
        specs = world.drone_specs()
        async with FleetSide(settings, world.url, specs, registry=registry, clock=world.clock) as fleet:
            assert fleet.geofence is not None and len(fleet.geofence.polygons) == 2
            loop = asyncio.get_running_loop()
            deadline = loop.time() + WAIT_S
            while True:
                states = {d.drone_id: fleet.geofence_status.get(d.drone_id) for d in specs}
                if all(s is not None and s.state is FenceState.UPLOADED for s in states.values()):
                    break
                assert loop.time() < deadline, f"not every drone fenced within {WAIT_S} s: {states}"
                await asyncio.sleep(0.05)
            for vehicle in world.vehicles.vehicles:
                assert len(vehicle.fence.polygons) == 2
                assert all(not p.inclusion for p in vehicle.fence.polygons)
                assert vehicle.params.int("GF_ACTION") == settings.geofence.action
                assert vehicle.params.int("GF_PREDICT") == settings.geofence.predict
