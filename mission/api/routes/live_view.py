"""WebSocket ``/api/v1/drones/{drone_id}/live-view?camera=rgb|thermal``: the drone's camera, a few
JPEG frames a second with the detector's boxes drawn (viewer role and up). The drone's payload
streams only while someone watches (:class:`mission.live_view_relay.LiveViewRelay`).

Each message is JSON: ``{"type": "frame", "camera", "seq", "frame_timestamp_ms",
"image_width_px", "image_height_px", "detections": [...], "jpeg_b64"}``. The token comes as on
``/api/v1/live`` (subprotocol or ``?token=``). Closed with 1008 for a bad token, 4404 for an
unknown drone, 4422 for an unknown camera and 1011 when the payload cannot start its stream.
"""

from __future__ import annotations

import logging

import anyio
from fastapi import APIRouter, WebSocket

from mission.api.auth import AuthError, authenticate
from mission.api.backend import ConsoleBackend
from mission.api.routes.live import _token, _until_disconnect
from mission.live_view_relay import LiveViewError
from mission.ports import NotFound

log = logging.getLogger(__name__)
router = APIRouter(tags=["live"])

CAMERAS = ("rgb", "thermal")


@router.websocket("/drones/{drone_id}/live-view")
async def live_view(ws: WebSocket, drone_id: str) -> None:
    backend: ConsoleBackend = ws.app.state.backend
    accept: str | None = None
    try:
        token, accept = _token(ws)
        if not token:
            raise AuthError("missing token ('skyloop.bearer.<token>' subprotocol or ?token=)")
        who = await authenticate(backend.store, token)
    except AuthError as exc:
        await ws.accept(subprotocol=accept)
        await ws.close(code=1008, reason=str(exc))
        return
    await ws.accept(subprotocol=accept)
    camera = ws.query_params.get("camera", "rgb")
    if camera not in CAMERAS:
        await ws.close(code=4422, reason=f"camera must be one of {', '.join(CAMERAS)}, got {camera!r}")
        return
    try:
        async with backend.live_view(drone_id, camera) as frames, anyio.create_task_group() as tasks:

            async def send() -> None:
                try:
                    while True:
                        frame = await frames.get()
                        await ws.send_json({"type": "frame", **frame.model_dump(mode="json")})
                except Exception:  # the browser went away mid-send
                    pass
                tasks.cancel_scope.cancel()

            async def watch() -> None:
                await _until_disconnect(ws)
                tasks.cancel_scope.cancel()

            tasks.start_soon(send)
            tasks.start_soon(watch)
    except NotFound as exc:
        await ws.close(code=4404, reason=str(exc))
    except LiveViewError as exc:
        log.warning("live view for %s: %s", who.name, exc)
        await ws.close(code=1011, reason=str(exc)[:120])
    log.debug("live view of %s for %s ended", drone_id, who.name)
