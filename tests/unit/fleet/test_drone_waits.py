"""``wait_until`` and ``command_all`` on a hub-backed stand-in link (only what they use of a DroneLink)."""

from __future__ import annotations

import asyncio

import pytest

from fleet.drone_model import DroneTelemetry, Height
from fleet.errors import CommandDenied, CommandTimeout, DroneOffline
from fleet.flight_fanout import command_all
from fleet.flight_waits import distance_m, wait_until
from fleet.telemetry_hub import Subscription, TelemetryHub

#: Patience for a wait that must succeed (a guard against a hang on a loaded machine, not a timing check).
WAIT_S = 30.0


class HubLink:
    def __init__(self, drone_id: str) -> None:
        self.hub = TelemetryHub(drone_id, link_loss_s=3.0)
        self.drone_id = drone_id

    def telemetry(self) -> DroneTelemetry:
        return self.hub.snapshot()

    def subscribe(self) -> Subscription:
        return self.hub.subscribe()

    async def takeoff(self, height: Height) -> None:
        if height.value_m > 100:
            raise CommandDenied(self.drone_id, "takeoff", "too high for this stand-in")


async def test_returns_the_current_snapshot_when_it_already_matches() -> None:
    link = HubLink("d1")
    link.hub.update(armed=True)
    t = await wait_until(link, lambda t: t.armed is True, 0.01, "armed")  # type: ignore[arg-type]
    assert t.armed is True


async def test_returns_the_first_matching_update_and_times_out_otherwise() -> None:
    link = HubLink("d1")
    link.hub.set_connected(True)

    async def feed() -> None:
        for pct in (90.0, 80.0, 70.0):
            await asyncio.sleep(0.01)
            link.hub.update(in_air=pct < 85)

    task = asyncio.create_task(feed())
    t = await wait_until(link, lambda t: t.in_air is True, WAIT_S, "in air")  # type: ignore[arg-type]
    assert t.in_air is True
    await task
    with pytest.raises(CommandTimeout, match="landed") as err:
        await wait_until(link, lambda t: t.in_air is False, 0.05, "landed")  # type: ignore[arg-type]
    assert err.value.timeout_s == 0.05
    assert link.hub.subscriber_count == 0  # the waits cleaned up their subscriptions


async def test_going_offline_ends_the_wait_unless_allowed() -> None:
    link = HubLink("d1")
    link.hub.set_connected(True)
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, link.hub.set_connected, False)
    with pytest.raises(DroneOffline, match="offline"):
        await wait_until(link, lambda t: False, WAIT_S, "anything")  # type: ignore[arg-type]
    loop.call_later(0.01, link.hub.set_connected, True)
    t = await wait_until(link, lambda t: t.link.value == "online", WAIT_S, "back", offline_ok=True)  # type: ignore[arg-type]
    assert t.link.value == "online"


async def test_command_all_gives_one_outcome_per_drone() -> None:
    links = [HubLink("a"), HubLink("b")]
    heights = {"a": Height.above_home(30), "b": Height.above_home(300)}
    outcomes = await command_all(links, lambda link: link.takeoff(heights[link.drone_id]))  # type: ignore[arg-type, attr-defined]
    assert outcomes["a"] is None and isinstance(outcomes["b"], CommandDenied)


def test_distance_is_the_great_circle_distance() -> None:
    assert distance_m(34.76, 113.73, 34.76, 113.73) == 0.0
    one_minute_of_latitude_m = distance_m(34.75, 113.70, 34.75 + 1 / 60, 113.70)
    assert one_minute_of_latitude_m == pytest.approx(1853, abs=1)
