"""The grid side of the console over the real services: the platform's signed callbacks move a lead
and its incident on (no bearer token; a wrong signature, an unknown lead, a too-large body are
refused with their status), "resolved" asks for a verification revisit; a dispatcher's lead review
queues the lead for the platform; a dead outbox message is retried."""

from __future__ import annotations

import json
import time
from typing import Any

from mission.grid_payloads import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from mission.model import (
    AlertType,
    Incident,
    IncidentStatus,
    Lead,
    LeadStatus,
    OutboxMessage,
    OutboxStatus,
)
from tests.integration.console.console_stack import CALLBACK_SECRET, ConsoleStack, console_stack
from tests.unit.mission.alert_helpers import centre_wgs84


def signed(body: dict[str, Any], secret: str = CALLBACK_SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    ts = str(int(time.time()))
    headers = {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: signature(secret, ts, raw)}
    return raw, {**headers, "Content-Type": "application/json"}


async def stored_lead(s: ConsoleStack, status: LeadStatus) -> tuple[Lead, Incident]:
    lon, lat = centre_wgs84()
    incident = Incident(AlertType.FIRE_SMOKE, lon, lat, priority=1, status=IncidentStatus.RESPONDING)
    await s.store.add_incident(incident)
    lead = Lead(None, incident.id, "D01-UAV", "fire", 0.9, lon, lat, 10.0, status=status)
    await s.store.add_lead(lead)
    return lead, incident


async def callback(s: ConsoleStack, body: dict[str, Any], secret: str = CALLBACK_SECRET) -> Any:
    raw, headers = signed(body, secret)
    return await s.http.post("/api/v1/grid/callbacks", content=raw, headers=headers)


async def test_signed_callbacks_move_the_lead_and_incident_on(store_url: str) -> None:
    async with console_stack(store_url) as s:
        lead, incident = await stored_lead(s, LeadStatus.DELIVERED)
        accepted = {"event_id": "ev-1", "type": "accepted", "lead_id": lead.id, "case_id": "CASE-7"}
        r = await callback(s, accepted)
        assert r.status_code == 200, r.text
        assert r.json() == {"lead_id": lead.id, "status": "accepted", "changed": True}
        again = await callback(s, accepted)  # the platform retries: acknowledged, nothing changes
        assert again.status_code == 200 and again.json()["changed"] is False
        stored = await s.store.get_lead(lead.id)
        assert stored.status is LeadStatus.ACCEPTED and stored.platform_case_id == "CASE-7"
        assert (await s.store.get_incident(incident.id)).status is IncidentStatus.REPORTED

        resolved = await callback(s, {"event_id": "ev-2", "type": "resolved", "lead_id": lead.id})
        assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
        assert s.verifier.asked == [lead.id]
        assert (await s.store.get_incident(incident.id)).status is IncidentStatus.RESOLVED


async def test_bad_callbacks_are_refused_with_their_status(store_url: str) -> None:
    async with console_stack(store_url) as s:
        lead, _ = await stored_lead(s, LeadStatus.DELIVERED)
        body = {"event_id": "ev-1", "type": "accepted", "lead_id": lead.id}
        forged = await callback(s, body, secret="not-the-platform")
        assert forged.status_code == 401
        unsigned = await s.http.post("/api/v1/grid/callbacks", json=body)
        assert unsigned.status_code == 401
        unknown = await callback(s, {**body, "lead_id": "no-such-lead"})
        assert unknown.status_code == 404 and "no-such-lead" in unknown.json()["detail"]
        malformed = await callback(s, {"event_id": "ev-1", "type": "teleported", "lead_id": lead.id})
        assert malformed.status_code == 422 and "type" in malformed.json()["detail"]
        huge = await callback(s, {**body, "note": "x" * 70_000})
        assert huge.status_code == 413
        assert (await s.store.get_lead(lead.id)).status is LeadStatus.DELIVERED  # nothing applied
        never_sent, _ = await stored_lead(s, LeadStatus.PENDING_REVIEW)
        early = await callback(s, {**body, "lead_id": never_sent.id})
        assert early.status_code == 409


async def test_a_reviewed_lead_is_queued_for_the_platform_and_a_dead_message_retried(store_url: str) -> None:
    async with console_stack(store_url) as s:
        dan = await s.token("dan", "dispatcher")
        lead, _ = await stored_lead(s, LeadStatus.PENDING_REVIEW)
        r = await s.http.post(f"/api/v1/leads/{lead.id}/review", json={"approve": True}, headers=dan)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "approved" and r.json()["reviewed_by"] == "dan"
        (queued,) = [m for m in await s.store.list_messages() if m.lead_id == lead.id]
        assert queued.status is OutboxStatus.PENDING and queued.topic == "lead.created"
        twice = await s.http.post(f"/api/v1/leads/{lead.id}/review", json={"approve": False}, headers=dan)
        assert twice.status_code == 409
        missing = await s.http.post("/api/v1/leads/nope/review", json={"approve": True}, headers=dan)
        assert missing.status_code == 404

        dead = OutboxMessage("lead.created", {"x": 1}, "idem-1", status=OutboxStatus.DEAD, attempts=8)
        await s.store.enqueue(dead)
        retried = await s.http.post(f"/api/v1/outbox/{dead.id}/retry", headers=dan)
        assert retried.status_code == 200, retried.text
        assert retried.json()["status"] == "pending" and retried.json()["attempts"] == 0
        not_dead = await s.http.post(f"/api/v1/outbox/{queued.id}/retry", headers=dan)
        assert not_dead.status_code == 409
