"""A link that has just come up waits for the autopilot's first home position before converting a
height (after a mission-control restart the heartbeat comes before HOME_POSITION), bounded by the
command timeout; an offline link does not wait."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from fleet.drone_model import DroneSpec, LinkState, Position
from fleet.flight_settings import FlightSettings
from fleet.mavsdk_link import MavsdkDroneLink

HOME = Position(34.75, 113.75, 95.0, 0.0)


def link(timeout_s: float) -> MavsdkDroneLink:
    settings = FlightSettings(command_timeout_s=timeout_s)
    return MavsdkDroneLink(DroneSpec("D01-UAV", "udpin://127.0.0.1:1", 1), settings, ThreadPoolExecutor(1))


async def test_an_online_link_waits_for_the_first_home_position() -> None:
    drone = link(timeout_s=30.0)
    drone.hub.set_connected(True)
    assert drone.hub.state is LinkState.ONLINE
    waiting = asyncio.create_task(drone._home_ready())
    drone.hub.update(armed=False)  # telemetry without a home: still waiting
    await asyncio.sleep(0.05)
    assert not waiting.done()
    drone.hub.update(home=HOME)
    assert await asyncio.wait_for(waiting, 5.0) == 95.0
    assert drone.hub.subscriber_count == 0


async def test_no_home_within_the_command_timeout_gives_none() -> None:
    drone = link(timeout_s=0.1)
    drone.hub.set_connected(True)
    assert await drone._home_ready() is None
    assert drone.hub.subscriber_count == 0


async def test_an_offline_link_does_not_wait_and_a_known_home_is_returned_at_once() -> None:
    drone = link(timeout_s=30.0)
    assert await asyncio.wait_for(drone._home_ready(), 1.0) is None  # never connected
    drone.hub.set_connected(True)
    drone.hub.update(home=HOME)
    assert await asyncio.wait_for(drone._home_ready(), 1.0) == 95.0


async def test_a_link_lost_while_waiting_stops_the_wait() -> None:
    drone = link(timeout_s=30.0)
    drone.hub.set_connected(True)
    waiting = asyncio.create_task(drone._home_ready())
    await asyncio.sleep(0.01)
    drone.hub.set_connected(False)
    assert await asyncio.wait_for(waiting, 5.0) is None
