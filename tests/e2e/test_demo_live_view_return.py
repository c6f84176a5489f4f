"""The live view through a return (the demo stack at x10): a viewer watching a drone keeps getting
its camera while the mission, returned by command, flies it home, and once the drone has landed in
its dock the viewer is told why the picture stopped (``no_frames``, ``on_ground``) instead of being
left with a frozen frame."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from mission.app_demo import DemoOptions, DemoStack
from mission.app_sim import SimOptions
from tests.e2e.conftest import e2e_settings, get_json, until, until_available
from tests.e2e.test_demo_live_view import live_url, next_frame

SPEED = 10.0
#: 1.7 km east of D12, over the district's ground (no scene, no keep-out zone).
TARGET = (113.743784 + 0.019, 34.788441)
#: The return must be watched for at least this long (sim seconds between its first and last frame).
RETURN_WATCHED_S = 30.0


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[DemoStack]:
    options = DemoOptions(
        sim=SimOptions(speed=SPEED, battery_pct=95.0, alert_review_s=1e6),
        port=0,
        token="e2e-admin-token-0123456789abcdef",
        store_url=f"sqlite:///{tmp_path / 'skyloop.db'}",
    )
    async with DemoStack(e2e_settings(tmp_path), options) as stack:
        yield stack


async def test_the_camera_streams_through_a_return_and_says_when_the_drone_landed(
    demo: DemoStack, api: httpx.AsyncClient
) -> None:
    await until_available(api)
    r = await api.post("/api/v1/missions", json={"lon_deg": TARGET[0], "lat_deg": TARGET[1]})
    assert r.status_code == 202, r.text
    mission_id = r.json()["id"]

    async def mission() -> dict[str, Any]:
        return dict(await get_json(api, f"/api/v1/missions/{mission_id}"))

    detail = await until(
        mission,
        lambda m: m["mission"]["state"] == "en_route" and m["decision"]["drone_id"] is not None,
        90.0,
        "the drone en route",
    )
    drone_id = detail["decision"]["drone_id"]
    vehicle = next(d for d in demo.world.drones if d.drone_sn == drone_id).vehicle
    bearer = [Subprotocol(f"skyloop.bearer.{demo.token}")]
    async with connect(live_url(demo, drone_id, "rgb"), subprotocols=bearer) as ws:
        await next_frame(ws)
        r = await api.post(f"/api/v1/missions/{mission_id}/commands", json={"command": "return"})
        assert r.status_code == 202, r.text
        await until(mission, lambda m: m["mission"]["state"] == "returning", 30.0, "the mission returning")

        # the return: frames while the drone flies home, until it has landed and the viewer is told
        # (a loaded machine may stall the stream for a few wall seconds in flight: a "payload_silent"
        # status then, and "streaming" again with the next frame)
        returning_ms: list[int] = []
        landed: dict[str, Any] | None = None
        async with asyncio.timeout(120.0):  # a guard against a hang, not a timing check
            while landed is None:
                message = json.loads(await ws.recv())
                if message["type"] == "frame":
                    returning_ms.append(message["frame_timestamp_ms"])
                elif message["state"] == "no_frames" and message["reason"] == "on_ground":
                    landed = message
        watched_s = (returning_ms[-1] - returning_ms[0]) / 1000.0 if returning_ms else 0.0
        assert watched_s >= RETURN_WATCHED_S, f"{len(returning_ms)} frames over {watched_s:.0f} sim s"
        assert vehicle.state.motion.up_m < 2.0
        assert landed["last_frame_age_s"] is not None and landed["detail"]
