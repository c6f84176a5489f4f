"""Incidents: one thing happening at one place, with the alerts that joined it, its missions and
its leads. The alerts and missions of an incident are looked up among the latest
:data:`RECENT` of each (the store has no per-incident query for them yet)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from mission.api.deps import BackendDep, Viewer
from mission.api.routes.leads import lead_out
from mission.api.schemas_mission import AlertOut, IncidentDetailOut, IncidentOut, MissionOut
from mission.model import IncidentStatus

router = APIRouter(tags=["incidents"])

RECENT = 1000


@router.get("/incidents", response_model=list[IncidentOut], summary="Incidents, newest first")
async def list_incidents(
    backend: BackendDep,
    _: Viewer,
    status: list[IncidentStatus] | None = Query(None, description="any of these statuses"),  # noqa: B008
    limit: int = Query(100, ge=1, le=1000),
) -> list[IncidentOut]:
    incidents = await backend.store.list_incidents(status or None, limit)
    return [IncidentOut.model_validate(i) for i in incidents]


@router.get("/incidents/{incident_id}", response_model=IncidentDetailOut, summary="An incident in full")
async def get_incident(incident_id: str, backend: BackendDep, _: Viewer) -> IncidentDetailOut:
    store = backend.store
    incident = await store.get_incident(incident_id)
    alerts = [a for a in await store.list_alerts(None, RECENT) if a.incident_id == incident_id]
    missions = [m for m in await store.list_missions(False, RECENT) if m.incident_id == incident_id]
    leads = await store.list_leads(None, incident_id, RECENT)
    return IncidentDetailOut(
        incident=IncidentOut.model_validate(incident),
        alerts=[AlertOut.model_validate(a) for a in alerts],
        missions=[MissionOut.model_validate(m) for m in missions],
        leads=[lead_out(lead) for lead in leads],
    )
