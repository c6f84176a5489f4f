"""Fan-out of live items (fleet events and mission-control objects) to the console's WebSocket
clients: the composition root gives the hub every change (``publish``) and attaches it to the fleet
manager (``follow_fleet``); each client subscribes with a bounded queue. A client that falls behind
loses its oldest items (counted), and publishing never blocks. Everything runs on the event loop's
thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fleet.manager import FleetManager
from mission.api.backend import LiveItem


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
        """Publish every fleet event; returns the function that stops it."""
        return manager.add_listener(self.publish)

    def close(self) -> None:
        """End every subscription (at shutdown: clients get close code 1001)."""
        for sub in list(self._subs):
            sub.close()
