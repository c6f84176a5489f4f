"""Missions with their event timeline and the dispatch decision (with every rejected dock), and the
operator commands: launch to a point, abort, return, hold, go to, speak. Every command is written to
the audit log with who and when, whether it was carried out or refused. A mission carries the route
it last flew around the keep-out zones (``route``); a go-to point inside a zone is a 422 naming it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query, status

from mission.api.auth import Principal
from mission.api.backend import CommandKind, ConsoleBackend, OperatorCommand
from mission.api.commands import PointInKeepOut
from mission.api.deps import BackendDep, Dispatcher, Viewer, audit
from mission.api.schemas_mission import (
    AbortIn,
    DecisionOut,
    GotoIn,
    LaunchIn,
    MissionCommandIn,
    MissionDetailOut,
    MissionEventOut,
    MissionOut,
    SpeakIn,
)
from mission.model import Mission

router = APIRouter(tags=["missions"])


@router.get("/missions", response_model=list[MissionOut], summary="Missions, newest first")
async def list_missions(
    backend: BackendDep,
    _: Viewer,
    active: bool = Query(False, description="only missions not yet closed, aborted or failed"),
    limit: int = Query(100, ge=1, le=1000),
) -> list[MissionOut]:
    return [MissionOut.model_validate(m) for m in await backend.store.list_missions(active, limit)]


@router.get(
    "/missions/preview",
    response_model=DecisionOut,
    summary="What the planner would decide for a launch to a point now (nothing is stored or reserved)",
)
async def preview_launch(
    backend: BackendDep,
    _: Dispatcher,
    lon: Annotated[float, Query(ge=-180, le=180, description="longitude, degrees")],
    lat: Annotated[float, Query(ge=-90, le=90, description="latitude, degrees")],
) -> DecisionOut:
    """The dock and drone the planner would send, the ETA, whether the promise holds and every
    rejected option with its reason; ``dock_id`` null: nothing can go."""
    return DecisionOut.model_validate(await backend.preview_launch(lon, lat))


@router.get("/missions/{mission_id}", response_model=MissionDetailOut, summary="A mission in full")
async def get_mission(mission_id: str, backend: BackendDep, _: Viewer) -> MissionDetailOut:
    mission = await backend.store.get_mission(mission_id)
    events = await backend.store.mission_events(mission_id)
    decision = await backend.store.get_decision(mission_id)
    return MissionDetailOut(
        mission=MissionOut.model_validate(mission),
        events=[MissionEventOut.model_validate(e) for e in events],
        decision=None if decision is None else DecisionOut.model_validate(decision),
    )


@router.get("/missions/{mission_id}/events", response_model=list[MissionEventOut], summary="Timeline")
async def mission_events(mission_id: str, backend: BackendDep, _: Viewer) -> list[MissionEventOut]:
    await backend.store.get_mission(mission_id)  # 404 for an unknown mission, not an empty list
    return [MissionEventOut.model_validate(e) for e in await backend.store.mission_events(mission_id)]


@router.post(
    "/missions",
    response_model=MissionOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Launch a mission to a point (the planner picks the dock)",
)
async def launch(body: LaunchIn, backend: BackendDep, who: Dispatcher) -> MissionOut:
    command = OperatorCommand(
        CommandKind.LAUNCH,
        who.name,
        lon_deg=body.lon_deg,
        lat_deg=body.lat_deg,
        incident_id=body.incident_id,
        reason=body.note or None,
    )
    mission = await _run(backend, who, command, target="new")
    return MissionOut.model_validate(mission)


@router.post(
    "/missions/{mission_id}/commands",
    response_model=MissionOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Command a mission: abort, return, hold, goto, speak",
    responses={422: {"description": "a malformed command, or a go-to point inside a keep-out zone (named)"}},
)
async def command_mission(
    mission_id: str,
    body: Annotated[MissionCommandIn, Body()],
    backend: BackendDep,
    who: Dispatcher,
) -> MissionOut:
    command = OperatorCommand(CommandKind(body.command), who.name, mission_id=mission_id)
    if isinstance(body, AbortIn):
        command = OperatorCommand(command.kind, who.name, mission_id=mission_id, reason=body.reason)
    elif isinstance(body, GotoIn):
        command = OperatorCommand(
            command.kind, who.name, mission_id, lon_deg=body.lon_deg, lat_deg=body.lat_deg
        )
    elif isinstance(body, SpeakIn):
        command = OperatorCommand(
            command.kind, who.name, mission_id=mission_id, text=body.text, message=body.message
        )
    try:
        mission = await _run(backend, who, command, target=mission_id)
    except PointInKeepOut as exc:  # refused (and audited): no flight may go there
        problem = {"loc": ["body", "lon_deg"], "msg": str(exc), "type": "keep_out", "zone_id": exc.zone_id}
        raise HTTPException(422, detail=[problem]) from None
    return MissionOut.model_validate(mission)


async def _run(backend: ConsoleBackend, who: Principal, command: OperatorCommand, target: str) -> Mission:
    """Carry out a command and audit it: the outcome and the mission it launched or touched."""
    details = {
        k: v
        for k, v in {
            "lon_deg": command.lon_deg,
            "lat_deg": command.lat_deg,
            "text": command.text,
            "message": command.message,
            "reason": command.reason,
            "incident_id": command.incident_id,
        }.items()
        if v is not None
    }
    action = f"command.{command.kind.value}"
    try:
        mission = await backend.command(command)
    except Exception as exc:
        await audit(backend, who, action, target, outcome="refused", error=str(exc), **details)
        raise
    await audit(backend, who, action, mission.id, outcome="accepted", **details)
    return mission
