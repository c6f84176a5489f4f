"""The executor flies around a keep-out zone with the real sim vehicle behind MAVSDK and a sim dock
over the embedded broker (sped up): the straight line from the dock to the point crosses the zone;
every telemetry position sampled in the air keeps the clearance (less a small tolerance for the
turns at the bends), the drone reaches the point, and the routes out and home are stored."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from shapely.geometry import LineString, Point, box

from fleet.drone_model import DroneTelemetry
from fleet.mavsdk_link import MavsdkDroneLink
from geo.crs import LocalFrame
from geo.district import KeepOut
from geo.routing import KeepOutRouter
from mission import lifecycle_types as fx
from mission.flight_routes import FlightRoutes
from mission.model import Mission, MissionState
from mission.runner import MissionRunner
from tests.integration.flight.conftest import HOME_LAT_DEG, HOME_LON_DEG
from tests.integration.mission.test_executor_sim import check_home_and_closed, sim_stack, until, until_idle
from tests.unit.mission.fake_store import FakeStore

SPEED = 40.0
FRAME = LocalFrame.from_epsg(4547)
CLEARANCE_M = 30.0
#: Below the clearance that a sampled position may come: the drone turns at a bend once within
#: the arrival radius of it, cutting the corner a little (the route's bends sit ~10 m outside it).
TOLERANCE_M = 5.0
HOME_X, HOME_Y = FRAME.to_local(HOME_LON_DEG, HOME_LAT_DEG)
#: 600 m east-west, 80 m deep, 250 m north of the dock: right across the way to the point.
ZONE = KeepOut("test-zone", "Test zone", box(HOME_X - 250, HOME_Y + 210, HOME_X + 350, HOME_Y + 290), "test")
TARGET_LON, TARGET_LAT = FRAME.to_wgs84(HOME_X, HOME_Y + 500.0)


@contextlib.asynccontextmanager
async def sampled(link: MavsdkDroneLink) -> AsyncIterator[list[tuple[float, float]]]:
    """Every position the drone reports while in the air, in local metres."""
    samples: list[tuple[float, float]] = []

    async def follow() -> None:
        async for t in link.subscribe():
            if isinstance(t, DroneTelemetry) and t.in_air and t.position is not None:
                x, y = FRAME.to_local(t.position.lon_deg, t.position.lat_deg)
                samples.append((float(x), float(y)))

    task = asyncio.create_task(follow())
    try:
        yield samples
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_sim_drone_flies_around_a_keep_out_zone_out_and_home() -> None:
    store = FakeStore()
    async with sim_stack(store, speed=SPEED) as stack:
        stack.deps.routes = FlightRoutes(KeepOutRouter([ZONE.polygon_m], CLEARANCE_M), FRAME, [ZONE])
        runner = MissionRunner(stack.deps)
        async with sampled(stack.drone) as samples, asyncio.TaskGroup() as tg:
            tg.create_task(runner.run())
            await runner.started()
            mission = Mission(None, TARGET_LON, TARGET_LAT)
            await runner.launch(mission, fx.Planned(stack.sn, stack.drone.drone_id, eta_s=90.0))
            try:
                arrived = await until(store, mission.id, lambda m: m.state is MissionState.ON_SCENE, 90.0)
                done = await until(store, mission.id, lambda m: m.state.terminal, 120.0)
                await until_idle(runner)  # its last effects (the dock released) are done
            finally:
                runner.stop()
        check_home_and_closed(stack, done)
    straight = LineString([(HOME_X, HOME_Y), FRAME.to_local(TARGET_LON, TARGET_LAT)])
    assert straight.intersects(ZONE.polygon_m)  # the straight line would have crossed it
    out, home = [e for e in store.events[mission.id] if e.kind == "route"]
    assert (out.data["to"], home.data["to"]) == ("target", "dock")
    assert len(out.data["points"]) >= 3 and len(home.data["points"]) >= 3  # bends both ways
    assert out.data["points"][-1] == [TARGET_LON, TARGET_LAT] and arrived.route == out.data["points"]
    assert done.route == home.data["points"]
    assert len(samples) > 50  # the whole flight was followed
    closest_m = min(ZONE.polygon_m.distance(Point(p)) for p in samples)
    assert closest_m >= CLEARANCE_M - TOLERANCE_M, f"came within {closest_m:.1f} m of the zone"
    north = max(y for _, y in samples) - HOME_Y
    assert north > 480.0  # it got to the point, beyond the zone
