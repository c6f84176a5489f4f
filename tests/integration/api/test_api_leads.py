"""Leads with their JPEG snapshots, and a dispatcher's review (audited)."""

from __future__ import annotations

import asyncio
import base64

import cv2
import numpy as np
from fastapi.testclient import TestClient

from mission.model import Lead, LeadStatus
from tests.integration.api.console_fakes import TestBackend


def jpeg() -> bytes:
    frame = np.zeros((48, 64, 3), np.uint8)
    frame[10:30, 20:40] = (0, 80, 255)
    ok, data = cv2.imencode(".jpg", frame)
    assert ok
    return bytes(data.tobytes())


def add_lead(backend: TestBackend, **changes: object) -> Lead:
    lead = Lead("M1", "I1", "D01-UAV", "fire", 0.82, 113.8, 34.8, 12.0, **changes)  # type: ignore[arg-type]
    asyncio.run(backend.store.add_lead(lead))
    return lead


def test_lead_with_snapshot(client: TestClient, backend: TestBackend, viewer: dict[str, str]) -> None:
    picture = jpeg()
    lead = add_lead(backend, snapshot_jpeg=picture, status=LeadStatus.PENDING_REVIEW)
    plain = add_lead(backend)
    got = client.get(f"/api/v1/leads/{lead.id}", headers=viewer).json()
    assert got["class_name"] == "fire" and got["confidence"] == 0.82
    assert "snapshot_jpeg" not in got
    r = client.get(got["snapshot_url"], headers=viewer)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content == picture
    decoded = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and decoded.shape == (48, 64, 3)
    assert client.get(f"/api/v1/leads/{plain.id}", headers=viewer).json()["snapshot_url"] is None
    assert client.get(f"/api/v1/leads/{plain.id}/snapshot.jpg", headers=viewer).status_code == 404
    assert client.get(f"/api/v1/leads/{lead.id}/snapshot.jpg").status_code == 401
    pending = client.get("/api/v1/leads", params={"status": "pending_review"}, headers=viewer).json()
    assert [x["id"] for x in pending] == [lead.id]


def test_review_lead(
    client: TestClient,
    backend: TestBackend,
    dispatcher: dict[str, str],
    viewer: dict[str, str],
    admin: dict[str, str],
) -> None:
    lead = add_lead(backend, status=LeadStatus.PENDING_REVIEW)
    url = f"/api/v1/leads/{lead.id}/review"
    assert client.post(url, json={"approve": True}, headers=viewer).status_code == 403
    assert client.post(url, json={"approve": "maybe"}, headers=dispatcher).status_code == 422
    r = client.post(url, json={"approve": True, "note": "clear flames"}, headers=dispatcher)
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["reviewed_by"] == "dan"
    assert client.post(url, json={"approve": False}, headers=dispatcher).status_code == 409
    log = [e for e in client.get("/api/v1/audit", headers=admin).json() if e["target"] == lead.id]
    assert [(e["action"], e["details"]["outcome"]) for e in reversed(log)] == [
        ("lead.approve", "done"),
        ("lead.reject", "refused"),
    ]


def test_verification_picture(client: TestClient, backend: TestBackend, viewer: dict[str, str]) -> None:
    after = jpeg()
    lead = add_lead(
        backend,
        status=LeadStatus.VERIFIED,
        details={"verifications": 2, "after_snapshot_b64": base64.b64encode(after).decode(), "note": "kept"},
    )
    got = client.get(f"/api/v1/leads/{lead.id}", headers=viewer).json()
    assert "after_snapshot_b64" not in got["details"] and got["details"]["note"] == "kept"
    assert got["after_snapshot_url"] == f"/api/v1/leads/{lead.id}/after-2.jpg"
    r = client.get(got["after_snapshot_url"], headers=viewer)
    assert r.status_code == 200 and r.content == after and r.headers["content-type"] == "image/jpeg"
    old = client.get(f"/api/v1/leads/{lead.id}/after-1.jpg", headers=viewer)
    assert old.status_code == 404 and "latest: 2" in old.json()["detail"]
