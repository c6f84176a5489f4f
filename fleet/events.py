"""Fan-out of fleet change events to any number of subscribers.

Two ways to listen: ``async for event in hub.subscribe()`` (each subscriber has its own bounded queue;
when a slow subscriber's queue is full the oldest event is dropped and counted, so the manager never
blocks) or a plain callback (called synchronously; an exception is logged, never propagated).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from types import TracebackType

from fleet.model import FleetEvent

log = logging.getLogger(__name__)

Listener = Callable[[FleetEvent], None]


class FleetSubscription:
    """One subscriber's queue; iterate it, and close it (or use ``async with``) when done."""

    def __init__(self, hub: EventHub, maxsize: int) -> None:
        self._hub = hub
        self._queue: asyncio.Queue[FleetEvent | None] = asyncio.Queue(maxsize)
        self._closed = False
        #: Events dropped because this subscriber fell behind.
        self.dropped = 0

    def offer(self, event: FleetEvent | None) -> None:
        """Queue an event (``None`` ends the iteration), dropping the oldest one when full."""
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(event)

    def pending(self) -> int:
        return self._queue.qsize()

    def get_nowait(self) -> FleetEvent | None:
        """The next queued event, or None when there is none (for polling consumers and tests)."""
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._hub.remove(self)
            self.offer(None)

    def __aiter__(self) -> FleetSubscription:
        return self

    async def __anext__(self) -> FleetEvent:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event

    async def __aenter__(self) -> FleetSubscription:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class EventHub:
    """Publishes each event to every subscription and listener."""

    def __init__(self, queue_size: int = 1000) -> None:
        self.queue_size = queue_size
        self._subs: list[FleetSubscription] = []
        self._listeners: list[Listener] = []

    def subscribe(self, maxsize: int | None = None) -> FleetSubscription:
        sub = FleetSubscription(self, maxsize or self.queue_size)
        self._subs.append(sub)
        return sub

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` for every event; returns a function that removes it."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def remove(self, sub: FleetSubscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subs) + len(self._listeners)

    def publish(self, event: FleetEvent) -> None:
        for sub in list(self._subs):
            sub.offer(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("fleet event listener %r failed on %s", listener, event.kind)

    def close(self) -> None:
        """End every subscription's iteration."""
        for sub in list(self._subs):
            sub.close()
