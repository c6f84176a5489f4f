"""The outbox worker: delivers stored messages to the grid platform's webhook (docs/grid.md).

Each due message (``MissionStore.due_messages``) is POSTed as canonical JSON with an
``Idempotency-Key`` and an HMAC-SHA256 signature over timestamp + body. The answer decides:

- 2xx, or 409 (the platform already has this key): delivered;
- 408, 429, 5xx, a timeout or a connection error: retried after an exponential backoff with jitter
  (``Retry-After`` honoured), until ``max_attempts`` — then the message is *dead*: kept, shown to
  operators, and re-queued with :meth:`OutboxWorker.requeue`;
- any other status (400, 401, 403, 404, 422, a redirect, ...): a permanent failure, dead at once, with
  the platform's reason kept in ``last_error``.

Nothing is removed: a platform that is down only delays delivery. The message row is updated after
every attempt, so a restarted worker carries on where it stopped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import httpx

from mission.grid_payloads import (
    EVENT_HEADER,
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    canonical_json,
    signature,
)
from mission.lead_settings import GridSettings
from mission.leads import lead_write_lock
from mission.model import IncidentStatus, LeadStatus, OutboxMessage, OutboxStatus, utc_now
from mission.ports import MissionStore, NotFound

log = logging.getLogger(__name__)

RETRYABLE_4XX = frozenset({408, 429})
REASON_MAX_CHARS = 500


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"  # permanent: retrying the same request cannot succeed


@dataclass(frozen=True)
class Attempt:
    """What one delivery attempt came to."""

    outcome: Outcome
    reason: str
    status_code: int | None = None
    retry_after_s: float | None = None
    case_id: str | None = None


def _retry_after_s(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back on our own backoff


def _case_id(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    case = data.get("case_id") if isinstance(data, dict) else None
    return str(case) if case is not None else None


def classify(response: httpx.Response) -> Attempt:
    """The outcome of one HTTP answer (pure).

    >>> classify(httpx.Response(503, text="maintenance")).outcome
    <Outcome.RETRY: 'retry'>
    >>> classify(httpx.Response(409)).outcome
    <Outcome.DELIVERED: 'delivered'>
    >>> classify(httpx.Response(422, text="bad lead")).reason
    'HTTP 422: bad lead'
    """
    code = response.status_code
    reason = f"HTTP {code}: {response.text[:REASON_MAX_CHARS]}".rstrip(": ")
    if 200 <= code < 300:
        return Attempt(Outcome.DELIVERED, reason, code, case_id=_case_id(response))
    if code == 409:
        return Attempt(
            Outcome.DELIVERED,
            f"HTTP 409 (duplicate): {response.text[:200]}",
            code,
            case_id=_case_id(response),
        )
    if code in RETRYABLE_4XX or code >= 500:
        return Attempt(Outcome.RETRY, reason, code, _retry_after_s(response.headers.get("Retry-After")))
    return Attempt(Outcome.FAILED, reason, code)


def backoff_s(attempts: int, grid: GridSettings, rng: random.Random) -> float:
    """Delay before the next try after ``attempts`` failed ones: base·2^(n-1), capped, ± jitter.

    >>> g = GridSettings(backoff_base_s=2, backoff_max_s=60, jitter=0)
    >>> [backoff_s(n, g, random.Random(1)) for n in (1, 2, 3, 6, 9)]
    [2.0, 4.0, 8.0, 60.0, 60.0]
    """
    delay_s = min(grid.backoff_base_s * 2.0 ** min(max(attempts - 1, 0), 60), grid.backoff_max_s)
    return delay_s * (1.0 + grid.jitter * (2.0 * rng.random() - 1.0))


class OutboxWorker:
    """Delivers due outbox messages; ``run`` loops until cancelled.

    ``clock`` decides when messages are due (virtual time in tests), ``wall_time`` stamps signatures
    (Unix seconds), ``sleep`` waits between polls; all three are injectable.
    """

    def __init__(
        self,
        store: MissionStore,
        grid: GridSettings,
        client: httpx.AsyncClient,
        *,
        clock: Callable[[], datetime] = utc_now,
        wall_time: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.grid = grid
        self.client = client
        self.clock = clock
        self.wall_time = wall_time
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.delivered = 0
        self.retried = 0
        self.dead = 0
        self.errors = 0

    async def run(self) -> None:
        """Deliver due messages forever (cancel to stop); idle polls every ``poll_s``."""
        if self.grid.webhook_url is None:
            log.warning("grid platform: no webhook_url configured; leads are stored and queued only")
        while True:
            try:
                sent = await self.deliver_due() if self.grid.webhook_url else 0
            except Exception:  # a store that is down, or a bug: log, wait, carry on
                log.exception("outbox: delivery pass failed; next pass in %.0f s", self.grid.poll_s)
                self.errors += 1
                sent = 0
            if sent == 0:
                await self.sleep(self.grid.poll_s)

    async def deliver_due(self) -> int:
        """One pass over the due messages; returns how many were attempted."""
        messages = await self.store.due_messages(self.clock(), limit=self.grid.batch)
        for message in messages:
            await self.deliver(message)
        return len(messages)

    async def deliver(self, message: OutboxMessage) -> OutboxMessage:
        """One attempt for one message; the message row is updated with the outcome."""
        if self.grid.webhook_url is None:
            raise RuntimeError("no grid webhook_url configured")
        attempt = await self._post(self.grid.webhook_url, message)
        message.attempts += 1
        message.last_error = None if attempt.outcome is Outcome.DELIVERED else attempt.reason
        if attempt.outcome is Outcome.DELIVERED:
            message.status, message.delivered_at = OutboxStatus.DELIVERED, self.clock()
            self.delivered += 1
            await self.store.update_message(message)
            await self._lead_delivered(message, attempt.case_id)
        elif attempt.outcome is Outcome.RETRY and message.attempts < self.grid.max_attempts:
            delay_s = backoff_s(message.attempts, self.grid, self.rng)
            if attempt.retry_after_s is not None:
                delay_s = min(max(delay_s, attempt.retry_after_s), self.grid.backoff_max_s)
            message.next_attempt_at = self.clock() + timedelta(seconds=delay_s)
            self.retried += 1
            await self.store.update_message(message)
            log.info(
                "outbox %s: %s; retry %d in %.1f s", message.id, attempt.reason, message.attempts, delay_s
            )
        else:
            message.status = OutboxStatus.DEAD
            self.dead += 1
            await self.store.update_message(message)
            log.error(
                "outbox %s (%s) dead after %d attempts: %s",
                message.id,
                message.topic,
                message.attempts,
                attempt.reason,
            )
        return message

    async def _post(self, url: str, message: OutboxMessage) -> Attempt:
        body = canonical_json(message.payload)
        timestamp = str(int(self.wall_time()))
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: message.idempotency_key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self.grid.secret.get_secret_value(), timestamp, body),
            EVENT_HEADER: message.topic,
        }
        try:
            response = await self.client.post(url, content=body, headers=headers, timeout=self.grid.timeout_s)
        except httpx.TimeoutException as exc:
            return Attempt(Outcome.RETRY, f"timeout: {type(exc).__name__}")
        except httpx.TransportError as exc:
            return Attempt(Outcome.RETRY, f"{type(exc).__name__}: {exc}"[:REASON_MAX_CHARS])
        return classify(response)

    async def _lead_delivered(self, message: OutboxMessage, case_id: str | None) -> None:
        """The lead moves to *delivered* (never backwards) and its incident to *reported*."""
        if message.lead_id is None or message.topic != "lead.created":
            return
        async with lead_write_lock(self.store):
            try:
                lead = await self.store.get_lead(message.lead_id)
            except NotFound:
                return
            if lead.status is LeadStatus.APPROVED:
                lead.status = LeadStatus.DELIVERED
            if case_id and not lead.platform_case_id:
                lead.platform_case_id = case_id
            await self.store.update_lead(lead)
        if lead.incident_id is not None:
            try:
                incident = await self.store.get_incident(lead.incident_id)
            except NotFound:
                return
            if incident.status in (IncidentStatus.OPEN, IncidentStatus.RESPONDING):
                incident.status, incident.updated_at = IncidentStatus.REPORTED, self.clock()
                await self.store.update_incident(incident)

    async def requeue(self, message: OutboxMessage) -> OutboxMessage:
        """An operator retries a dead message: attempts start again, due now."""
        message.status, message.attempts = OutboxStatus.PENDING, 0
        message.next_attempt_at, message.last_error = self.clock(), None
        await self.store.update_message(message)
        return message
