"""Telemetry fan-out and the link watchdog, driven by a fake clock (no MAVSDK, no sleeping)."""

from __future__ import annotations

import asyncio

from fleet.drone_model import Battery, DroneTelemetry, LinkEvent, LinkState
from fleet.telemetry_hub import TelemetryHub


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


def drain(sub) -> list:
    items = []
    while not sub._queue.empty():
        items.append(sub._queue.get_nowait())
    return items


async def test_every_subscriber_gets_every_update_once() -> None:
    hub = TelemetryHub("d1", link_loss_s=3.0, clock=FakeClock())
    a, b = hub.subscribe(), hub.subscribe()
    hub.update(battery=Battery(80.0, 15.5))
    hub.update(armed=True)
    for sub in (a, b):
        snaps = [u for u in drain(sub) if isinstance(u, DroneTelemetry)]
        assert [s.armed for s in snaps] == [None, True]
        assert snaps[-1].battery == Battery(80.0, 15.5)
    assert hub.snapshot().messages == 2


async def test_watchdog_reports_offline_after_silence_and_online_when_telemetry_resumes() -> None:
    clock = FakeClock()
    hub = TelemetryHub("d1", link_loss_s=3.0, clock=clock)
    sub = hub.subscribe()
    hub.set_connected(True)
    hub.update(armed=False)
    clock.now_s += 2.9
    hub.check()
    assert hub.state is LinkState.ONLINE
    clock.now_s += 0.2
    hub.check()
    assert hub.state is LinkState.OFFLINE
    clock.now_s += 10
    hub.update(armed=False)
    assert hub.state is LinkState.ONLINE
    events = [u for u in drain(sub) if isinstance(u, LinkEvent)]
    assert [(e.previous, e.state) for e in events] == [
        (LinkState.CONNECTING, LinkState.ONLINE),
        (LinkState.ONLINE, LinkState.OFFLINE),
        (LinkState.OFFLINE, LinkState.ONLINE),
    ]
    assert "no telemetry" in events[1].reason


async def test_autopilot_disconnect_is_reported_at_once() -> None:
    hub = TelemetryHub("d1", link_loss_s=30.0, clock=FakeClock())
    hub.set_connected(True)
    hub.set_connected(False)
    assert hub.state is LinkState.OFFLINE
    hub.update(armed=False)  # a late message without a heartbeat does not bring it back
    assert hub.state is LinkState.OFFLINE
    hub.set_connected(True)
    assert hub.state is LinkState.ONLINE


async def test_a_slow_subscriber_loses_its_oldest_updates_only() -> None:
    hub = TelemetryHub("d1", link_loss_s=3.0, queue_size=8, clock=FakeClock())
    slow, fast = hub.subscribe(), hub.subscribe()
    received = []
    for i in range(20):
        hub.update(battery=Battery(float(i), 15.0))
        received.extend(drain(fast))
    kept = drain(slow)
    assert len(kept) == 8 and slow.dropped == 12
    assert [s.battery.remaining_pct for s in kept] == [float(i) for i in range(12, 20)]
    assert len(received) == 20


async def test_close_ends_every_subscription() -> None:
    hub = TelemetryHub("d1", link_loss_s=3.0, clock=FakeClock())
    sub = hub.subscribe()

    async def consume() -> list:
        return [u async for u in sub]

    task = asyncio.create_task(consume())
    hub.update(armed=True)
    hub.close()
    updates = await asyncio.wait_for(task, 30.0)  # a guard against a hang, not a timing check
    assert isinstance(updates[-1], DroneTelemetry) and updates[-1].link is LinkState.CLOSED
    assert hub.subscriber_count == 0
    assert [u async for u in hub.subscribe()] == []


async def test_polling_the_autopilot_state_does_not_undo_the_silence_watchdog() -> None:
    clock = FakeClock()
    hub = TelemetryHub("d1", link_loss_s=1.0, clock=clock)
    hub.set_connected(True)
    clock.now_s += 1.5
    hub.check()
    assert hub.state is LinkState.OFFLINE
    hub.set_connected(True)  # MAVSDK still says connected (its own timeout is longer)
    assert hub.state is LinkState.OFFLINE
    hub.set_connected(False)
    hub.set_connected(True)  # a new heartbeat after MAVSDK's timeout: back online
    assert hub.state is LinkState.ONLINE
