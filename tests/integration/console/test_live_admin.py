"""The admin panel's live items: every stored outbox change (queued with a lead or alone, attempted,
delivered, dead, retried) and audit entry is published as written; over the real stack the live
socket carries them as ``outbox`` and ``audit`` messages to admins only — a dispatcher's or a
viewer's socket never gets them, while it still gets everything else; a revoked token's socket is
closed at once (1008)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from mission.api.backend import LiveItem
from mission.api.live_hub import LiveHub, LiveQueue
from mission.live_feed import LiveStore
from mission.model import (
    AlertType,
    AuditEntry,
    Incident,
    Lead,
    LeadStatus,
    OutboxMessage,
    OutboxStatus,
    Role,
)
from tests.integration.console.console_stack import ADMIN_TOKEN, LiveLog, console_stack
from tests.unit.mission.fake_store import FakeStore

LON, LAT = 113.75, 34.77


async def drained(hub: LiveHub, sub: LiveQueue) -> list[LiveItem]:
    hub.close()
    return [item async for item in sub]


async def test_outbox_changes_and_audit_entries_are_published_as_written() -> None:
    hub = LiveHub()
    sub = hub.subscribe()
    store = LiveStore(FakeStore(), hub)
    lead = Lead(None, None, "D01-UAV", "fire", 0.9, LON, LAT, 10.0)
    created = OutboxMessage("lead.created", {"lead_id": lead.id}, f"lead.created:{lead.id}", lead_id=lead.id)
    await store.add_lead(lead, created)
    verified = OutboxMessage("lead.verified", {"lead_id": lead.id}, f"lead.verified:{lead.id}")
    await store.update_lead(lead, verified)
    alone = OutboxMessage("lead.closed", {"n": 1}, "k-alone")
    await store.enqueue(alone)
    created.attempts, created.last_error = 8, "HTTP 503"
    created.status = OutboxStatus.DEAD
    await store.update_message(created)
    created.status, created.attempts, created.last_error = OutboxStatus.PENDING, 0, None  # a retry
    await store.update_message(created)
    created.payload["changed"] = "in place after the write"
    entry = AuditEntry("dan", Role.DISPATCHER, "outbox.retry", created.id, details={"outcome": "done"})
    await store.add_audit(entry)
    seen = await drained(hub, sub)
    messages = [x for x in seen if isinstance(x, OutboxMessage)]
    assert [(m.id, m.status, m.attempts, m.last_error) for m in messages] == [
        (created.id, OutboxStatus.PENDING, 0, None),
        (verified.id, OutboxStatus.PENDING, 0, None),
        (alone.id, OutboxStatus.PENDING, 0, None),
        (created.id, OutboxStatus.DEAD, 8, "HTTP 503"),
        (created.id, OutboxStatus.PENDING, 0, None),
    ]
    assert all(m is not created for m in messages)
    assert all("changed" not in m.payload for m in messages)  # copies, as written
    assert [type(x).__name__ for x in seen] == [
        "Lead",
        "OutboxMessage",
        "Lead",
        "OutboxMessage",
        "OutboxMessage",
        "OutboxMessage",
        "OutboxMessage",
        "AuditEntry",
    ]
    assert seen[-1] == entry


def _admin_only(message: dict[str, Any]) -> bool:
    return message["type"] in ("outbox", "audit")


async def test_only_an_admins_socket_carries_the_outbox_and_the_audit_log(store_url: str) -> None:
    async with console_stack(store_url) as s:
        dan = await s.token("dan", "dispatcher")
        vic = await s.token("vic", "viewer")
        url = f"ws://{s.url}/api/v1/live"
        async with (
            connect(f"{url}?token={ADMIN_TOKEN}") as admin_ws,
            connect(url, additional_headers=dan) as dispatcher_ws,
            connect(url, additional_headers=vic) as viewer_ws,
        ):
            admin, dispatcher, viewer = LiveLog(admin_ws), LiveLog(dispatcher_ws), LiveLog(viewer_ws)
            for log in (admin, dispatcher, viewer):
                await log.seen("snapshot")
            incident = Incident(AlertType.FIRE_SMOKE, LON, LAT, 1)
            await s.store.add_incident(incident)
            lead = Lead(
                None, incident.id, "D01-UAV", "fire", 0.9, LON, LAT, 10.0, status=LeadStatus.PENDING_REVIEW
            )
            await s.store.add_lead(lead)
            r = await s.http.post(f"/api/v1/leads/{lead.id}/review", json={"approve": True}, headers=dan)
            assert r.status_code == 200, r.text
            queued = await admin.seen("outbox", lambda m: m["message"]["lead_id"] == lead.id)
            assert queued["message"]["status"] == "pending" and queued["message"]["topic"] == "lead.created"
            review = await admin.seen("audit", lambda m: m["entry"]["target"] == lead.id)
            assert review["entry"]["actor"] == "dan" and review["entry"]["role"] == "dispatcher"

            dead = OutboxMessage("lead.created", {"x": 1}, "idem-dead", status=OutboxStatus.DEAD, attempts=8)
            await s.store.enqueue(dead)
            await admin.seen(
                "outbox", lambda m: m["message"]["id"] == dead.id and m["message"]["status"] == "dead"
            )
            retried = await s.http.post(f"/api/v1/outbox/{dead.id}/retry", headers=dan)
            assert retried.status_code == 200, retried.text
            again = await admin.seen(
                "outbox", lambda m: m["message"]["id"] == dead.id and m["message"]["status"] == "pending"
            )
            assert again["message"]["attempts"] == 0 and again["message"]["last_error"] is None
            await admin.seen(
                "audit", lambda m: m["entry"]["action"] == "outbox.retry" and m["entry"]["target"] == dead.id
            )

            # a change everyone sees, stored after all of the above: each socket delivers in the
            # order stored, so once it arrives nothing admin-only can still come before it
            state = s.fleet.dock_state("D01")
            assert state is not None
            s.fleet.put_dock_state(replace(state, battery_pct=42.0))

            def marker(m: dict[str, Any]) -> bool:
                return bool(m["dock"]["id"] == "D01" and m["dock"]["state"]["battery_pct"] == 42.0)

            for log in (admin, dispatcher, viewer):
                await log.seen("dock", marker)
            for log in (dispatcher, viewer):
                assert not [m for m in log.messages if _admin_only(m)]
                assert any(m["type"] == "lead" and m["lead"]["id"] == lead.id for m in log.messages)


async def test_a_revoked_tokens_live_socket_is_closed_at_once(store_url: str) -> None:
    async with console_stack(store_url) as s:
        vic = await s.token("vic", "viewer")
        dan = await s.token("dan", "dispatcher")
        tokens = (await s.http.get("/api/v1/tokens", headers=s.auth())).json()
        (vic_id,) = [t["id"] for t in tokens if t["name"] == "vic"]
        url = f"ws://{s.url}/api/v1/live"
        async with (
            connect(url, additional_headers=vic) as viewer_ws,
            connect(url, additional_headers=dan) as dispatcher_ws,
        ):
            viewer, dispatcher = LiveLog(viewer_ws), LiveLog(dispatcher_ws)
            await viewer.seen("snapshot")
            await dispatcher.seen("snapshot")
            r = await s.http.delete(f"/api/v1/tokens/{vic_id}", headers=s.auth())
            assert r.status_code == 204, r.text
            with pytest.raises(ConnectionClosed) as closed:
                await viewer.seen("never")
            assert closed.value.rcvd is not None
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "token revoked")
            # another token's socket goes on
            state = s.fleet.dock_state("D02")
            assert state is not None
            s.fleet.put_dock_state(replace(state, battery_pct=43.0))
            await dispatcher.seen("dock", lambda m: m["dock"]["state"]["battery_pct"] == 43.0)
