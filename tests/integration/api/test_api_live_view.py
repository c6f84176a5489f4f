"""Live view over the API: a viewer's WebSocket starts the drone's payload stream, receives the JPEG
frames the relay gets, and the payload is told to stop when the last viewer leaves; a camera switch,
an unknown drone or camera, a missing token and a payload that refuses are answered clearly."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from docks.protocol.payload import LiveFrame
from tests.integration.api.conftest import ADMIN_TOKEN
from tests.integration.api.console_fakes import TestBackend


def frame(camera: str, seq: int) -> LiveFrame:
    image = np.zeros((48, 64, 3), np.uint8)
    cv2.rectangle(image, (10, 10), (30, 30), (0, 255, 255), 2)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return LiveFrame(
        camera=camera,
        seq=seq,
        frame_timestamp_ms=1_000 * seq,
        image_width_px=64,
        image_height_px=48,
        jpeg_b64=base64.b64encode(bytes(data)).decode(),
    )


#: Wall-clock patience for the server's side (a guard against a hang on a loaded machine, not a timing check).
WAIT_S = 30.0


def eventually(check: Callable[[], bool]) -> None:
    """Wait (up to ``WAIT_S``) for the server's side of the socket to catch up."""
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, "the server never got there"
        time.sleep(0.01)


def url(drone_id: str, camera: str = "rgb", token: str = ADMIN_TOKEN) -> str:
    return f"/api/v1/drones/{drone_id}/live-view?camera={camera}&token={token}"


def test_frames_reach_the_viewer_and_the_stream_stops_with_the_last_one(
    client: TestClient, backend: TestBackend, viewer: dict[str, str]
) -> None:
    drone = backend.drones()[0].drone_id
    token = viewer["Authorization"].removeprefix("Bearer ")
    assert client.portal is not None
    with client.websocket_connect(url(drone, "thermal", token)) as ws:
        eventually(lambda: backend.relay.watching(drone) == 1)
        assert backend.payload_calls == [("start", drone, "thermal")]
        client.portal.call(backend.relay.deliver, drone, frame("rgb", 1))  # not the camera asked for
        client.portal.call(backend.relay.deliver, drone, frame("thermal", 2))
        message = ws.receive_json()
        assert message["type"] == "frame" and message["camera"] == "thermal" and message["seq"] == 2
        jpeg = base64.b64decode(message["jpeg_b64"])
        img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert img is not None and img.shape[:2] == (48, 64)
        # a second viewer switches the drone to RGB for both
        with client.websocket_connect(url(drone, "rgb")) as ws2:
            eventually(lambda: backend.relay.watching(drone) == 2)
            client.portal.call(backend.relay.deliver, drone, frame("rgb", 3))
            assert ws2.receive_json()["seq"] == 3 and ws.receive_json()["seq"] == 3
        eventually(lambda: backend.relay.watching(drone) == 1)
        assert ("stop", drone) not in backend.payload_calls
    eventually(lambda: backend.relay.watching(drone) == 0)
    eventually(lambda: backend.payload_calls[-1] == ("stop", drone))
    assert backend.payload_calls == [("start", drone, "thermal"), ("start", drone, "rgb"), ("stop", drone)]


@pytest.mark.parametrize(
    ("path", "code"),
    [
        (url("no-such-drone"), 4404),
        (url("{drone}", camera="uv"), 4422),
        (url("{drone}", token="sky_wrong"), 1008),
    ],
)
def test_bad_requests_are_closed_with_the_reason(
    client: TestClient, backend: TestBackend, path: str, code: int
) -> None:
    path = path.format(drone=backend.drones()[0].drone_id)
    with client.websocket_connect(path) as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    assert closed.value.code == code and closed.value.reason
    assert backend.payload_calls == []


def test_a_payload_that_cannot_stream_closes_the_socket_with_why(
    client: TestClient, backend: TestBackend
) -> None:
    backend.refuse_live_view = True
    with (
        client.websocket_connect(url(backend.drones()[0].drone_id)) as ws,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        ws.receive_json()
    assert closed.value.code == 1011 and "no such camera" in closed.value.reason
    assert backend.relay.watching(backend.drones()[0].drone_id) == 0
