"""The grid platform's callbacks: signed, validated, idempotent; they move the lead and the incident,
"resolved" asks for a verification revisit, and the verified outcome closes the case."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mission.grid_callbacks import CallbackError, GridCallbacks
from mission.grid_payloads import canonical_json, signature
from mission.lead_settings import GridSettings, LeadSettings
from mission.leads import LeadIntake
from mission.model import AlertType, Incident, IncidentStatus, Lead, LeadStatus, OutboxStatus
from mission.outbox import OutboxWorker
from sim.grid_platform import GridPlatformStandIn, StandInConfig
from tests.unit.mission.fake_store import FakeStore
from tests.unit.mission.grid_helpers import (
    CALLBACK_SECRET,
    LAT,
    LON,
    SECRET,
    LocalServer,
    ManualClock,
    detection,
    event,
    eventually,
)


class Verifier:
    """Records verification requests (the mission planner implements the real one)."""

    def __init__(self) -> None:
        self.requested: list[str] = []

    async def request_verification(self, lead: Lead) -> str | None:
        self.requested.append(lead.id)
        return f"verify-{len(self.requested)}"


async def delivered_lead(store: FakeStore, clock: ManualClock, label: str = "fire") -> Lead:
    incident = Incident(type=AlertType.FIRE_SMOKE, lon_deg=LON, lat_deg=LAT, priority=1)
    await store.add_incident(incident)
    (lead,) = await LeadIntake(store, LeadSettings(), clock=clock).ingest(
        "D1", event(detection(label=label, confidence=0.9), jpeg=b"BEFORE"), incident_id=incident.id
    )
    stored = await store.get_lead(lead.id)
    if stored.status is LeadStatus.APPROVED:
        stored.status = LeadStatus.DELIVERED
        await store.update_lead(stored)
    return stored


def signed(
    body: dict[str, Any], secret: str = CALLBACK_SECRET, ts: float | None = None
) -> tuple[bytes, dict[str, str]]:
    raw = canonical_json(body)
    stamp = str(int(time.time() if ts is None else ts))
    return raw, {"X-Skyloop-Timestamp": stamp, "x-skyloop-signature": signature(secret, stamp, raw)}


def callbacks(store: FakeStore, clock: ManualClock, verifier: Verifier) -> GridCallbacks:
    return GridCallbacks(store, GridSettings(callback_secret=CALLBACK_SECRET), verifier, clock=clock)


def cb(lead: Lead, kind: str, event_id: str | None = None) -> dict[str, Any]:
    return {"event_id": event_id or f"{kind}-1", "type": kind, "lead_id": lead.id, "case_id": "C-1"}


async def test_callbacks_move_the_lead_and_incident_forward_idempotently() -> None:
    store, clock, verifier = FakeStore(), ManualClock(), Verifier()
    lead = await delivered_lead(store, clock)
    handler = callbacks(store, clock, verifier)
    first = await handler.handle(*signed(cb(lead, "accepted")))
    assert first.changed and first.status is LeadStatus.ACCEPTED
    assert store.leads[lead.id].platform_case_id == "C-1"
    assert store.incidents[lead.incident_id or ""].status is IncidentStatus.REPORTED
    repeat = await handler.handle(*signed(cb(lead, "accepted")))
    assert not repeat.changed
    await handler.handle(*signed(cb(lead, "dispatched")))
    late = await handler.handle(*signed(cb(lead, "accepted", "accepted-late")))  # out of order
    assert not late.changed and store.leads[lead.id].status is LeadStatus.DISPATCHED
    assert [e["type"] for e in store.leads[lead.id].details["platform_events"]] == ["accepted", "dispatched"]
    assert verifier.requested == []
    await handler.handle(*signed(cb(lead, "resolved")))
    assert store.leads[lead.id].status is LeadStatus.RESOLVED
    assert store.incidents[lead.incident_id or ""].status is IncidentStatus.RESOLVED
    assert verifier.requested == [lead.id]
    assert store.leads[lead.id].details["verification_mission_id"] == "verify-1"
    await handler.handle(*signed(cb(lead, "resolved", "resolved-again")))
    assert verifier.requested == [lead.id]  # one revisit, not two


@pytest.mark.parametrize(
    ("mangle", "status", "reason"),
    [
        (lambda raw, h: (raw, h | {"x-skyloop-signature": "sha256=" + "0" * 64}), 401, "signature"),
        (lambda raw, h: (raw + b" ", h), 401, "signature"),  # body changed after signing
        (lambda raw, h: (raw, {k: v for k, v in h.items() if k != "X-Skyloop-Timestamp"}), 401, "signature"),
        (lambda raw, h: signed(json.loads(raw), ts=time.time() - 3600), 401, "stale"),
        (lambda raw, h: signed(json.loads(raw), secret="guess"), 401, "signature"),
        (lambda raw, h: signed(json.loads(raw) | {"type": "eaten"}), 422, "type"),
        (lambda raw, h: signed({"event_id": "e", "type": "accepted"}), 422, "lead_id"),
        (lambda raw, h: signed(json.loads(raw) | {"lead_id": "nope"}), 404, "no lead"),
    ],
)
async def test_bad_callbacks_are_refused_and_change_nothing(mangle: Any, status: int, reason: str) -> None:
    store, clock, verifier = FakeStore(), ManualClock(), Verifier()
    lead = await delivered_lead(store, clock)
    raw, headers = mangle(*signed(cb(lead, "accepted")))
    with pytest.raises(CallbackError, match=reason) as info:
        await callbacks(store, clock, verifier).handle(raw, headers)
    assert info.value.status_code == status
    assert store.leads[lead.id].status is LeadStatus.DELIVERED


async def test_a_callback_for_a_lead_never_sent_is_a_conflict() -> None:
    store, clock, verifier = FakeStore(), ManualClock(), Verifier()
    lead = await delivered_lead(store, clock, label="person")  # waits for review
    with pytest.raises(CallbackError, match="never sent") as info:
        await callbacks(store, clock, verifier).handle(*signed(cb(lead, "accepted")))
    assert info.value.status_code == 409


async def test_no_callback_secret_refuses_every_callback() -> None:
    store, clock = FakeStore(), ManualClock()
    lead = await delivered_lead(store, clock)
    handler = GridCallbacks(store, GridSettings(), Verifier(), clock=clock)
    with pytest.raises(CallbackError, match="no callback_secret") as info:
        await handler.handle(*signed(cb(lead, "accepted")))
    assert info.value.status_code == 401


async def test_a_failed_verification_reopens_and_the_next_resolved_asks_again() -> None:
    store, clock, verifier = FakeStore(), ManualClock(), Verifier()
    lead = await delivered_lead(store, clock)
    handler = callbacks(store, clock, verifier)
    await handler.handle(*signed(cb(lead, "resolved")))
    reopened = await handler.verified(lead.id, b"STILL BURNING", cleared=False)
    assert reopened.status is LeadStatus.DISPATCHED
    assert store.incidents[lead.incident_id or ""].status is IncidentStatus.RESOLVED  # not closed
    told = [m for m in store.messages.values() if m.topic == "lead.verified"]
    assert len(told) == 1 and told[0].payload["verification"]["cleared"] is False
    await handler.handle(*signed(cb(lead, "resolved", "resolved-2")))
    assert verifier.requested == [lead.id, lead.id]
    await handler.verified(lead.id, b"ASHES", cleared=True)
    assert store.leads[lead.id].status is LeadStatus.CLOSED
    assert len({m.idempotency_key for m in store.messages.values() if m.topic == "lead.verified"}) == 2


async def test_pending_verifications_are_asked_again_after_a_restart() -> None:
    store, clock = FakeStore(), ManualClock()
    lead = await delivered_lead(store, clock)

    class NobodyFree(Verifier):
        async def request_verification(self, lead: Lead) -> str | None:
            self.requested.append(lead.id)
            return None

    await callbacks(store, clock, NobodyFree()).handle(*signed(cb(lead, "resolved")))
    assert "verification_mission_id" not in store.leads[lead.id].details
    later = Verifier()
    assert await callbacks(store, clock, later).pending_verifications() == 1
    assert later.requested == [lead.id]
    assert await callbacks(store, clock, later).pending_verifications() == 0


def callback_app(box: list[GridCallbacks]) -> FastAPI:
    """What the API's callback route does (the API helper owns the real one); the handler is put in
    ``box`` once the server's URL is known."""
    app = FastAPI()

    @app.post("/api/v1/grid/callbacks")
    async def receive(request: Request) -> JSONResponse:
        try:
            result = await box[0].handle(await request.body(), request.headers)
        except CallbackError as exc:
            return JSONResponse({"detail": exc.reason}, status_code=exc.status_code)
        return JSONResponse({"lead_id": result.lead_id, "status": result.status, "changed": result.changed})

    return app


