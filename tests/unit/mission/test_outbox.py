"""The outbox against the stand-in grid platform on a real local HTTP server.

Time is virtual: the worker's clock moves only when a test advances it, so backoff costs nothing.
"""

from __future__ import annotations

import asyncio
import random
import socket
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from mission.grid_payloads import signature
from mission.lead_settings import GridSettings, LeadSettings
from mission.leads import LeadIntake
from mission.model import AlertType, Incident, IncidentStatus, LeadStatus, OutboxMessage, OutboxStatus
from mission.outbox import OutboxWorker, backoff_s
from mission.ports import StoreError
from sim.grid_platform import GridPlatformStandIn, StandInConfig
from tests.unit.mission.fake_store import FakeStore
from tests.unit.mission.grid_helpers import LAT, LON, SECRET, ManualClock, detection, event, eventually


def grid(url: str, **kw: object) -> GridSettings:
    base: dict[str, object] = {"webhook_url": url, "secret": SECRET, "jitter": 0.0, "max_attempts": 6}
    return GridSettings.model_validate(base | kw)


async def queued_fire(store: FakeStore, clock: ManualClock) -> tuple[str, OutboxMessage]:
    """A high-confidence fire lead, stored with its outbox message (policy sends it at once)."""
    incident = Incident(type=AlertType.FIRE_SMOKE, lon_deg=LON, lat_deg=LAT, priority=1)
    await store.add_incident(incident)
    leads = LeadIntake(store, LeadSettings(), clock=clock)
    (lead,) = await leads.ingest("D1", event(detection(confidence=0.9)), incident_id=incident.id)
    (message,) = store.messages.values()
    return lead.id, message


async def drain(worker: OutboxWorker, clock: ManualClock, rounds: int = 50) -> None:
    """Deliver whatever is due, then jump the clock to the next due message, until none is pending."""
    store = worker.store
    assert isinstance(store, FakeStore)
    for _ in range(rounds):
        await worker.deliver_due()
        pending = [m for m in store.messages.values() if m.status is OutboxStatus.PENDING]
        if not pending:
            return
        clock.now = max(clock.now, min(m.next_attempt_at for m in pending))
    raise AssertionError("outbox did not settle")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_two_failed_deliveries_then_the_lead_arrives_exactly_once() -> None:
    store, clock = FakeStore(), ManualClock()
    lead_id, message = await queued_fire(store, clock)
    async with (
        GridPlatformStandIn(StandInConfig(secret=SECRET, fail_first=2)) as platform,
        httpx.AsyncClient() as client,
    ):
        worker = OutboxWorker(store, grid(platform.webhook_url), client, clock=clock)
        await drain(worker, clock)
        # our answer was "lost": the same message goes again; the platform recognises the key
        again = store.messages[message.id]
        again.status = OutboxStatus.PENDING
        await worker.deliver(again)
    assert platform.posts == 4 and platform.failed == 2 and platform.duplicates == 1
    (received,) = platform.leads()
    assert received.idempotency_key == message.idempotency_key
    assert received.payload["lead"]["id"] == lead_id
    done = store.messages[message.id]
    assert done.status is OutboxStatus.DELIVERED and done.attempts == 4 and done.last_error is None
    lead = store.leads[lead_id]
    assert lead.status is LeadStatus.DELIVERED and lead.platform_case_id == received.case_id
    assert next(iter(store.incidents.values())).status is IncidentStatus.REPORTED


async def test_a_platform_down_for_a_while_loses_nothing_and_backs_off_exponentially() -> None:
    store, clock = FakeStore(), ManualClock()
    _, message = await queued_fire(store, clock)
    async with GridPlatformStandIn(StandInConfig(secret=SECRET)) as platform:
        platform.down = True
        async with httpx.AsyncClient() as client:
            worker = OutboxWorker(store, grid(platform.webhook_url, max_attempts=10), client, clock=clock)
            delays_s = []
            for _ in range(5):
                before = clock.now
                await worker.deliver_due()
                m = store.messages[message.id]
                assert m.status is OutboxStatus.PENDING and "503" in (m.last_error or "")
                delays_s.append((m.next_attempt_at - before).total_seconds())
                clock.now = m.next_attempt_at
            assert delays_s == [2.0, 4.0, 8.0, 16.0, 32.0]
            platform.down = False
            await drain(worker, clock)
    assert len(platform.leads()) == 1 and platform.failed == 5
    assert store.messages[message.id].status is OutboxStatus.DELIVERED


