"""WebSocket ``/api/v1/drones/{drone_id}/live-view?camera=rgb|thermal``: the drone's camera, a few
JPEG frames a second with the detector's boxes drawn (viewer role and up). The drone's payload
streams only while someone watches (:class:`mission.live_view_relay.LiveViewRelay`).

Each message is JSON: ``{"type": "frame", "camera", "seq", "frame_timestamp_ms",
"image_width_px", "image_height_px", "detections": [...], "jpeg_b64"}``, or a ``status`` when frames
stop and when they come back: ``{"type": "status", "state": "no_frames", "reason", "detail",
"last_frame_age_s"}`` after :data:`STALL_S` wall seconds without a frame (again when the reason
changes), ``{"type": "status", "state": "streaming"}`` with the next frame. The reason comes from
the drone's telemetry (:func:`no_frames_reason`): ``on_ground`` (landed, e.g. in its dock: no
picture until it flies), ``drone_offline`` (no telemetry) or ``payload_silent`` (it flies, its
payload sends nothing). The socket stays open: frames resume when the drone flies again. The token
comes as on ``/api/v1/live`` (subprotocol or ``?token=``). Closed with 1008 for a bad token, 4404
for an unknown drone, 4422 for an unknown camera and 1011 when the payload cannot start its stream.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import anyio
from fastapi import APIRouter, WebSocket

from docks.protocol.payload import LiveFrame
from mission.api.auth import AuthError, authenticate
from mission.api.backend import ConsoleBackend, DroneView
from mission.api.metrics import LIVE_VIEW_CAMERAS, ApiMetrics
from mission.api.routes.live import _token, _until_disconnect
from mission.live_view_relay import LiveViewError
from mission.ports import NotFound

log = logging.getLogger(__name__)
router = APIRouter(tags=["live"])

CAMERAS = LIVE_VIEW_CAMERAS
#: Wall seconds without a frame before the viewer gets a ``no_frames`` status (the stream asks for
#: 2 frames a second; the console turns the frame's age amber at 5 s too).
STALL_S = 5.0


def no_frames_reason(drone: DroneView | None) -> tuple[str, str]:
    """Why a drone's camera may send nothing, from its telemetry: (code, text for people)."""
    state = None if drone is None else drone.state
    if state is None or not state.link_ok:
        return "drone_offline", "no telemetry from the drone: it is off or out of reach"
    if not state.in_air:
        return "on_ground", "the drone is on the ground (in its dock): no picture until it flies"
    return "payload_silent", "the drone flies but its payload sends no frames (offline or overloaded)"


@router.websocket("/drones/{drone_id}/live-view")
async def live_view(ws: WebSocket, drone_id: str) -> None:
    backend: ConsoleBackend = ws.app.state.backend
    metrics: ApiMetrics = ws.app.state.metrics
    accept: str | None = None
    try:
        token, accept = _token(ws)
        if not token:
            raise AuthError("missing token ('skyloop.bearer.<token>' subprotocol or ?token=)")
        who = await authenticate(backend.store, token)
    except AuthError as exc:
        await ws.accept(subprotocol=accept)
        await _close(ws, metrics, 1008, str(exc))
        return
    await ws.accept(subprotocol=accept)
    camera = ws.query_params.get("camera", "rgb")
    if camera not in CAMERAS:
        await _close(ws, metrics, 4422, f"camera must be one of {', '.join(CAMERAS)}, got {camera!r}")
        return
    try:
        async with backend.live_view(drone_id, camera) as frames:
            viewers = metrics.live_view_viewers.labels(camera=camera)
            viewers.inc()
            try:
                await _relay(ws, frames, metrics, lambda: _reason(backend, drone_id))
            finally:
                viewers.dec()
    except NotFound as exc:
        await _close(ws, metrics, 4404, str(exc))
    except LiveViewError as exc:
        log.warning("live view for %s: %s", who.name, exc)
        await _close(ws, metrics, 1011, str(exc)[:120])
    else:
        metrics.live_view_closed.labels(code="normal").inc()
    log.debug("live view of %s for %s ended", drone_id, who.name)


def _reason(backend: ConsoleBackend, drone_id: str) -> tuple[str, str]:
    return no_frames_reason(next((d for d in backend.drones() if d.drone_id == drone_id), None))


async def _relay(
    ws: WebSocket,
    frames: asyncio.Queue[LiveFrame],
    metrics: ApiMetrics,
    reason: Callable[[], tuple[str, str]],
) -> None:
    """Send each frame until the viewer goes away; a status when frames stop and come back."""
    async with anyio.create_task_group() as tasks:

        async def send() -> None:
            last_frame_s: float | None = None
            stalled: str | None = None  # the reason last sent, while no frames come
            try:
                while True:
                    frame: LiveFrame | None = None
                    with anyio.move_on_after(STALL_S):
                        frame = await frames.get()
                    if frame is None:
                        code, text = reason()
                        if code != stalled:
                            stalled = code
                            age_s = None if last_frame_s is None else time.monotonic() - last_frame_s
                            await ws.send_json(_no_frames(code, text, age_s))
                        continue
                    if stalled is not None:
                        stalled = None
                        await ws.send_json({"type": "status", "state": "streaming"})
                    last_frame_s = time.monotonic()
                    await ws.send_json({"type": "frame", **frame.model_dump(mode="json")})
                    metrics.live_view_frames_sent.inc()
            except Exception:  # the browser went away mid-send
                pass
            tasks.cancel_scope.cancel()

        async def watch() -> None:
            await _until_disconnect(ws)
            tasks.cancel_scope.cancel()

        tasks.start_soon(send)
        tasks.start_soon(watch)


def _no_frames(code: str, text: str, age_s: float | None) -> dict[str, Any]:
    return {
        "type": "status",
        "state": "no_frames",
        "reason": code,
        "detail": text,
        "last_frame_age_s": None if age_s is None else round(age_s, 1),
    }


async def _close(ws: WebSocket, metrics: ApiMetrics, code: int, reason: str) -> None:
    metrics.live_view_closed.labels(code=str(code)).inc()
    await ws.close(code=code, reason=reason)
