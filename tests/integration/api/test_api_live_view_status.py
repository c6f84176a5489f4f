"""Live view when frames stop: the viewer is told (``status`` ``no_frames`` with why, from the
drone's telemetry) instead of being left with a frozen picture, keeps its socket, and gets
``streaming`` and the frames again when they come back."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from fleet.model import DroneState
from mission.api.backend import DroneView
from mission.api.routes import live_view
from mission.api.routes.live_view import no_frames_reason
from tests.integration.api.conftest import ADMIN_TOKEN
from tests.integration.api.console_fakes import TestBackend
from tests.integration.api.test_api_live_view import eventually, frame


def url(drone_id: str) -> str:
    return f"/api/v1/drones/{drone_id}/live-view?camera=rgb&token={ADMIN_TOKEN}"


def receive(ws: WebSocketTestSession) -> dict[str, Any]:
    message = ws.receive_json()
    assert isinstance(message, dict)
    return message


def test_the_viewer_is_told_when_frames_stop_and_why_and_when_they_come_back(
    client: TestClient, backend: TestBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_view, "STALL_S", 0.3)
    drone = backend.drones()[0].drone_id
    backend.manager.put_drone_state(DroneState(drone, in_air=True, link_ok=True))
    assert client.portal is not None
    with client.websocket_connect(url(drone)) as ws:
        eventually(lambda: backend.relay.watching(drone) == 1)
        client.portal.call(backend.relay.deliver, drone, frame("rgb", 1))
        assert receive(ws)["seq"] == 1
        # no more frames while it flies: the payload is silent
        silent = receive(ws)
        assert silent["type"] == "status" and silent["state"] == "no_frames"
        assert silent["reason"] == "payload_silent" and silent["detail"]
        assert silent["last_frame_age_s"] >= 0.3
        # it lands (in its dock): the reason changes, the viewer is told once more
        backend.manager.put_drone_state(DroneState(drone, in_air=False, link_ok=True))
        landed = receive(ws)
        assert (landed["type"], landed["state"], landed["reason"]) == ("status", "no_frames", "on_ground")
        # it flies again: frames come back on the same socket
        client.portal.call(backend.relay.deliver, drone, frame("rgb", 2))
        assert receive(ws) == {"type": "status", "state": "streaming"}
        again = receive(ws)
        assert again["type"] == "frame" and again["seq"] == 2
    assert backend.payload_calls[0] == ("start", drone, "rgb")


def test_no_first_frame_is_a_no_frames_status_without_an_age(
    client: TestClient, backend: TestBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_view, "STALL_S", 0.3)
    drone = backend.drones()[0].drone_id  # never heard from
    with client.websocket_connect(url(drone)) as ws:
        status = receive(ws)
    assert status["state"] == "no_frames" and status["reason"] == "drone_offline"
    assert status["last_frame_age_s"] is None


@pytest.mark.parametrize(
    ("state", "code"),
    [
        (None, "drone_offline"),
        (DroneState("D01-UAV", in_air=True, link_ok=False), "drone_offline"),
        (DroneState("D01-UAV", in_air=False, link_ok=True), "on_ground"),
        (DroneState("D01-UAV", in_air=True, link_ok=True), "payload_silent"),
    ],
)
def test_the_reason_comes_from_the_drones_telemetry(state: DroneState | None, code: str) -> None:
    assert no_frames_reason(DroneView("D01-UAV", "D01", state))[0] == code
    assert no_frames_reason(None)[0] == "drone_offline"
