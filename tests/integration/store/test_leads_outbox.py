"""Alerts, incidents, leads and the grid-platform outbox: lookups, filters, order, atomic writes."""

from __future__ import annotations

import asyncio

import pytest

from mission.model import AlertStatus, IncidentStatus, LeadStatus, OutboxStatus
from mission.ports import NotFound, StoreError
from mission.store import SqlMissionStore

from . import samples as s


async def test_alerts_lookup_filter_and_update(store: SqlMissionStore) -> None:
    a1 = s.alert(received_at=s.at(1), status=AlertStatus.ACCEPTED, external_id="e1")
    a2 = s.alert(received_at=s.at(2), status=AlertStatus.JOINED, external_id="e2")
    a3 = s.alert(received_at=s.at(3), status=AlertStatus.ACCEPTED, external_id=None, source="console")
    for a in (a1, a2, a3):
        await store.add_alert(a)
    assert await store.find_alert_by_external_id("video-ai", "e2") == a2
    assert await store.find_alert_by_external_id("water", "e2") is None
    assert [a.id for a in await store.list_alerts()] == [a3.id, a2.id, a1.id]
    assert [a.id for a in await store.list_alerts(AlertStatus.ACCEPTED)] == [a3.id, a1.id]
    assert [a.id for a in await store.list_alerts(limit=1)] == [a3.id]
    a1.status, a1.decided_by = AlertStatus.REJECTED, "frank"
    await store.update_alert(a1)
    assert await store.get_alert(a1.id) == a1
    with pytest.raises(NotFound):
        await store.update_alert(s.alert())


async def test_a_sources_external_id_is_stored_once(store: SqlMissionStore) -> None:
    await store.add_alert(s.alert(external_id="dup"))
    with pytest.raises(StoreError, match="constraint"):
        await store.add_alert(s.alert(external_id="dup"))
    await store.add_alert(s.alert(external_id="dup", source="water"))  # another source's id space
    await store.add_alert(s.alert(external_id=None))  # alerts without one are not limited
    await store.add_alert(s.alert(external_id=None))
    assert len(await store.list_alerts()) == 4


async def test_incidents_filter_by_statuses_and_update(store: SqlMissionStore) -> None:
    i1 = s.incident(opened_at=s.at(1), status=IncidentStatus.OPEN)
    i2 = s.incident(opened_at=s.at(2), status=IncidentStatus.RESPONDING)
    i3 = s.incident(opened_at=s.at(3), status=IncidentStatus.CLOSED)
    for i in (i1, i2, i3):
        await store.add_incident(i)
    open_ones = await store.list_incidents([IncidentStatus.OPEN, IncidentStatus.RESPONDING])
    assert [i.id for i in open_ones] == [i2.id, i1.id]
    assert await store.list_incidents([]) == []
    assert [i.id for i in await store.list_incidents(limit=2)] == [i3.id, i2.id]
    i1.status, i1.updated_at = IncidentStatus.RESOLVED, s.at(9)
    await store.update_incident(i1)
    assert await store.get_incident(i1.id) == i1
    with pytest.raises(NotFound):
        await store.update_incident(s.incident())
    with pytest.raises(NotFound):
        await store.get_incident("nope")


async def test_a_lead_and_its_outbox_message_are_one_transaction(store: SqlMissionStore) -> None:
    await store.enqueue(s.message("taken"))
    lead = s.lead()
    with pytest.raises(StoreError, match="constraint"):  # the message's key is taken: no lead either
        await store.add_lead(lead, s.message("taken", lead_id=lead.id))
    with pytest.raises(NotFound):
        await store.get_lead(lead.id)
    msg = s.message("lead-1", lead_id=lead.id, status=OutboxStatus.PENDING)
    await store.add_lead(lead, msg)
    assert await store.get_lead(lead.id) == lead
    assert msg in await store.list_messages()


