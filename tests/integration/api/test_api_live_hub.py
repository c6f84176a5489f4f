"""The live hub: every subscriber gets every item in order, a slow one loses its oldest (counted)
without blocking the publisher, fleet events arrive, and closing ends the iteration."""

from __future__ import annotations

import asyncio

import pytest

from fleet.model import FleetEvent, FleetEventKind
from mission.api.live_hub import FleetConflator, LiveHub
from mission.model import Mission
from tests.integration.api.console_fakes import TestBackend
from tests.unit.fleet.fleet_helpers import healthy_dock


def mission(n: int) -> Mission:
    return Mission(None, 113.8, 34.8, id=f"M{n}")


async def drain(sub: object) -> list[object]:
    return [item async for item in sub]  # type: ignore[attr-defined]


async def test_every_subscriber_gets_every_item_in_order() -> None:
    hub = LiveHub()
    a, b = hub.subscribe(), hub.subscribe()
    for n in range(5):
        hub.publish(mission(n))
    hub.close()
    for sub in (a, b):
        assert [m.id for m in await drain(sub)] == [f"M{n}" for n in range(5)]  # type: ignore[attr-defined]
    assert hub.subscriber_count == 0


async def test_a_slow_subscriber_loses_its_oldest_items() -> None:
    hub = LiveHub()
    slow = hub.subscribe(maxsize=10)
    for n in range(25):
        hub.publish(mission(n))
    slow.close()  # the end marker itself pushes out one more
    got = [m.id for m in await drain(slow)]  # type: ignore[attr-defined]
    assert got == [f"M{n}" for n in range(16, 25)]
    assert slow.dropped == 16


async def test_fleet_events_are_published_until_unfollowed() -> None:
    backend = TestBackend()
    hub = LiveHub()
    stop = hub.follow_fleet(backend.manager)
    sub = hub.subscribe()
    dock_id = backend.manager.registry.dock_ids[0]
    backend.manager.put_dock_state(healthy_dock(dock_id, backend.clock.now_s()))
    stop()
    backend.manager.put_dock_state(healthy_dock(backend.manager.registry.dock_ids[1], backend.clock.now_s()))
    sub.close()
    items = await drain(sub)
    assert items and all(isinstance(e, FleetEvent) and e.dock_id == dock_id for e in items)


async def test_a_cancelled_wait_loses_nothing_and_the_stream_goes_on() -> None:
    """The live route waits with a heartbeat timeout; a timed-out wait must not end the stream."""
    hub = LiveHub()
    sub = hub.subscribe()
    stream = aiter(sub)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(stream), 0.01)
    hub.publish(mission(1))
    item = await asyncio.wait_for(anext(stream), 30.0)  # there already: a guard against a hang
    assert item.id == "M1"  # type: ignore[union-attr]
    sub.close()
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


def dock_event(dock_id: str, n: int) -> FleetEvent:
    return FleetEvent(
        FleetEventKind.DOCK_STATE, float(n), dock_id=dock_id, dock=healthy_dock(dock_id, float(n))
    )


async def test_dock_updates_are_conflated_to_one_per_interval_the_latest_last() -> None:
    sent: list[FleetEvent] = []
    conflate = FleetConflator(sent.append, dock_interval_s=0.2, drone_interval_s=0.05)
    for n in range(10):  # a burst: the first goes at once, the rest wait, the newest replacing
        conflate(dock_event("D01", n))
    conflate(dock_event("D02", 0))  # another dock is not held back by the first
    conflate(FleetEvent(FleetEventKind.AVAILABILITY, 0.0, dock_id="D01"))  # passes at once
    assert [(e.kind, e.dock_id, e.at_s) for e in sent] == [
        (FleetEventKind.DOCK_STATE, "D01", 0.0),
        (FleetEventKind.DOCK_STATE, "D02", 0.0),
        (FleetEventKind.AVAILABILITY, "D01", 0.0),
    ]
    await asyncio.sleep(0.3)
    assert [(e.dock_id, e.at_s) for e in sent[3:]] == [("D01", 9.0)]  # the latest state, once
    conflate(dock_event("D01", 10))  # within the interval since the held one went: held again
    assert len(sent) == 4
    await asyncio.sleep(0.3)
    assert [(e.dock_id, e.at_s) for e in sent[4:]] == [("D01", 10.0)]


async def test_closing_the_conflator_drops_what_it_holds() -> None:
    sent: list[FleetEvent] = []
    conflate = FleetConflator(sent.append, dock_interval_s=0.1)
    conflate(dock_event("D01", 0))
    conflate(dock_event("D01", 1))
    conflate.close()
    await asyncio.sleep(0.2)
    assert [e.at_s for e in sent] == [0.0]
