"""Administration: API tokens (created once, stored hashed, revoked) and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Query, status

from mission.api.auth import issue_token
from mission.api.deps import Admin, BackendDep, audit
from mission.api.schemas_mission import AuditOut, TokenCreatedOut, TokenIn, TokenOut

router = APIRouter(tags=["admin"])


@router.get("/tokens", response_model=list[TokenOut], summary="Every token (never the token itself)")
async def list_tokens(backend: BackendDep, _: Admin) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in await backend.store.list_tokens()]


@router.post(
    "/tokens",
    response_model=TokenCreatedOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a token; it is shown once, only its hash is kept",
)
async def create_token(body: TokenIn, backend: BackendDep, who: Admin) -> TokenCreatedOut:
    live = [t for t in await backend.store.list_tokens() if t.revoked_at is None and t.name == body.name]
    if live:
        raise HTTPException(409, f"a live token named {body.name!r} exists; revoke it or pick another name")
    record, token = await issue_token(backend.store, body.name, body.role)
    await audit(backend, who, "token.create", record.id, name=body.name, role=body.role.value)
    return TokenCreatedOut(token=token, info=TokenOut.model_validate(record))


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a token (it stops working at once)",
)
async def revoke_token(token_id: str, backend: BackendDep, who: Admin) -> None:
    if token_id == who.token_id:
        raise HTTPException(409, "a token may not revoke itself; use another admin token")
    await backend.store.revoke_token(token_id, datetime.now(UTC))
    await audit(backend, who, "token.revoke", token_id)


@router.get("/audit", response_model=list[AuditOut], summary="The audit log, newest first")
async def audit_log(backend: BackendDep, _: Admin, limit: int = Query(100, ge=1, le=1000)) -> list[AuditOut]:
    return [AuditOut.model_validate(e) for e in await backend.store.list_audit(limit)]
