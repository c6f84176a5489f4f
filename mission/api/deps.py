"""FastAPI dependencies: the backend, the caller (bearer token → :class:`Principal`) and role
gates, and the audit helper every operator command goes through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mission.api.auth import AuthError, Principal, authenticate, bearer_from_header
from mission.api.backend import ConsoleBackend
from mission.api_settings import ApiSettings
from mission.model import AuditEntry, Role


def get_backend(request: Request) -> ConsoleBackend:
    backend: ConsoleBackend = request.app.state.backend
    return backend


def get_api_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.api_settings
    return settings


BackendDep = Annotated[ConsoleBackend, Depends(get_backend)]


def unauthorized(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, reason, headers={"WWW-Authenticate": "Bearer"})


#: Declares the bearer scheme in OpenAPI (the "Authorize" button of /docs); the header is parsed
#: below, so that a malformed one gets its own message.
_bearer_scheme = HTTPBearer(auto_error=False, description="an API token (POST /api/v1/tokens)")


async def current_principal(
    request: Request,
    backend: BackendDep,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
) -> Principal:
    """The caller named by the bearer token; 401 when missing, unknown or revoked."""
    try:
        token = bearer_from_header(request.headers.get("authorization"))
        return await authenticate(backend.store, token)
    except AuthError as exc:
        raise unauthorized(str(exc)) from None


def require(needed: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets through callers whose role includes ``needed`` (else 403 with why)."""

    async def gate(request: Request, who: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not who.role.allows(needed):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"{request.method} {request.url.path} needs role {needed.value}; "
                f"token {who.name!r} has role {who.role.value}",
            )
        return who

    return gate


Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Dispatcher = Annotated[Principal, Depends(require(Role.DISPATCHER))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


async def audit(
    backend: ConsoleBackend, who: Principal, action: str, target: str, **details: Any
) -> AuditEntry:
    """Write who did what to what, and when, to the audit log."""
    entry = AuditEntry(actor=who.name, role=who.role, action=action, target=target, details=details)
    await backend.store.add_audit(entry)
    return entry
