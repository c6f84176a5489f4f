"""The JSON we send to the grid platform, and how it is signed (docs/grid.md).

Every message is one JSON object ``{"schema", "type", "idempotency_key", "sent_for", "lead",
"incident", ...}`` serialised canonically (sorted keys, no spaces, UTF-8). Positions are given in
WGS84 *and* GCJ-02 (the Chinese web maps' datum). The signature is HMAC-SHA256 over
``"{timestamp}." + body`` with the shared secret, sent as ``X-Skyloop-Signature: sha256=<hex>``
next to ``X-Skyloop-Timestamp`` (Unix seconds) and ``Idempotency-Key``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from geo.crs import wgs84_to_gcj02
from mission.lead_settings import GridSettings
from mission.model import Incident, Lead, OutboxMessage, utc_now

SCHEMA = "skyloop.grid/1"
SIGNATURE_HEADER = "X-Skyloop-Signature"
TIMESTAMP_HEADER = "X-Skyloop-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_HEADER = "X-Skyloop-Event"


def canonical_json(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, timestamp + "." + body)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_ok(
    secret: str, timestamp: str, body: bytes, given: str, now_s: float, tolerance_s: float
) -> bool:
    """A signature matches (constant-time) and its timestamp is within ``tolerance_s`` of now."""
    try:
        age_s = abs(now_s - float(timestamp))
    except ValueError:
        return False
    if not secret or age_s > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), given)


def position(lon_deg: float, lat_deg: float) -> dict[str, dict[str, float]]:
    """One point in WGS84 and GCJ-02 (7 decimals ≈ 1 cm).

    >>> p = position(113.755, 34.800)
    >>> p["wgs84"]
    {'lon_deg': 113.755, 'lat_deg': 34.8}
    >>> p["gcj02"]["lon_deg"] > 113.755
    True
    """
    g_lon, g_lat = wgs84_to_gcj02(lon_deg, lat_deg)
    return {
        "wgs84": {"lon_deg": round(lon_deg, 7), "lat_deg": round(lat_deg, 7)},
        "gcj02": {"lon_deg": round(float(g_lon), 7), "lat_deg": round(float(g_lat), 7)},
    }


def snapshot(jpeg: bytes | None, name: str, grid: GridSettings) -> dict[str, str] | None:
    """A JPEG inline as base64, or ``{snapshot_base_url}/{name}.jpg`` (served by mission control:
    ``{lead_id}/snapshot`` is the API's ``/api/v1/leads/{lead_id}/snapshot.jpg``)."""
    if jpeg is None:
        return None
    if grid.snapshot == "url" and grid.snapshot_base_url:
        return {"format": "jpeg", "url": f"{grid.snapshot_base_url.rstrip('/')}/{name}.jpg"}
    return {"format": "jpeg", "base64": base64.b64encode(jpeg).decode()}


def lead_document(lead: Lead, grid: GridSettings) -> dict[str, Any]:
    return {
        "id": lead.id,
        "class": lead.class_name,
        "confidence": round(lead.confidence, 3),
        "position": position(lead.lon_deg, lead.lat_deg),
        "uncertainty_m": round(lead.uncertainty_m, 1),
        "detected_at": lead.detected_at.isoformat(),
        "frames_confirmed": lead.frames_confirmed,
        "drones": list(lead.details.get("drones", [lead.drone_id])),
        "mission_id": lead.mission_id,
        "reviewed_by": lead.reviewed_by,
        "measurements": {
            k: lead.details[k] for k in ("t_peak_c", "area_m2", "count", "near_water_m") if k in lead.details
        },
        "snapshot": snapshot(lead.snapshot_jpeg, f"{lead.id}/snapshot", grid),
    }


def incident_document(incident: Incident | None) -> dict[str, Any] | None:
    if incident is None:
        return None
    return {
        "id": incident.id,
        "type": str(incident.type),
        "priority": incident.priority,
        "position": position(incident.lon_deg, incident.lat_deg),
        "opened_at": incident.opened_at.isoformat(),
    }


def _message(
    topic: str, key: str, lead: Lead, body: dict[str, Any], grid: GridSettings, now: datetime | None
) -> OutboxMessage:
    payload: dict[str, Any] = {"schema": SCHEMA, "type": topic, "idempotency_key": key, **body}
    if grid.callback_url:
        payload["callback_url"] = grid.callback_url
    at = now or utc_now()
    return OutboxMessage(
        topic=topic, payload=payload, idempotency_key=key, lead_id=lead.id, created_at=at, next_attempt_at=at
    )


def lead_created_message(
    lead: Lead, incident: Incident | None, grid: GridSettings, now: datetime | None = None
) -> OutboxMessage:
    """A new lead for the platform, due ``now``; one key per lead, so a redelivery is recognised."""
    body = {"lead": lead_document(lead, grid), "incident": incident_document(incident)}
    return _message("lead.created", f"lead-{lead.id}-created", lead, body, grid, now)


def lead_verified_message(
    lead: Lead,
    incident: Incident | None,
    before_jpeg: bytes | None,
    after_jpeg: bytes | None,
    cleared: bool,
    grid: GridSettings,
    attempt: int = 1,
    now: datetime | None = None,
) -> OutboxMessage:
    """The verification revisit's outcome with before/after snapshots (``cleared`` false reopens)."""
    body = {
        "lead": lead_document(lead, grid),
        "incident": incident_document(incident),
        "case_id": lead.platform_case_id,
        "verification": {
            "cleared": cleared,
            "before": snapshot(before_jpeg, f"{lead.id}/snapshot", grid),
            "after": snapshot(after_jpeg, f"{lead.id}/after-{attempt}", grid),
        },
    }
    return _message("lead.verified", f"lead-{lead.id}-verified-{attempt}", lead, body, grid, now)