async def test_round_trip_with_the_stand_in_from_lead_to_closed_case() -> None:
    store, clock, verifier = FakeStore(), ManualClock(), Verifier()
    incident = Incident(type=AlertType.FIRE_SMOKE, lon_deg=LON, lat_deg=LAT, priority=1)
    await store.add_incident(incident)
    handler_box: list[GridCallbacks] = []
    async with LocalServer(callback_app(handler_box)) as receiver:
        settings = GridSettings(
            secret=SECRET,
            callback_secret=CALLBACK_SECRET,
            callback_url=receiver.url("/api/v1/grid/callbacks"),
        )
        handler_box.append(GridCallbacks(store, settings, verifier, clock=clock))
        config = StandInConfig(
            secret=SECRET,
            callback_secret=CALLBACK_SECRET,
            fail_first=2,
            callback_delays_s={"accepted": 0.0, "dispatched": 0.0, "resolved": 0.0},
        )
        async with GridPlatformStandIn(config) as platform, httpx.AsyncClient() as client:
            settings = settings.model_copy(update={"webhook_url": platform.webhook_url, "jitter": 0.0})
            intake = LeadIntake(store, LeadSettings(grid=settings), clock=clock)
            (lead,) = await intake.ingest("D1", event(detection(), jpeg=b"BEFORE"), incident_id=incident.id)
            worker = OutboxWorker(store, settings, client, clock=clock)
            for _ in range(3):  # two 503s, then delivered
                await worker.deliver_due()
                clock.advance(600)
            await eventually(lambda: len(platform.callbacks_sent) == 3)  # answered: applied
            assert store.leads[lead.id].status is LeadStatus.RESOLVED
            assert verifier.requested == [lead.id]
            # the verification drone came back: the scene is clear
            await handler_box[0].verified(lead.id, b"AFTER", cleared=True)
            await worker.deliver_due()
    assert len(platform.leads()) == 1 and platform.failed == 2
    assert [c["type"] for c in platform.callbacks_sent] == ["accepted", "dispatched", "resolved"]
    assert all(c["status_code"] == 200 for c in platform.callbacks_sent)
    assert store.leads[lead.id].status is LeadStatus.CLOSED
    assert store.incidents[incident.id].status is IncidentStatus.CLOSED
    (verified,) = [r for r in platform.received if r.topic == "lead.verified"]
    v = verified.payload["verification"]
    assert v["cleared"] is True and v["before"]["base64"] and v["after"]["base64"]
    assert all(m.status is OutboxStatus.DELIVERED for m in store.messages.values())