async def test_an_unreachable_platform_is_retried_then_dead_then_requeued() -> None:
    store, clock = FakeStore(), ManualClock()
    _, message = await queued_fire(store, clock)
    async with httpx.AsyncClient() as client:
        nobody = f"http://127.0.0.1:{free_port()}/webhook"
        worker = OutboxWorker(store, grid(nobody, max_attempts=3), client, clock=clock)
        await drain(worker, clock)
        dead = store.messages[message.id]
        assert dead.status is OutboxStatus.DEAD and dead.attempts == 3
        assert "ConnectError" in (dead.last_error or "")
        async with GridPlatformStandIn(StandInConfig(secret=SECRET)) as platform:
            worker.grid = grid(platform.webhook_url)
            await worker.requeue(dead)
            await drain(worker, clock)
    assert store.messages[message.id].status is OutboxStatus.DELIVERED
    assert len(platform.leads()) == 1


async def test_a_permanent_refusal_is_dead_at_once_with_the_platforms_reason() -> None:
    store, clock = FakeStore(), ManualClock()
    lead_id, message = await queued_fire(store, clock)
    async with (
        GridPlatformStandIn(StandInConfig(secret="the platform's real secret")) as platform,
        httpx.AsyncClient() as client,
    ):
        worker = OutboxWorker(store, grid(platform.webhook_url), client, clock=clock)
        await drain(worker, clock)
    dead = store.messages[message.id]
    assert dead.status is OutboxStatus.DEAD and dead.attempts == 1
    assert "401" in (dead.last_error or "") and "bad signature" in (dead.last_error or "")
    assert store.leads[lead_id].status is LeadStatus.APPROVED  # not delivered
    assert platform.bad_signatures == 1 and not platform.received


async def test_run_loop_delivers_with_an_injected_sleep() -> None:
    store, clock = FakeStore(), ManualClock()
    _, message = await queued_fire(store, clock)

    async def virtual_sleep(seconds: float) -> None:
        clock.advance(seconds)
        await asyncio.sleep(0)

    async with (
        GridPlatformStandIn(StandInConfig(secret=SECRET, fail_first=1)) as platform,
        httpx.AsyncClient() as client,
    ):
        settings = grid(platform.webhook_url, poll_s=1.0, backoff_base_s=5.0)
        worker = OutboxWorker(store, settings, client, clock=clock, sleep=virtual_sleep)
        task = asyncio.create_task(worker.run())
        try:
            for _ in range(1000):
                if store.messages[message.id].status is OutboxStatus.DELIVERED:
                    break
                await asyncio.sleep(0.01)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    assert store.messages[message.id].status is OutboxStatus.DELIVERED
    assert len(platform.leads()) == 1 and worker.retried == 1 and worker.delivered == 1


def test_backoff_is_capped_and_jittered_within_bounds() -> None:
    g = GridSettings(backoff_base_s=2.0, backoff_max_s=100.0, jitter=0.2)
    rng = random.Random(7)
    samples = [backoff_s(n, g, rng) for n in range(1, 30)]
    assert all(
        0.8 * min(2.0 * 2 ** (n - 1), 100.0) <= s <= 1.2 * min(2.0 * 2 ** (n - 1), 100.0)
        for n, s in zip(range(1, 30), samples, strict=True)
    )
    assert len(set(samples)) == len(samples)  # jitter spreads retries of many messages


def test_the_signature_example_in_docs_grid_md_is_right() -> None:
    text = (Path(__file__).resolve().parents[3] / "docs" / "grid.md").read_text(encoding="utf-8")
    expected = signature("s3cret", "1780300812", b'{"a":1}')
    assert 'HMAC-SHA256(`s3cret`, `1780300812.{"a":1}`)' in text
    assert f"`{expected}`" in text


def test_the_doctests_of_leads_payloads_and_outbox_pass() -> None:
    import doctest

    from mission import grid_payloads, leads, outbox

    for module in (leads, grid_payloads, outbox):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


async def test_the_run_loop_survives_a_store_that_fails_for_a_while() -> None:
    store, clock = FakeStore(), ManualClock()
    _, message = await queued_fire(store, clock)
    failures = {"left": 2}
    real_due = store.due_messages

    async def flaky_due(now: datetime, limit: int = 20) -> list[OutboxMessage]:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise StoreError("database restarting")
        return await real_due(now, limit)

    store.due_messages = flaky_due  # type: ignore[method-assign]

    async def virtual_sleep(seconds: float) -> None:
        clock.advance(seconds)
        await asyncio.sleep(0)

    async with GridPlatformStandIn(StandInConfig(secret=SECRET)) as platform, httpx.AsyncClient() as client:
        worker = OutboxWorker(store, grid(platform.webhook_url), client, clock=clock, sleep=virtual_sleep)
        task = asyncio.create_task(worker.run())
        try:
            await eventually(lambda: store.messages[message.id].status is OutboxStatus.DELIVERED)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    assert worker.errors == 2 and len(platform.leads()) == 1
