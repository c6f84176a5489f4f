"""Incidents: one thing happening at one place, with the alerts that joined it."""

from __future__ import annotations

from fastapi import APIRouter, Query

from mission.api.deps import BackendDep, Viewer
from mission.api.schemas_mission import IncidentOut
from mission.model import IncidentStatus

router = APIRouter(tags=["incidents"])


@router.get("/incidents", response_model=list[IncidentOut], summary="Incidents, newest first")
async def list_incidents(
    backend: BackendDep,
    _: Viewer,
    status: list[IncidentStatus] | None = Query(None, description="any of these statuses"),  # noqa: B008
    limit: int = Query(100, ge=1, le=1000),
) -> list[IncidentOut]:
    incidents = await backend.store.list_incidents(status or None, limit)
    return [IncidentOut.model_validate(i) for i in incidents]


@router.get("/incidents/{incident_id}", response_model=IncidentOut, summary="One incident")
async def get_incident(incident_id: str, backend: BackendDep, _: Viewer) -> IncidentOut:
    return IncidentOut.model_validate(await backend.store.get_incident(incident_id))
