"""Alerts: intake from sources (each with its own token and, when configured, a webhook signature)
or from a dispatcher's API token, listing, and a dispatcher's decision on alerts waiting for
approval.

A source names itself in ``X-Skyloop-Source`` and authenticates with its own bearer token (and the
``X-Skyloop-Timestamp``/``X-Skyloop-Signature`` pair); without that header the bearer token is an
API token of a dispatcher or admin, and the alert's source is ``console``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse

from mission.alerts import AlertDecision, IntakeAction
from mission.api.auth import AuthError, authenticate, bearer_from_header
from mission.api.backend import SourceRefused
from mission.api.deps import BackendDep, Dispatcher, Viewer, audit, unauthorized
from mission.api.schemas_mission import AlertIn, AlertOut, AlertReceiptOut, DecisionIn, IncidentOut
from mission.model import AlertStatus, Role

router = APIRouter(tags=["alerts"])

SOURCE_HEADER = "X-Skyloop-Source"
CONSOLE_SOURCE = "console"


async def alert_sender(request: Request, backend: BackendDep) -> str:
    """The source an alert comes from (see the module docstring); 401/403 otherwise."""
    source = (request.headers.get(SOURCE_HEADER) or "").strip()
    if source:
        try:
            await backend.authenticate_source(source, request.headers, await request.body())
        except SourceRefused as exc:
            raise unauthorized(f"source {source!r}: {exc}") from None
        return source
    try:
        who = await authenticate(backend.store, bearer_from_header(request.headers.get("authorization")))
    except AuthError as exc:
        raise unauthorized(f"{exc}; a source also names itself in {SOURCE_HEADER}") from None
    if not who.role.allows(Role.DISPATCHER):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"raising an alert needs role dispatcher; token {who.name!r} has role {who.role.value}",
        )
    return CONSOLE_SOURCE


def receipt(decision: AlertDecision) -> AlertReceiptOut:
    incident = None if decision.incident is None else IncidentOut.model_validate(decision.incident)
    return AlertReceiptOut(
        action=decision.action.value,
        reason=decision.reason,
        alert=AlertOut.model_validate(decision.alert),
        incident=incident,
    )


@router.post(
    "/alerts",
    response_model=AlertReceiptOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Raise an alert (sources: own token and signature; dispatchers: their API token)",
    responses={
        200: {"model": AlertReceiptOut, "description": "a re-delivery of an alert already stored"},
        422: {"description": "invalid, or refused and stored as rejected (outside the district and reach)"},
    },
)
async def post_alert(
    body: AlertIn, backend: BackendDep, source: Annotated[str, Depends(alert_sender)]
) -> Response:
    decision = await backend.submit_alert(body.model_dump(mode="json", exclude_none=True), source)
    answer = receipt(decision).model_dump(mode="json")
    code = {
        IntakeAction.ALREADY_SEEN: status.HTTP_200_OK,
        IntakeAction.REJECT: 422,
    }.get(decision.action, status.HTTP_202_ACCEPTED)
    if decision.action is IntakeAction.REJECT:
        answer["detail"] = decision.reason
    return JSONResponse(answer, status_code=code)


@router.get("/alerts", response_model=list[AlertOut], summary="Recent alerts, newest first")
async def list_alerts(
    backend: BackendDep,
    _: Viewer,
    status: AlertStatus | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[AlertOut]:
    return [AlertOut.model_validate(a) for a in await backend.store.list_alerts(status, limit)]


@router.get("/alerts/{alert_id}", response_model=AlertOut, summary="One alert")
async def get_alert(alert_id: str, backend: BackendDep, _: Viewer) -> AlertOut:
    return AlertOut.model_validate(await backend.store.get_alert(alert_id))


@router.post(
    "/alerts/{alert_id}/decision",
    response_model=AlertReceiptOut,
    summary="Approve (launch) or reject an alert waiting for approval",
)
async def decide_alert(
    alert_id: str, body: DecisionIn, backend: BackendDep, who: Dispatcher
) -> AlertReceiptOut:
    action = "alert.approve" if body.approve else "alert.reject"
    try:
        decision = await backend.decide_alert(alert_id, body.approve, who.name, body.note)
    except Exception as exc:
        await audit(backend, who, action, alert_id, outcome="refused", error=str(exc), note=body.note)
        raise
    await audit(backend, who, action, alert_id, outcome="done", note=body.note)
    return receipt(decision)
