"""One drone's telemetry, received once and fanned out to any number of subscribers, plus the link
watchdog (no message for ``link_loss_s`` -> OFFLINE, next message -> ONLINE).

Pure asyncio, no MAVSDK: the adapter feeds it from the event loop thread. A slow subscriber loses its
oldest buffered updates, never blocks the hub or the other subscribers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fleet.drone_model import DroneTelemetry, DroneUpdate, LinkEvent, LinkState

log = logging.getLogger(__name__)

_END = object()


class Subscription:
    """An async iterator of :data:`DroneUpdate`; ends when the hub closes or :meth:`close` is called."""

    def __init__(self, hub: TelemetryHub, maxsize: int) -> None:
        self._hub = hub
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize)
        self.dropped = 0

    def _put(self, item: Any) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(item)

    def close(self) -> None:
        self._hub._subscribers.discard(self)
        self._put(_END)

    def __aiter__(self) -> AsyncIterator[DroneUpdate]:
        return self

    async def __anext__(self) -> DroneUpdate:
        item = await self._queue.get()
        if item is _END:
            self._hub._subscribers.discard(self)
            raise StopAsyncIteration
        update: DroneUpdate = item
        return update


class TelemetryHub:
    """Latest snapshot and link state of one drone; publishes every change to its subscribers."""

    def __init__(
        self,
        drone_id: str,
        link_loss_s: float,
        queue_size: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.drone_id = drone_id
        self.link_loss_s = link_loss_s
        self._queue_size = queue_size
        self._clock = clock
        self._snapshot = DroneTelemetry(drone_id)
        self._subscribers: set[Subscription] = set()
        self._autopilot_connected = False
        self._closed = False
        self._state_changed = asyncio.Event()

    @property
    def state(self) -> LinkState:
        return self._snapshot.link

    def snapshot(self) -> DroneTelemetry:
        return self._snapshot

    def subscribe(self) -> Subscription:
        sub = Subscription(self, self._queue_size)
        if self._closed:
            sub._put(_END)
        else:
            self._subscribers.add(sub)
        return sub

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    # -- inputs -----------------------------------------------------------------------------------

    def update(self, **fields: Any) -> None:
        """A telemetry message arrived: merge its fields into the snapshot and publish it."""
        if self._closed:
            return
        now = self._clock()
        snap = dataclasses.replace(
            self._snapshot, last_message_s=now, messages=self._snapshot.messages + 1, **fields
        )
        self._snapshot = snap
        if snap.link is not LinkState.ONLINE and self._autopilot_connected:
            self._set_state(LinkState.ONLINE, "telemetry resumed")
        self._publish(self._snapshot)

    def set_connected(self, connected: bool) -> None:
        """MAVSDK's own view (callback or poll): connected on a heartbeat, disconnected after its
        heartbeat timeout. Only a change counts, so polling it does not undo the silence watchdog."""
        if self._closed:
            return
        was = self._autopilot_connected
        self._autopilot_connected = connected
        if connected and not was and self.state is not LinkState.ONLINE:
            self._snapshot = dataclasses.replace(self._snapshot, last_message_s=self._clock())
            self._set_state(LinkState.ONLINE, "heartbeat received")
        elif not connected and self.state is LinkState.ONLINE:
            self._set_state(LinkState.OFFLINE, "autopilot heartbeat timed out")

    def check(self) -> None:
        """Watchdog tick: report the drone OFFLINE after ``link_loss_s`` without any message."""
        last = self._snapshot.last_message_s
        if self.state is LinkState.ONLINE and last is not None and self._clock() - last > self.link_loss_s:
            self._set_state(LinkState.OFFLINE, f"no telemetry for {self.link_loss_s:g} s")

    def close(self) -> None:
        if self._closed:
            return
        self._set_state(LinkState.CLOSED, "link closed")
        self._closed = True
        for sub in list(self._subscribers):
            sub.close()

    async def wait_state_change(self) -> None:
        """Return at the next link state change (used by ``connect``)."""
        self._state_changed.clear()
        await self._state_changed.wait()

    # -- internals --------------------------------------------------------------------------------

    def _set_state(self, state: LinkState, reason: str) -> None:
        previous = self.state
        if state is previous:
            return
        self._snapshot = dataclasses.replace(self._snapshot, link=state)
        event = LinkEvent(self.drone_id, state, previous, reason, self._clock())
        level = logging.WARNING if state is LinkState.OFFLINE else logging.INFO
        log.log(level, "drone %s: link %s -> %s (%s)", self.drone_id, previous, state, reason)
        self._state_changed.set()
        self._publish(event)
        self._publish(self._snapshot)

    def _publish(self, update: DroneUpdate) -> None:
        for sub in list(self._subscribers):
            sub._put(update)
