"""Relays drones' live-view frames (``docks.protocol.payload.LiveFrame``) from the payload agents to
the browsers watching them.

One stream per drone, started on demand: the first viewer of a drone starts its payload's live view
(``live_view_start``) and a keep-alive task repeats the start every ``keepalive_every_s``; the
last viewer leaving stops it (``live_view_stop``). A viewer asking for the other camera switches
the drone's stream for everybody watching it. Each viewer has a short queue (newest frames win:
a slow browser skips frames, it never holds the others up). No I/O of its own: ``start``/``stop``
are the payload services, :meth:`LiveViewRelay.deliver` is fed by the MQTT subscription.

Figures for ``/metrics`` (totals since start): ``frames_received`` (every frame a payload sent),
``delivered`` (frames queued for viewers), ``frames_skipped`` (dropped for a slow viewer),
``start_failures`` (a payload refused or did not answer a start or keep-alive), and
``streams_active`` (drones streaming now).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from docks.protocol.payload import LiveFrame

log = logging.getLogger(__name__)

StartView = Callable[[str, str], Awaitable[None]]  # (drone id, camera)
StopView = Callable[[str], Awaitable[None]]  # drone id

#: Frames a viewer may fall behind before the oldest is dropped.
VIEWER_QUEUE = 3


class LiveViewError(Exception):
    """The drone's payload refused or did not answer the live-view request."""


@dataclass
class _Stream:
    camera: str
    viewers: set[asyncio.Queue[LiveFrame]] = field(default_factory=set)
    keepalive: asyncio.Task[None] | None = None


class LiveViewRelay:
    """See the module docstring. ``keepalive_every_s`` must be well under the payload's
    ``keepalive_s`` (30 s by default)."""

    def __init__(self, start: StartView, stop: StopView, *, keepalive_every_s: float = 10.0) -> None:
        self._start, self._stop = start, stop
        self.keepalive_every_s = keepalive_every_s
        self._streams: dict[str, _Stream] = {}
        self._lock = asyncio.Lock()
        self.frames_received = 0
        self.delivered = 0
        self.frames_skipped = 0
        self.start_failures = 0

    @property
    def streams_active(self) -> int:
        """Drones whose payload streams now (one or more viewers)."""
        return len(self._streams)

    def watching(self, drone_id: str) -> int:
        """How many viewers the drone has now."""
        stream = self._streams.get(drone_id)
        return 0 if stream is None else len(stream.viewers)

    @contextlib.asynccontextmanager
    async def watch(self, drone_id: str, camera: str = "rgb") -> AsyncIterator[asyncio.Queue[LiveFrame]]:
        """A queue of the drone's frames while the ``async with`` lasts; raises
        :class:`LiveViewError` when the payload cannot start."""
        queue: asyncio.Queue[LiveFrame] = asyncio.Queue(VIEWER_QUEUE)
        async with self._lock:
            stream = self._streams.get(drone_id)
            if stream is None or stream.camera != camera:
                try:
                    await self._start(drone_id, camera)
                except Exception as exc:
                    self.start_failures += 1
                    raise LiveViewError(f"{drone_id}: live view could not start: {exc}") from exc
            if stream is None:
                stream = _Stream(camera)
                stream.keepalive = asyncio.create_task(self._keep_alive(drone_id), name=f"live-{drone_id}")
                self._streams[drone_id] = stream
            stream.camera = camera
            stream.viewers.add(queue)
        try:
            yield queue
        finally:
            await self._leave(drone_id, queue)

    async def _leave(self, drone_id: str, queue: asyncio.Queue[LiveFrame]) -> None:
        async with self._lock:
            stream = self._streams.get(drone_id)
            if stream is None:
                return
            stream.viewers.discard(queue)
            if stream.viewers:
                return
            del self._streams[drone_id]
            if stream.keepalive is not None:
                stream.keepalive.cancel()
            try:
                await self._stop(drone_id)
            except Exception as exc:  # the payload's own keep-alive ends the stream anyway
                log.warning("%s: live view stop failed (%s); it stops by itself", drone_id, exc)

    async def _keep_alive(self, drone_id: str) -> None:
        while True:
            await asyncio.sleep(self.keepalive_every_s)
            stream = self._streams.get(drone_id)
            if stream is None:
                return
            try:
                await self._start(drone_id, stream.camera)
            except Exception as exc:
                self.start_failures += 1
                log.warning("%s: live view keep-alive failed: %s", drone_id, exc)

    def deliver(self, drone_id: str, frame: LiveFrame) -> None:
        """A frame from the drone's payload, to everybody watching it (frames of a camera nobody
        asks for any more, e.g. just after a switch, are dropped)."""
        self.frames_received += 1
        stream = self._streams.get(drone_id)
        if stream is None or frame.camera != stream.camera:
            return
        for queue in stream.viewers:
            if queue.full():
                queue.get_nowait()  # the viewer is slow: the newest frame wins
                self.frames_skipped += 1
            queue.put_nowait(frame)
            self.delivered += 1

    async def close(self) -> None:
        """Stop every stream (mission control shutting down)."""
        for drone_id in list(self._streams):
            stream = self._streams.pop(drone_id)
            if stream.keepalive is not None:
                stream.keepalive.cancel()
            with contextlib.suppress(Exception):
                await self._stop(drone_id)
