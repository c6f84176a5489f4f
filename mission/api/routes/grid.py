"""The grid platform's case callbacks (accepted, dispatched, resolved): ``POST /api/v1/grid/callbacks``.

No bearer token: the platform signs each callback with the shared ``[leads.grid] callback_secret``
(HMAC over timestamp and body, :mod:`mission.grid_callbacks`), and a callback whose signature does
not check out is answered 401. The body is read up to :data:`MAX_CALLBACK_BYTES` (413 beyond).
A backend that receives callbacks implements :class:`GridCallbackReceiver`; without one the route
answers 503, so the platform keeps the callback and tries again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from mission.api.deps import BackendDep
from mission.grid_callbacks import CallbackError, CallbackResult
from mission.model import LeadStatus

router = APIRouter(tags=["grid platform"])

#: A callback is a small JSON object; anything larger is refused before it is parsed.
MAX_CALLBACK_BYTES = 64 * 1024


@runtime_checkable
class GridCallbackReceiver(Protocol):
    """A backend that applies the grid platform's callbacks (``GridCallbacks.handle``)."""

    async def grid_callback(self, body: bytes, headers: Mapping[str, str]) -> CallbackResult:
        """Verify and apply one callback; raise :class:`CallbackError` with the HTTP status."""
        ...


class CallbackOut(BaseModel):
    lead_id: str
    status: LeadStatus
    changed: bool  # False: a repeated or late callback, acknowledged without effect


class CallbackProblem(BaseModel):
    detail: str


async def _read_capped(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"callback body above {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/grid/callbacks",
    response_model=CallbackOut,
    summary="A case status callback from the grid platform (HMAC-signed, no bearer token)",
    responses={
        401: {"model": CallbackProblem, "description": "bad or missing signature, or a stale timestamp"},
        404: {"model": CallbackProblem, "description": "no such lead"},
        409: {"model": CallbackProblem, "description": "the lead was never sent to the platform"},
        413: {"model": CallbackProblem, "description": "body too large"},
        422: {"model": CallbackProblem, "description": "the body is not a valid callback"},
        503: {"model": CallbackProblem, "description": "this mission control takes no callbacks"},
    },
)
async def grid_callback(request: Request, backend: BackendDep) -> JSONResponse:
    if not isinstance(backend, GridCallbackReceiver):
        return JSONResponse({"detail": "grid callbacks are not configured here"}, status_code=503)
    body = await _read_capped(request, MAX_CALLBACK_BYTES)
    try:
        result = await backend.grid_callback(body, request.headers)
    except CallbackError as exc:
        return JSONResponse({"detail": exc.reason}, status_code=exc.status_code)
    out = CallbackOut(lead_id=result.lead_id, status=result.status, changed=result.changed)
    return JSONResponse(out.model_dump(mode="json"))
