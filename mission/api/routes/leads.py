"""Leads: findings of the payload, their JPEG snapshots, and a dispatcher's review."""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, HTTPException, Query, Response

from mission.api.deps import BackendDep, Dispatcher, Viewer, audit
from mission.api.schemas_mission import DecisionIn, LeadOut
from mission.model import Lead, LeadStatus

router = APIRouter(tags=["leads"])


#: Where mission.grid_callbacks keeps the latest verification revisit's picture (base64 JPEG).
AFTER_KEY = "after_snapshot_b64"


def lead_out(lead: Lead) -> LeadOut:
    """The lead without its pictures inline: URLs to them instead."""
    out = LeadOut.model_validate(lead)
    out.details = {k: v for k, v in lead.details.items() if k != AFTER_KEY}
    if lead.snapshot_jpeg:
        out.snapshot_url = f"/api/v1/leads/{lead.id}/snapshot.jpg"
    attempt = lead.details.get("verifications")
    if lead.details.get(AFTER_KEY) and isinstance(attempt, int):
        out.after_snapshot_url = f"/api/v1/leads/{lead.id}/after-{attempt}.jpg"
    return out


@router.get("/leads", response_model=list[LeadOut], summary="Leads, newest first")
async def list_leads(
    backend: BackendDep,
    _: Viewer,
    status: LeadStatus | None = None,
    incident_id: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[LeadOut]:
    leads = await backend.store.list_leads(status, incident_id, limit)
    return [lead_out(lead) for lead in leads]


@router.get("/leads/{lead_id}", response_model=LeadOut, summary="One lead")
async def get_lead(lead_id: str, backend: BackendDep, _: Viewer) -> LeadOut:
    return lead_out(await backend.store.get_lead(lead_id))


@router.get(
    "/leads/{lead_id}/snapshot.jpg",
    name="lead_snapshot",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "the lead's snapshot"}},
    summary="The lead's JPEG snapshot",
)
async def lead_snapshot(lead_id: str, backend: BackendDep, _: Viewer) -> Response:
    lead = await backend.store.get_lead(lead_id)
    if not lead.snapshot_jpeg:
        raise HTTPException(404, f"lead {lead_id!r} has no snapshot")
    return Response(
        lead.snapshot_jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )


@router.get(
    "/leads/{lead_id}/after-{attempt}.jpg",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "the verification revisit's picture"}},
    summary="The picture of a verification revisit (the latest attempt is kept)",
)
async def lead_after_snapshot(lead_id: str, attempt: int, backend: BackendDep, _: Viewer) -> Response:
    lead = await backend.store.get_lead(lead_id)
    encoded = lead.details.get(AFTER_KEY)
    latest = lead.details.get("verifications")
    if not encoded or latest != attempt:
        raise HTTPException(
            404, f"lead {lead_id!r} has no picture of verification {attempt} (latest: {latest})"
        )
    try:
        picture = base64.b64decode(str(encoded), validate=True)
    except binascii.Error:
        raise HTTPException(500, f"lead {lead_id!r}: the stored verification picture is not base64") from None
    return Response(picture, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.post("/leads/{lead_id}/review", response_model=LeadOut, summary="Approve (send) or reject a lead")
async def review_lead(lead_id: str, body: DecisionIn, backend: BackendDep, who: Dispatcher) -> LeadOut:
    action = "lead.approve" if body.approve else "lead.reject"
    try:
        lead = await backend.review_lead(lead_id, body.approve, who.name, body.note)
    except Exception as exc:
        await audit(backend, who, action, lead_id, outcome="refused", error=str(exc), note=body.note)
        raise
    await audit(backend, who, action, lead_id, outcome="done", note=body.note)
    return lead_out(lead)
