"""Operations: ``/healthz`` (no token: for load balancers and systemd) and ``/metrics`` (Prometheus
text format, no token: scrape it from the local network only)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from mission.api.deps import BackendDep
from mission.api.metrics import CONTENT_TYPE, ApiMetrics

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    summary="Health of mission control and its components (503 when one is down)",
    responses={503: {"description": "a component is down"}},
)
async def healthz(backend: BackendDep) -> JSONResponse:
    try:
        components = dict(await backend.health())
    except Exception as exc:  # a health check must answer, not fail
        return JSONResponse({"status": "down", "error": str(exc)}, status_code=503)
    ok = all(components.values())
    body = {"status": "ok" if ok else "degraded", "components": components}
    return JSONResponse(body, status_code=200 if ok else 503)


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics",
    responses={200: {"content": {"text/plain": {}}}},
)
async def metrics(request: Request, backend: BackendDep) -> Response:
    registry: ApiMetrics = request.app.state.metrics
    return Response(await registry.render(backend), media_type=CONTENT_TYPE)
