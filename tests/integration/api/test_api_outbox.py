"""The outbox as operators see it: messages with their delivery state, and a retry of a dead one
(dispatcher only, audited)."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient

from mission.model import OutboxMessage, OutboxStatus
from tests.integration.api.console_fakes import TestBackend


def add(backend: TestBackend, key: str, status: OutboxStatus, **changes: object) -> OutboxMessage:
    message = OutboxMessage("lead.created", {"lead": key}, key, status=status, **changes)  # type: ignore[arg-type]
    asyncio.run(backend.store.enqueue(message))
    return message


def test_outbox_listing_and_retry(
    client: TestClient,
    backend: TestBackend,
    viewer: dict[str, str],
    dispatcher: dict[str, str],
    admin: dict[str, str],
) -> None:
    dead = add(backend, "k1", OutboxStatus.DEAD, attempts=8, last_error="HTTP 503")
    sent = add(backend, "k2", OutboxStatus.DELIVERED, attempts=1)
    listed = client.get("/api/v1/outbox", headers=viewer).json()
    assert {m["id"] for m in listed} == {dead.id, sent.id}
    only_dead = client.get("/api/v1/outbox", params={"status": "dead"}, headers=viewer).json()
    assert [(m["id"], m["attempts"], m["last_error"]) for m in only_dead] == [(dead.id, 8, "HTTP 503")]

    assert client.post(f"/api/v1/outbox/{dead.id}/retry", headers=viewer).status_code == 403
    r = client.post(f"/api/v1/outbox/{dead.id}/retry", headers=dispatcher)
    assert r.status_code == 200 and r.json()["status"] == "pending" and r.json()["attempts"] == 0
    assert client.post(f"/api/v1/outbox/{sent.id}/retry", headers=dispatcher).status_code == 409
    assert client.post("/api/v1/outbox/nope/retry", headers=dispatcher).status_code == 404
    log = [e for e in client.get("/api/v1/audit", headers=admin).json() if e["action"] == "outbox.retry"]
    assert [e["details"]["outcome"] for e in reversed(log)] == ["done", "refused", "refused"]
