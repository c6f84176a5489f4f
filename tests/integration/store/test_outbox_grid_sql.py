"""Leads, the outbox and the grid callbacks on the real store (SQLite and PostgreSQL), against the
stand-in grid platform: a restart in the middle of the retries loses nothing and sends nothing twice."""

from __future__ import annotations

import time

import httpx

from mission.grid_callbacks import GridCallbacks
from mission.grid_payloads import canonical_json, signature
from mission.lead_settings import GridSettings, LeadSettings
from mission.leads import LeadIntake
from mission.model import AlertType, Incident, IncidentStatus, Lead, LeadStatus, OutboxStatus
from mission.outbox import OutboxWorker
from mission.store import SqlMissionStore
from sim.grid_platform import GridPlatformStandIn, StandInConfig
from tests.unit.mission.grid_helpers import CALLBACK_SECRET, LAT, LON, SECRET, ManualClock, detection, event


class Verifier:
    def __init__(self) -> None:
        self.requested: list[str] = []

    async def request_verification(self, lead: Lead) -> str | None:
        self.requested.append(lead.id)
        return "verify-mission"


async def test_a_restart_during_retries_delivers_once_and_the_case_closes(store_url: str) -> None:
    clock = ManualClock()
    config = StandInConfig(secret=SECRET, fail_first=2, callback_delays_s={})
    async with GridPlatformStandIn(config) as platform, httpx.AsyncClient() as client:
        settings = GridSettings(
            webhook_url=platform.webhook_url, secret=SECRET, callback_secret=CALLBACK_SECRET, jitter=0.0
        )
        store = await SqlMissionStore.open(store_url, migrate=False)
        incident = Incident(type=AlertType.FIRE_SMOKE, lon_deg=LON, lat_deg=LAT, priority=1)
        await store.add_incident(incident)
        intake = LeadIntake(store, LeadSettings(grid=settings), clock=clock)
        (lead,) = await intake.ingest("D1", event(detection(), jpeg=b"BEFORE"), incident_id=incident.id)
        await intake.ingest("D2", event(detection(confidence=0.95, lead_id="other"), jpeg=b"BETTER"))
        worker = OutboxWorker(store, settings, client, clock=clock)
        assert await worker.deliver_due() == 1  # the first 503
        await store.close()  # mission control stops between two attempts

        store = await SqlMissionStore.open(store_url, migrate=False)
        (pending,) = await store.list_messages()
        assert (
            pending.status is OutboxStatus.PENDING
            and pending.attempts == 1
            and "503" in (pending.last_error or "")
        )
        again = await LeadIntake(store, LeadSettings(grid=settings), clock=clock).ingest(
            "D3", event(detection(lead_id="third"))
        )
        assert [x.id for x in again] == [lead.id]  # merged into the stored lead, not a new one
        worker = OutboxWorker(store, settings, client, clock=clock)
        for _ in range(5):
            clock.advance(3600)
            await worker.deliver_due()
        (sent,) = await store.list_messages()
        assert sent.status is OutboxStatus.DELIVERED and sent.attempts == 3
        assert len(platform.leads()) == 1 and platform.failed == 2

        stored = await store.get_lead(lead.id)
        assert (
            stored.status is LeadStatus.DELIVERED and stored.platform_case_id == platform.leads()[0].case_id
        )
        assert stored.snapshot_jpeg == b"BETTER" and stored.details["drones"] == ["D1", "D2", "D3"]
        assert (await store.get_incident(incident.id)).status is IncidentStatus.REPORTED

        verifier = Verifier()
        callbacks = GridCallbacks(store, settings, verifier, clock=clock)
        for kind in ("accepted", "dispatched", "resolved"):
            body = canonical_json({"event_id": kind, "type": kind, "lead_id": lead.id})
            ts = str(int(time.time()))
            await callbacks.handle(
                body, {"X-Skyloop-Timestamp": ts, "X-Skyloop-Signature": signature(CALLBACK_SECRET, ts, body)}
            )
        assert verifier.requested == [lead.id]
        await callbacks.verified(lead.id, b"AFTER", cleared=True)
        clock.advance(1)
        await worker.deliver_due()
        assert (await store.get_lead(lead.id)).status is LeadStatus.CLOSED
        assert (await store.get_incident(incident.id)).status is IncidentStatus.CLOSED
        assert {m.topic: m.status for m in await store.list_messages()} == {
            "lead.created": OutboxStatus.DELIVERED,
            "lead.verified": OutboxStatus.DELIVERED,
        }
        await store.close()
    (verified,) = [r for r in platform.received if r.topic == "lead.verified"]
    assert verified.payload["verification"]["cleared"] is True
