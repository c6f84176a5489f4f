"""WebSocket ``/api/v1/live``: a snapshot on connect, then fleet and mission changes as they happen,
and a heartbeat when nothing happened for ``[api] heartbeat_s``. Each client gets what its token's
role may see (the outbox and audit log: admins only; ``live_messages.visible_to``); a socket whose
token is revoked is closed with 1008 at once.

Browsers cannot set headers on a WebSocket, so the token may also come as a subprotocol —
``new WebSocket(url, ["skyloop", "skyloop.bearer." + token])``, which keeps it out of access logs —
or as ``?token=`` (simplest, but servers log URLs). An unauthenticated connection is closed with
code 1008 (policy violation) and the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from mission.api.auth import AuthError, Principal, authenticate, bearer_from_header
from mission.api.backend import ConsoleBackend, LiveItem, LiveSubscription
from mission.api.live_messages import heartbeat_message, item_message, revokes, snapshot_message
from mission.api_settings import ApiSettings

log = logging.getLogger(__name__)
router = APIRouter(tags=["live"])

SUBPROTOCOL = "skyloop"
BEARER_SUBPROTOCOL = "skyloop.bearer."


def _token(ws: WebSocket) -> tuple[str, str | None]:
    """The token (header, subprotocol or query) and the subprotocol to accept, if one was offered."""
    offered = [p.strip() for p in ws.headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    accept = SUBPROTOCOL if SUBPROTOCOL in offered else None
    header = ws.headers.get("authorization")
    if header:
        return bearer_from_header(header), accept
    for p in offered:
        if p.startswith(BEARER_SUBPROTOCOL):
            return p[len(BEARER_SUBPROTOCOL) :], accept
    return ws.query_params.get("token") or "", accept


@router.websocket("/live")
async def live(ws: WebSocket) -> None:
    backend: ConsoleBackend = ws.app.state.backend
    settings: ApiSettings = ws.app.state.api_settings
    accept: str | None = None
    try:
        token, accept = _token(ws)
        if not token:
            raise AuthError(
                "missing token (Authorization header, 'skyloop.bearer.<token>' subprotocol or ?token=)"
            )
        who = await authenticate(backend.store, token)
    except AuthError as exc:
        # accepted first so that a browser sees the code and reason (a refused handshake shows none)
        await ws.accept(subprotocol=accept)
        await ws.close(code=1008, reason=str(exc))
        return
    await ws.accept(subprotocol=accept)
    clients = ws.app.state.metrics.ws_clients
    clients.inc()
    sub = backend.subscribe_live(settings.live_queue)  # before the snapshot: nothing falls between
    try:
        async with anyio.create_task_group() as tasks:

            async def stream_then_stop() -> None:
                try:
                    await _send(ws, backend, sub, who, settings.heartbeat_s)
                except (WebSocketDisconnect, RuntimeError):  # RuntimeError: a send after the close
                    pass
                except Exception:
                    log.exception("live stream to %s failed", who.name)
                tasks.cancel_scope.cancel()

            async def watch_then_stop() -> None:
                await _until_disconnect(ws)
                tasks.cancel_scope.cancel()

            tasks.start_soon(stream_then_stop)
            tasks.start_soon(watch_then_stop)
    finally:
        sub.close()
        clients.dec()
    log.debug("live client %s gone", who.name)


async def _send(
    ws: WebSocket, backend: ConsoleBackend, sub: LiveSubscription, who: Principal, heartbeat_s: float
) -> None:
    """The snapshot, then every change ``who`` may see, with heartbeats in the quiet; closes with
    1001 when the stream ends (mission control shutting down).

    One pending read of the subscription is kept across heartbeats and never cancelled by one (a
    cancelled ``anext`` would finish a subscription iterated by an async generator)."""
    await ws.send_json(await snapshot_message(backend))
    stream = aiter(sub)
    pending: asyncio.Task[LiveItem | None] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.create_task(_next(stream), name="live-next")
            done, _ = await asyncio.wait({pending}, timeout=heartbeat_s)
            if not done:
                await ws.send_json(heartbeat_message())
                continue
            item, pending = pending.result(), None
            if item is None:
                await ws.close(code=1001, reason="mission control is shutting down")
                return
            if revokes(item, who.token_id):
                await ws.close(code=1008, reason="token revoked")
                return
            message = item_message(backend, item, who.role)
            if message is not None:
                await ws.send_json(message)
    finally:
        if pending is not None:
            pending.cancel()


async def _next(stream: AsyncIterator[LiveItem]) -> LiveItem | None:
    """The stream's next item; None when it has ended."""
    try:
        return await anext(stream)
    except StopAsyncIteration:
        return None


async def _until_disconnect(ws: WebSocket) -> None:
    """Read (and ignore) what the client sends until it goes away, so that a closed connection is
    noticed at once, not at the next heartbeat (and a server shutdown is not held up by it)."""
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
