"""WebSocket ``/api/v1/live``: a snapshot on connect, then fleet and mission changes as they happen,
and a heartbeat when nothing happened for ``[api] heartbeat_s``.

Browsers cannot set headers on a WebSocket, so the token may also come as ``?token=``; an
unauthenticated connection is closed with code 1008 (policy violation) and the reason.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from mission.api.auth import AuthError, authenticate, bearer_from_header
from mission.api.backend import ConsoleBackend, LiveItem
from mission.api.live_messages import heartbeat_message, item_message, snapshot_message
from mission.api_settings import ApiSettings

log = logging.getLogger(__name__)
router = APIRouter(tags=["live"])


@router.websocket("/live")
async def live(ws: WebSocket) -> None:
    backend: ConsoleBackend = ws.app.state.backend
    settings: ApiSettings = ws.app.state.api_settings
    try:
        header = ws.headers.get("authorization")
        token = bearer_from_header(header) if header else ws.query_params.get("token") or ""
        if not token:
            raise AuthError("missing token (Authorization: Bearer <token>, or ?token=)")
        who = await authenticate(backend.store, token)
    except AuthError as exc:
        await ws.close(code=1008, reason=str(exc))
        return
    await ws.accept()
    clients = ws.app.state.metrics.ws_clients
    clients.inc()
    sub = backend.subscribe_live(settings.live_queue)  # before the snapshot: nothing falls between
    stream = aiter(sub)
    try:
        await ws.send_json(await snapshot_message(backend))
        while True:
            try:
                item: LiveItem = await asyncio.wait_for(anext(stream), settings.heartbeat_s)
            except TimeoutError:
                await ws.send_json(heartbeat_message())
                continue
            except StopAsyncIteration:
                await ws.close(code=1001, reason="mission control is shutting down")
                return
            message = item_message(backend, item)
            if message is not None:
                await ws.send_json(message)
    except WebSocketDisconnect:
        log.debug("live client %s disconnected", who.name)
    finally:
        sub.close()
        clients.dec()
