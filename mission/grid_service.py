"""The leads side of mission control in one object, for the composition root: the lead intake, the
feed from the dock link, the outbox worker and the grid callbacks, built from ``[leads]`` settings
and started in mission control's TaskGroup (docs/grid.md)::

    grid = GridService(store, settings.leads, verifier, http_client)
    async with asyncio.TaskGroup() as tg:
        await grid.start(tg, dock_link)
        ...  # the API routes callbacks to grid.callbacks.handle, reviews to grid.intake
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

import httpx

from docks.ports import DockLink
from mission.grid_callbacks import GridCallbacks, VerificationRequester
from mission.lead_feed import Attribute, LeadFeed, by_payload_serial
from mission.lead_settings import LeadSettings
from mission.leads import LeadIntake
from mission.model import utc_now
from mission.outbox import OutboxWorker
from mission.ports import MissionStore

log = logging.getLogger(__name__)


class GridService:
    """Intake, feed, outbox and callbacks over one store; ``start`` runs the two background tasks."""

    def __init__(
        self,
        store: MissionStore,
        settings: LeadSettings,
        verifier: VerificationRequester,
        client: httpx.AsyncClient,
        *,
        attribute: Attribute = by_payload_serial,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.intake = LeadIntake(store, settings, clock=clock)
        self.feed = LeadFeed(self.intake, attribute)
        self.outbox = OutboxWorker(store, settings.grid, client, clock=clock)
        self.callbacks = GridCallbacks(store, settings.grid, verifier, clock=clock)
        self._detach: Callable[[], None] | None = None

    async def start(self, tg: asyncio.TaskGroup, link: DockLink | None = None) -> None:
        """Read open leads back, ask again for verifications left pending, listen to ``link`` and
        start the feed and the outbox in ``tg`` (they stop when it is cancelled)."""
        await self.intake.load()
        asked = await self.callbacks.pending_verifications()
        if asked:
            log.info("asked again for %d verification revisit(s)", asked)
        if link is not None:
            self._detach = self.feed.attach(link)
        tg.create_task(self.feed.run(), name="lead-feed")
        tg.create_task(self.outbox.run(), name="grid-outbox")
        where = self.settings.grid.webhook_url or "nowhere (no webhook_url: stored and queued only)"
        log.info("leads go to %s", where)

    def stop_listening(self) -> None:
        if self._detach is not None:
            self._detach()
            self._detach = None

    def counters(self) -> dict[str, int]:
        """For /metrics: what the feed and the outbox have done since start."""
        return {
            "lead_events_received": self.feed.received,
            "lead_events_dropped": self.feed.dropped,
            "lead_events_failed": self.feed.failed,
            "grid_delivered": self.outbox.delivered,
            "grid_retried": self.outbox.retried,
            "grid_dead": self.outbox.dead,
            "grid_outbox_errors": self.outbox.errors,
        }
