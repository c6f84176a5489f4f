"""Leads: findings of the payload, their JPEG snapshots, and a dispatcher's review."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Request, Response

from mission.api.deps import BackendDep, Dispatcher, Viewer, audit
from mission.api.schemas_mission import DecisionIn, LeadOut
from mission.model import Lead, LeadStatus

router = APIRouter(tags=["leads"])


def lead_out(lead: Lead, request: Request) -> LeadOut:
    out = LeadOut.model_validate(lead)
    if lead.snapshot_jpeg:
        out.snapshot_url = str(request.url_for("lead_snapshot", lead_id=lead.id).path)
    return out


@router.get("/leads", response_model=list[LeadOut], summary="Leads, newest first")
async def list_leads(
    request: Request,
    backend: BackendDep,
    _: Viewer,
    status: LeadStatus | None = None,
    incident_id: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[LeadOut]:
    leads = await backend.store.list_leads(status, incident_id, limit)
    return [lead_out(lead, request) for lead in leads]


@router.get("/leads/{lead_id}", response_model=LeadOut, summary="One lead")
async def get_lead(lead_id: str, request: Request, backend: BackendDep, _: Viewer) -> LeadOut:
    return lead_out(await backend.store.get_lead(lead_id), request)


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


@router.post("/leads/{lead_id}/review", response_model=LeadOut, summary="Approve (send) or reject a lead")
async def review_lead(
    lead_id: str, body: DecisionIn, request: Request, backend: BackendDep, who: Dispatcher
) -> LeadOut:
    action = "lead.approve" if body.approve else "lead.reject"
    try:
        lead = await backend.review_lead(lead_id, body.approve, who.name, body.note)
    except Exception as exc:
        await audit(backend, who, action, lead_id, outcome="refused", error=str(exc), note=body.note)
        raise
    await audit(backend, who, action, lead_id, outcome="done", note=body.note)
    return lead_out(lead, request)
