"""Fan-out of live items (fleet events and mission-control objects) to the console's WebSocket
clients: the composition root gives the hub every change (``publish``) and attaches it to the fleet
manager (``follow_fleet``); each client subscribes with a bounded queue. A client that falls behind
loses its oldest items (counted), and publishing never blocks. Everything runs on the event loop's
thread.

Fleet state events are conflated (:class:`FleetConflator`): at most one update per dock per second
and per drone per quarter second reaches the clients, the latest one always. A real dock sends its
OSD every 2 s, but a sped-up sim (x20: 16 docks, 160 OSDs per wall second, each with a new gust)
would otherwise flood every console with messages it cannot draw."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from fleet.manager import FleetManager
from fleet.model import FleetEvent, FleetEventKind
from mission.api.backend import LiveItem

#: The least wall time between two live updates of one dock, and of one drone.
DOCK_MIN_INTERVAL_S = 1.0
DRONE_MIN_INTERVAL_S = 0.25


class LiveQueue:
    """One subscriber; iterate it, ``close()`` it when done."""

    def __init__(self, hub: LiveHub, maxsize: int) -> None:
        self._hub = hub
        self._queue: asyncio.Queue[LiveItem | None] = asyncio.Queue(maxsize)
        self._closed = False
        #: Items dropped because this subscriber fell behind.
        self.dropped = 0

    def offer(self, item: LiveItem | None) -> None:
        """Queue an item (None ends the iteration), dropping the oldest when full."""
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(item)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._hub.discard(self)
            self.offer(None)

    def __aiter__(self) -> LiveQueue:
        return self

    async def __anext__(self) -> LiveItem:
        """The next item. Safe to cancel (``asyncio.wait_for`` for heartbeats): a cancelled wait
        loses nothing and the iteration goes on, unlike an async generator, which a cancellation
        would finish."""
        item = await self._queue.get()
        if item is None:
            self._queue.put_nowait(None)  # stay finished for later calls
            raise StopAsyncIteration
        return item


class LiveHub:
    """See the module docstring."""

    def __init__(self) -> None:
        self._subs: set[LiveQueue] = set()

    def subscribe(self, maxsize: int = 1000) -> LiveQueue:
        sub = LiveQueue(self, maxsize)
        self._subs.add(sub)
        return sub

    def discard(self, sub: LiveQueue) -> None:
        self._subs.discard(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subs)

    def publish(self, item: LiveItem) -> None:
        for sub in list(self._subs):
            sub.offer(item)

    def follow_fleet(self, manager: FleetManager) -> Callable[[], None]:
        """Publish the fleet's events (state updates conflated); returns the function that stops it."""
        conflator = FleetConflator(self.publish)
        remove = manager.add_listener(conflator)

        def stop() -> None:
            remove()
            conflator.close()

        return stop

    def close(self) -> None:
        """End every subscription (at shutdown: clients get close code 1001)."""
        for sub in list(self._subs):
            sub.close()


class FleetConflator:
    """Forwards fleet events to ``publish``, at most one state event per dock (``dock_interval_s``)
    or drone (``drone_interval_s``) per interval of wall time. An update that comes too soon is
    held; a newer one replaces it, and the one held is sent when the interval ends, so the last
    state always arrives. Availability events (and any other kind) pass at once."""

    def __init__(
        self,
        publish: Callable[[LiveItem], None],
        dock_interval_s: float = DOCK_MIN_INTERVAL_S,
        drone_interval_s: float = DRONE_MIN_INTERVAL_S,
    ) -> None:
        self._publish = publish
        self._intervals = {
            FleetEventKind.DOCK_STATE: dock_interval_s,
            FleetEventKind.DRONE_STATE: drone_interval_s,
        }
        self._sent_at: dict[tuple[FleetEventKind, str], float] = {}
        self._held: dict[tuple[FleetEventKind, str], FleetEvent] = {}
        self._timers: dict[tuple[FleetEventKind, str], asyncio.TimerHandle] = {}

    def __call__(self, event: FleetEvent) -> None:
        interval = self._intervals.get(event.kind)
        ident = event.dock_id if event.kind is FleetEventKind.DOCK_STATE else event.drone_id
        if interval is None or ident is None:
            self._publish(event)
            return
        key = (event.kind, ident)
        if key in self._held:
            self._held[key] = event
            return
        wait_s = self._sent_at.get(key, -interval) + interval - time.monotonic()
        if wait_s <= 0:
            self._send(key, event)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop to wait on (a synchronous caller): nothing to hold it for
            self._send(key, event)
            return
        self._held[key] = event
        self._timers[key] = loop.call_later(wait_s, self._flush, key)

    def close(self) -> None:
        """Drop what is held and stop the timers."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._held.clear()

    def _flush(self, key: tuple[FleetEventKind, str]) -> None:
        self._timers.pop(key, None)
        event = self._held.pop(key, None)
        if event is not None:
            self._send(key, event)

    def _send(self, key: tuple[FleetEventKind, str], event: FleetEvent) -> None:
        self._sent_at[key] = time.monotonic()
        self._publish(event)
