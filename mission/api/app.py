"""The FastAPI application: :func:`create_app` mounts one router per resource under ``/api/v1``,
maps backend errors to HTTP answers, counts requests for ``/metrics`` and creates the bootstrap
admin token at start. OpenAPI is served at ``/openapi.json``, its browsable form at ``/docs``."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from mission.alert_intake import ApprovalError
from mission.alerts import AlertInputError
from mission.api.auth import BOOTSTRAP_ENV, ensure_bootstrap_token
from mission.api.backend import CommandRejected, ConsoleBackend
from mission.api.body_limit import BodyLimit
from mission.api.metrics import ApiMetrics
from mission.api.routes import (
    admin,
    alerts,
    fleet,
    geography,
    grid,
    incidents,
    leads,
    live,
    live_view,
    missions,
    ops,
    outbox,
    speaker,
)
from mission.api.schemas_mission import ProblemOut
from mission.api_settings import ApiSettings
from mission.leads import LeadError
from mission.lifecycle import InvalidTransition
from mission.ports import NotFound
from mission.runner import UnknownMission
from mission.settings import Settings

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
API_VERSION = "1"
#: The dispatcher's web console (docs/console.md): index at ``/``, its files under ``/console/``.
CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
#: Errors every /api/v1 route may answer, documented in OpenAPI (docs/api.md, "Errors").
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ProblemOut, "description": "missing, malformed, unknown or revoked token"},
    403: {"model": ProblemOut, "description": "the token's role is too low; the detail says what is needed"},
    404: {"model": ProblemOut, "description": "no such object"},
    409: {"model": ProblemOut, "description": "not possible now (e.g. the mission is closed)"},
    413: {"model": ProblemOut, "description": "request body too large"},
}


def create_app(
    backend: ConsoleBackend,
    settings: ApiSettings | Settings | None = None,
    *,
    bootstrap_token: str | None = None,
) -> FastAPI:
    """The console over ``backend``. ``bootstrap_token`` (default ``$SKYLOOP_BOOTSTRAP_TOKEN``)
    becomes an admin token at start; a too-short one stops the start with a clear error."""
    api = settings.api if isinstance(settings, Settings) else (settings or ApiSettings())
    token = bootstrap_token if bootstrap_token is not None else os.environ.get(BOOTSTRAP_ENV)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if await ensure_bootstrap_token(backend.store, token):
            log.info("bootstrap admin token created from %s", BOOTSTRAP_ENV)
        yield

    app = FastAPI(
        title="Skyloop mission control",
        version=API_VERSION,
        summary="Drone-fleet mission control: docks, drones, alerts, incidents, missions, leads.",
        lifespan=lifespan,
    )
    app.state.backend = backend
    app.state.api_settings = api
    app.state.settings = settings if isinstance(settings, Settings) else None
    app.state.metrics = ApiMetrics()
    for module in (fleet, alerts, incidents, missions, leads, outbox, admin, live, live_view, geography):
        app.include_router(module.router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(speaker.router, prefix=API_PREFIX, responses=ERROR_RESPONSES)  # console
    app.include_router(grid.router, prefix=API_PREFIX)  # signed by the platform, no bearer token
    app.include_router(ops.router)
    _add_console(app)
    _add_error_handlers(app)
    _add_middleware(app, api)
    return app


def _add_console(app: FastAPI) -> None:
    """The web console: static files, no internet needed (no CDN, no map tiles)."""
    app.mount("/console", StaticFiles(directory=CONSOLE_DIR), name="console")

    @app.get("/", tags=["console"], summary="The web console (HTML; its files under /console/)")
    async def console_index() -> FileResponse:
        return FileResponse(CONSOLE_DIR / "index.html", headers={"Cache-Control": "no-cache"})


def _add_error_handlers(app: FastAPI) -> None:
    async def not_found(_: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": str(exc) or "not found"}, status_code=404)

    async def rejected(_: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    async def bad_alert(_: Request, exc: Exception) -> Response:
        field = getattr(exc, "field", "body")
        reason = getattr(exc, "reason", str(exc))
        problem = {"loc": ["body", *str(field).split("/")], "msg": reason, "type": "value_error"}
        return JSONResponse({"detail": [problem]}, status_code=422)

    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(CommandRejected, rejected)
    app.add_exception_handler(ApprovalError, rejected)
    app.add_exception_handler(LeadError, rejected)
    app.add_exception_handler(InvalidTransition, rejected)
    app.add_exception_handler(UnknownMission, rejected)  # stored, but not running here
    app.add_exception_handler(AlertInputError, bad_alert)


def _route_template(request: Request) -> str:
    """The request's path with path parameters put back as ``{name}``
    (``/api/v1/missions/{mission_id}``), so that metrics have one series per route, not one per
    id; ``unmatched`` when no route matched."""
    if "endpoint" not in request.scope:
        return "unmatched"
    params: dict[str, object] = request.scope.get("path_params") or {}
    by_value = {str(v): k for k, v in params.items()}
    segments = request.scope["path"].split("/")
    return "/".join("{" + by_value[seg] + "}" if seg in by_value else seg for seg in segments)


def _add_middleware(app: FastAPI, api: ApiSettings) -> None:
    metrics: ApiMetrics = app.state.metrics
    # inside the metrics middleware: an exception raised while the app reads the body must reach
    # FastAPI as the HTTPException it is (BaseHTTPMiddleware would wrap it)
    app.add_middleware(BodyLimit, max_bytes=api.max_body_bytes)

    @app.middleware("http")
    async def count(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = _route_template(request)
        metrics.requests.labels(request.method, route, str(response.status_code)).inc()
        metrics.latency.labels(route).observe(time.perf_counter() - started)
        return response

    if api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=api.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
