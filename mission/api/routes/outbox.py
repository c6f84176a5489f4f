"""The grid-platform outbox: what was sent, what is waiting, what gave up (``dead``), and an
operator's retry of a dead message (audited)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from mission.api.deps import BackendDep, Dispatcher, Viewer, audit
from mission.api.schemas_mission import OutboxOut
from mission.model import OutboxStatus

router = APIRouter(tags=["outbox"])


@router.get("/outbox", response_model=list[OutboxOut], summary="Messages to the grid platform, newest first")
async def list_outbox(
    backend: BackendDep,
    _: Viewer,
    status: OutboxStatus | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[OutboxOut]:
    messages = await backend.store.list_messages(limit if status is None else 1000)
    if status is not None:
        messages = [m for m in messages if m.status is status][:limit]
    return [OutboxOut.model_validate(m) for m in messages]


@router.post("/outbox/{message_id}/retry", response_model=OutboxOut, summary="Retry a dead message now")
async def retry(message_id: str, backend: BackendDep, who: Dispatcher) -> OutboxOut:
    try:
        message = await backend.retry_message(message_id, who.name)
    except Exception as exc:
        await audit(backend, who, "outbox.retry", message_id, outcome="refused", error=str(exc))
        raise
    await audit(backend, who, "outbox.retry", message_id, outcome="done")
    return OutboxOut.model_validate(message)
