"""The console served for real: uvicorn on 127.0.0.1 (a free port), HTTP through httpx and the live
stream through a WebSocket client — the path a browser takes, which TestClient short-cuts."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from mission.api.app import create_app
from mission.api_settings import ApiSettings
from tests.integration.api.conftest import ADMIN_TOKEN
from tests.integration.api.console_fakes import TestBackend
from tests.integration.sockets import listening_socket, wait_started

#: Wall-clock patience for any one step (a guard against a hang on a loaded machine, not a timing check).
WAIT_S = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, TestBackend]]:
    backend = TestBackend()
    backend.feed_healthy_docks()
    with listening_socket() as sock:  # the port is ours from the start: no other process can take it
        port: int = sock.getsockname()[1]
        app = create_app(backend, ApiSettings(port=port), bootstrap_token=ADMIN_TOKEN)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        await wait_started(server, task, WAIT_S)
        try:
            yield f"127.0.0.1:{port}", backend
        finally:
            server.should_exit = True
            await task


async def receive_type(ws: Any, kind: str) -> dict[str, Any]:
    for _ in range(50):
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message")


async def test_http_and_live_over_real_sockets(served: tuple[str, TestBackend]) -> None:
    address, backend = served
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=WAIT_S) as http:
        assert (await http.get("/healthz")).json()["status"] == "ok"
        assert (await http.get("/api/v1/docks")).status_code == 401
        async with connect(f"ws://{address}/api/v1/live?token={ADMIN_TOKEN}", open_timeout=WAIT_S) as ws:
            snapshot = await receive_type(ws, "snapshot")
            assert len(snapshot["docks"]) == 16
            r = await http.post("/api/v1/missions", json={"lon_deg": 113.8, "lat_deg": 34.8}, headers=auth)
            assert r.status_code == 202
            message = await receive_type(ws, "mission")
            assert message["mission"]["id"] == r.json()["id"]
            assert backend.live.subscriber_count == 1
        # the server notices the closed socket without waiting for a heartbeat (15 s by default)
        async with asyncio.timeout(ApiSettings().heartbeat_s - 5.0):  # well before a heartbeat would tell
            while backend.live.subscriber_count:  # noqa: ASYNC110 - the hub has no event for it
                await asyncio.sleep(0.01)
        metrics = (await http.get("/metrics")).text
        assert "skyloop_live_clients 0.0" in metrics


async def test_live_token_as_a_subprotocol(served: tuple[str, TestBackend]) -> None:
    address, _ = served
    offered = ["skyloop", f"skyloop.bearer.{ADMIN_TOKEN}"]
    async with connect(f"ws://{address}/api/v1/live", subprotocols=offered, open_timeout=WAIT_S) as ws:  # type: ignore[arg-type]
        assert ws.subprotocol == "skyloop"
        assert (await receive_type(ws, "snapshot"))["docks"]


async def test_live_refuses_a_bad_token_over_real_sockets(served: tuple[str, TestBackend]) -> None:
    address, backend = served
    async with connect(f"ws://{address}/api/v1/live?token=wrong", open_timeout=WAIT_S) as ws:
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), WAIT_S)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 1008 and "unknown token" in info.value.rcvd.reason
    assert backend.live.subscriber_count == 0
