"""WebSocket ``/api/v1/live``: a snapshot on connect, then fleet and mission changes as they happen,
and a heartbeat when nothing happened for ``[api] heartbeat_s``.

Browsers cannot set headers on a WebSocket, so the token may also come as a subprotocol —
``new WebSocket(url, ["skyloop", "skyloop.bearer." + token])``, which keeps it out of access logs —
or as ``?token=`` (simplest, but servers log URLs). An unauthenticated connection is closed with
code 1008 (policy violation) and the reason.
"""

from __future__ import annotations

import asyncio
import logging

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from mission.api.auth import AuthError, authenticate, bearer_from_header
from mission.api.backend import ConsoleBackend, LiveItem, LiveSubscription
from mission.api.live_messages import heartbeat_message, item_message, snapshot_message
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
                    await _send(ws, backend, sub, settings.heartbeat_s)
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


async def _send(ws: WebSocket, backend: ConsoleBackend, sub: LiveSubscription, heartbeat_s: float) -> None:
    """The snapshot, then every change, with heartbeats in the quiet; closes with 1001 when the
    stream ends (mission control shutting down)."""
    await ws.send_json(await snapshot_message(backend))
    stream = aiter(sub)
    while True:
        try:
            item: LiveItem = await asyncio.wait_for(anext(stream), heartbeat_s)
        except TimeoutError:
            await ws.send_json(heartbeat_message())
            continue
        except StopAsyncIteration:
            await ws.close(code=1001, reason="mission control is shutting down")
            return
        message = item_message(backend, item)
        if message is not None:
            await ws.send_json(message)


async def _until_disconnect(ws: WebSocket) -> None:
    """Read (and ignore) what the client sends until it goes away, so that a closed connection is
    noticed at once, not at the next heartbeat (and a server shutdown is not held up by it)."""
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
