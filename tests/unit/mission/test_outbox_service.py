"""The leads side wired as the composition root will wire it: a payload's ai_detection on the dock
link becomes a lead, reaches the stand-in grid platform exactly once although it fails its first two
deliveries, and the platform's callbacks bring it to "resolved" and ask for a verification revisit."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from docks.ports import DockLink, Listener
from docks.presence import Presence
from docks.protocol import Channel, Envelope, Message
from mission.grid_callbacks import CallbackError
from mission.grid_service import GridService
from mission.lead_settings import GridSettings, LeadSettings
from mission.model import Lead, LeadStatus
from sim.grid_platform import GridPlatformStandIn, StandInConfig
from tests.unit.mission.fake_store import FakeStore
from tests.unit.mission.grid_helpers import CALLBACK_SECRET, SECRET, LocalServer, detection, event, eventually


class ListenOnlyLink:
    """A DockLink whose devices only send (this test is not about commands)."""

    def __init__(self) -> None:
        self.listeners: list[Listener] = []

    async def call(
        self,
        sn: str,
        method: str,
        data: BaseModel | dict[str, Any] | None = None,
        *,
        bid: str | None = None,
        timeout_s: float | None = None,
    ) -> Message:
        raise NotImplementedError("no commands in this test")

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def presence(self, sn: str) -> Presence:
        raise NotImplementedError

    @property
    def connected(self) -> bool:
        return True

    def publish(self, message: Message) -> None:
        for listener in list(self.listeners):
            listener(message)


class Verifier:
    def __init__(self) -> None:
        self.requested: list[str] = []

    async def request_verification(self, lead: Lead) -> str | None:
        self.requested.append(lead.id)
        return "verify-1"


async def test_from_a_payload_event_to_a_resolved_case_through_the_stand_in() -> None:
    store, verifier, link = FakeStore(), Verifier(), ListenOnlyLink()
    _: DockLink = link  # honours the Protocol
    box: list[GridService] = []
    app = FastAPI()

    @app.post("/api/v1/grid/callbacks")
    async def callbacks(request: Request) -> JSONResponse:
        try:
            result = await box[0].callbacks.handle(await request.body(), request.headers)
        except CallbackError as exc:
            return JSONResponse({"detail": exc.reason}, status_code=exc.status_code)
        return JSONResponse({"status": result.status, "changed": result.changed})

    stand_in = StandInConfig(
        secret=SECRET,
        callback_secret=CALLBACK_SECRET,
        fail_first=2,
        callback_delays_s={"accepted": 0.0, "dispatched": 0.0, "resolved": 0.0},
    )
    async with (
        LocalServer(app) as receiver,
        GridPlatformStandIn(stand_in) as platform,
        httpx.AsyncClient() as client,
    ):
        grid = GridSettings(
            webhook_url=platform.webhook_url,
            secret=SECRET,
            callback_secret=CALLBACK_SECRET,
            callback_url=receiver.url("/api/v1/grid/callbacks"),
            backoff_base_s=0.01,
            poll_s=0.01,
        )
        service = GridService(store, LeadSettings(grid=grid), verifier, client)
        box.append(service)
        started = asyncio.Event()

        async def mission_control() -> None:
            async with asyncio.TaskGroup() as tg:
                await service.start(tg, link)
                started.set()

        runner = asyncio.create_task(mission_control())
        await started.wait()
        envelope = Envelope(gateway="PAYLOAD01", method="ai_detection")
        ev = event(detection(confidence=0.92))
        link.publish(Message(channel=Channel.EVENTS, sn="PAYLOAD01", envelope=envelope, body=ev))
        await eventually(lambda: len(platform.callbacks_sent) == 3)
        service.stop_listening()
        runner.cancel()  # shutdown: the TaskGroup cancels the feed and the outbox and waits for them
        with contextlib.suppress(asyncio.CancelledError):
            await runner
    (lead,) = store.leads.values()
    assert lead.status is LeadStatus.RESOLVED and verifier.requested == [lead.id]
    assert len(platform.leads()) == 1 and platform.failed == 2
    counters = service.counters()
    assert (
        counters["grid_delivered"] == 1
        and counters["grid_retried"] == 2
        and counters["lead_events_received"] == 1
    )
    assert link.listeners == []