async def test_callbacks_signed_with_the_wrong_secret_are_rejected_over_http() -> None:
    store, clock, verifier = FakeStore(), ManualClock(), Verifier()
    handler_box: list[GridCallbacks] = []
    async with LocalServer(callback_app(handler_box)) as receiver:
        settings = GridSettings(
            secret=SECRET,
            callback_secret=CALLBACK_SECRET,
            callback_url=receiver.url("/api/v1/grid/callbacks"),
        )
        handler_box.append(GridCallbacks(store, settings, verifier, clock=clock))
        config = StandInConfig(
            secret=SECRET, callback_secret="an impostor", callback_delays_s={"accepted": 0.0, "resolved": 0.0}
        )
        async with GridPlatformStandIn(config) as platform, httpx.AsyncClient() as client:
            settings = settings.model_copy(update={"webhook_url": platform.webhook_url})
            intake = LeadIntake(store, LeadSettings(grid=settings), clock=clock)
            (lead,) = await intake.ingest("D1", event(detection()))
            await OutboxWorker(store, settings, client, clock=clock).deliver_due()
            await eventually(lambda: len(platform.callbacks_sent) == 2)
    assert [c["status_code"] for c in platform.callbacks_sent] == [401, 401]
    assert store.leads[lead.id].status is LeadStatus.DELIVERED and verifier.requested == []


async def test_a_verifier_that_fails_leaves_the_request_for_later() -> None:
    store, clock = FakeStore(), ManualClock()
    lead = await delivered_lead(store, clock)

    class Broken(Verifier):
        async def request_verification(self, lead: Lead) -> str | None:
            raise RuntimeError("planner not running")

    result = await callbacks(store, clock, Broken()).handle(*signed(cb(lead, "resolved")))
    assert result.changed and store.leads[lead.id].status is LeadStatus.RESOLVED
    later = Verifier()
    assert await callbacks(store, clock, later).pending_verifications() == 1 and later.requested == [lead.id]