async def test_leads_filter_update_and_approval_enqueues(store: SqlMissionStore) -> None:
    l1 = s.lead(detected_at=s.at(1), incident_id="a", status=LeadStatus.PENDING_REVIEW)
    l2 = s.lead(detected_at=s.at(2), incident_id="b", status=LeadStatus.PENDING_REVIEW, snapshot_jpeg=None)
    l3 = s.lead(detected_at=s.at(3), incident_id="a", status=LeadStatus.DELIVERED)
    for lead in (l1, l2, l3):
        await store.add_lead(lead)
    assert [x.id for x in await store.list_leads()] == [l3.id, l2.id, l1.id]
    assert [x.id for x in await store.list_leads(incident_id="a")] == [l3.id, l1.id]
    assert [x.id for x in await store.list_leads(LeadStatus.PENDING_REVIEW, "a")] == [l1.id]
    assert [x.id for x in await store.list_leads(limit=1)] == [l3.id]
    l1.status, l1.reviewed_by = LeadStatus.APPROVED, "grace"
    msg = s.message("approve-l1", lead_id=l1.id, status=OutboxStatus.PENDING)
    await store.update_lead(l1, msg)
    assert await store.get_lead(l1.id) == l1
    assert await store.list_messages() == [msg]
    l2.status = LeadStatus.REJECTED
    with pytest.raises(StoreError):  # same key again: neither the lead nor a message changes
        await store.update_lead(l2, s.message("approve-l1"))
    assert (await store.get_lead(l2.id)).status is LeadStatus.PENDING_REVIEW
    with pytest.raises(NotFound):
        await store.update_lead(s.lead())


async def test_due_messages_are_pending_and_due_in_order(store: SqlMissionStore) -> None:
    pending = OutboxStatus.PENDING
    late = s.message("late", status=pending, next_attempt_at=s.at(30))
    first = s.message("first", status=pending, next_attempt_at=s.at(10))
    exactly_now = s.message("now", status=pending, next_attempt_at=s.at(20))
    delivered = s.message("done", status=OutboxStatus.DELIVERED, next_attempt_at=s.at(1))
    dead = s.message("dead", status=OutboxStatus.DEAD, next_attempt_at=s.at(1))
    for msg in (late, first, exactly_now, delivered, dead):
        await store.enqueue(msg)
    now = s.at(20)
    assert [m.idempotency_key for m in await store.due_messages(now)] == ["first", "now"]
    assert [m.idempotency_key for m in await store.due_messages(now, limit=1)] == ["first"]
    assert await store.due_messages(s.at(0)) == []
    # A failed attempt moves it back; a delivery takes it out.
    first.attempts, first.next_attempt_at, first.last_error = 1, s.at(40), "HTTP 502"
    await store.update_message(first)
    exactly_now.status, exactly_now.delivered_at = OutboxStatus.DELIVERED, s.at(21)
    await store.update_message(exactly_now)
    assert [m.idempotency_key for m in await store.due_messages(s.at(45))] == ["late", "first"]
    assert (await store.due_messages(s.at(45)))[1] == first
    with pytest.raises(NotFound):
        await store.update_message(s.message("never-enqueued"))


async def test_claimed_messages_are_leased_to_one_worker(store_url: str) -> None:
    """Two workers claim at the same time: each message goes to exactly one of them."""
    a = await SqlMissionStore.open(store_url, migrate=False)
    b = await SqlMissionStore.open(store_url, migrate=False)
    try:
        for i in range(6):
            await a.enqueue(s.message(f"k{i}", status=OutboxStatus.PENDING, next_attempt_at=s.at(i)))
        assert await b.list_messages(limit=1)  # both connected: the claims below really overlap
        now = s.at(10)
        got_a, got_b = await asyncio.gather(
            a.claim_due_messages(now, 60.0, 4), b.claim_due_messages(now, 60.0, 4)
        )
        keys_a, keys_b = {m.idempotency_key for m in got_a}, {m.idempotency_key for m in got_b}
        assert keys_a.isdisjoint(keys_b) and keys_a | keys_b == {f"k{i}" for i in range(6)}
        assert await a.due_messages(now) == []
        assert await a.claim_due_messages(s.at(69), 60.0, 10) == []  # leased until at(70)...
        # ...and a worker that died leaves its messages to be claimed again once the lease runs out.
        assert len(await b.claim_due_messages(s.at(71), 60.0, 10)) == 6
    finally:
        await a.close()
        await b.close()
