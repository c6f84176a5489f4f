"""From the dock network to the lead intake: every ``ai_detection`` event a payload computer sends
(a :class:`docks.ports.DockLink` listener) is queued, attributed to the drone, mission and incident
it belongs to, and ingested in arrival order by :meth:`LeadFeed.run` (a task in mission control's
TaskGroup). A store that fails is retried with backoff: a payload confirms each track once, so an
event dropped here would be a lead lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from docks.ports import DockLink
from docks.protocol import Channel, Message
from docks.protocol.payload import AiDetection
from mission.leads import LeadIntake
from mission.ports import StoreError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attribution:
    """Who saw it: the drone, and the mission and incident it was flying for (None when unknown)."""

    drone_id: str
    mission_id: str | None = None
    incident_id: str | None = None


Attribute = Callable[[str, AiDetection], Attribution]
"""Payload serial + event → attribution (the mission executor knows which drone carries which payload
and what it is flying for)."""


def by_payload_serial(sn: str, event: AiDetection) -> Attribution:
    """The default attribution: the payload's serial names the drone, ``flight_id`` the mission."""
    return Attribution(drone_id=sn, mission_id=event.flight_id)


class LeadFeed:
    """Queues payload detections from the link and feeds them to a :class:`LeadIntake`."""

    def __init__(
        self,
        intake: LeadIntake,
        attribute: Attribute = by_payload_serial,
        *,
        queue_size: int = 10_000,
        retry_s: float = 1.0,
        retry_max_s: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.intake, self.attribute = intake, attribute
        self.retry_s, self.retry_max_s, self.sleep = retry_s, retry_max_s, sleep
        self._queue: asyncio.Queue[tuple[str, AiDetection]] = asyncio.Queue(queue_size)
        self.received = 0
        self.dropped = 0
        self.store_retries = 0
        self.failed = 0

    def attach(self, link: DockLink) -> Callable[[], None]:
        """Listen to ``link``; returns the remover."""
        return link.add_listener(self.on_message)

    def on_message(self, message: Message) -> None:
        """The DockLink listener (synchronous, never blocks): queue ``ai_detection`` events."""
        if message.channel is not Channel.EVENTS or message.method != "ai_detection":
            return
        if not isinstance(message.body, AiDetection):
            return
        try:
            self._queue.put_nowait((message.sn, message.body))
            self.received += 1
        except asyncio.QueueFull:
            self.dropped += 1
            log.error(
                "lead feed full (%d queued): ai_detection from %s dropped", self._queue.qsize(), message.sn
            )

    def pending(self) -> int:
        return self._queue.qsize()

    async def run(self) -> None:
        """Ingest queued events forever (cancel to stop)."""
        while True:
            sn, event = await self._queue.get()
            await self._ingest(sn, event)
            self._queue.task_done()

    async def drain(self) -> None:
        """Ingest everything queued now (for tests and shutdown)."""
        while not self._queue.empty():
            sn, event = self._queue.get_nowait()
            await self._ingest(sn, event)
            self._queue.task_done()

    async def _ingest(self, sn: str, event: AiDetection) -> None:
        delay_s = self.retry_s
        while True:
            try:
                who = self.attribute(sn, event)
                await self.intake.ingest(who.drone_id, event, who.mission_id, who.incident_id)
                return
            except StoreError as exc:
                self.store_retries += 1
                log.warning("lead feed: store failed (%s); retrying in %.0f s", exc, delay_s)
                await self.sleep(delay_s)
                delay_s = min(delay_s * 2.0, self.retry_max_s)
            except Exception:  # a bug on one event must not stop the feed
                self.failed += 1
                log.exception("lead feed: ai_detection from %s could not be ingested; skipped", sn)
                return
