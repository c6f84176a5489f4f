"""The console's live view through the demo stack (x10): a drone sent to the Long Lake fire shows the
district's ground moving under it while en route (RGB, then thermal), the fire with the detector's
box once on scene, and its payload stops streaming when the last viewer leaves. The payload runs
with its shipped settings (three hits confirm a lead); the live view draws tentative tracks too."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import cv2
import httpx
import numpy as np
import numpy.typing as npt
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from mission.app_demo import DemoOptions, DemoStack
from mission.app_sim import SimDrone, SimOptions
from payload.georef import wgs84_to_offset
from sim.scenarios import PLACES
from tests.e2e.conftest import CALLBACK_DELAYS_S, e2e_settings, get_json, post_source_alert, until
from tests.e2e.test_fire_to_closed_case import FIRE_LAT, FIRE_LON, light_fire

#: x10, not the other e2e tests' x20: the flight to the fire (1.7 km, the last 300 m near the scene)
#: then takes ~10 wall seconds, ample for three frames of the 2 Hz stream on a loaded machine (at
#: x20 a slow stream saw the drone reach the scene first).
SPEED = 10.0
#: Further than this from every scene's centre, the camera sees the district's ground (scenes: 150 m).
AWAY_M = 300.0

#: What the payload reports at the burning scene. Sped up, a circling drone's frames come many sim
#: seconds apart, so the fire detector's flicker check (ORB-aligned consecutive frames) rarely confirms the
#: flames while the smoke is found at once; either is the detector's box on the fire.
FIRE_CLASSES = frozenset({"fire", "smoke"})


def live_url(demo: DemoStack, drone_id: str, camera: str) -> str:
    host = urlsplit(demo.url).netloc
    return f"ws://{host}/api/v1/drones/{drone_id}/live-view?camera={camera}"


def distance_to_scenes_m(drone: SimDrone) -> float:
    m = drone.vehicle.state.motion
    lat, lon = drone.vehicle.frame.to_global(m.north_m, m.east_m)
    return min(float(np.hypot(*wgs84_to_offset(p.lon_deg, p.lat_deg, lon, lat))) for p in PLACES.values())


async def next_frame(ws: ClientConnection, wall_s: float = 30.0) -> dict[str, Any]:
    """The next frame; ``status`` messages before it are skipped (frames may stall for a few wall
    seconds on a loaded machine). ``wall_s`` guards against a hang; it is not a timing check."""
    async with asyncio.timeout(wall_s):
        while True:
            message = json.loads(await ws.recv())
            if message["type"] != "status":
                break
    assert message["type"] == "frame"
    return dict(message)


def decode(frame: dict[str, Any]) -> npt.NDArray[np.uint8]:
    jpeg = np.frombuffer(base64.b64decode(frame["jpeg_b64"]), np.uint8)
    image = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
    assert image is not None, "not a JPEG"
    return np.asarray(image, np.uint8)


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[DemoStack]:
    options = DemoOptions(
        sim=SimOptions(speed=SPEED, battery_pct=95.0, wind_mps=3.0, alert_review_s=1e6),
        port=0,
        token="e2e-admin-token-0123456789abcdef",
        store_url=f"sqlite:///{tmp_path / 'skyloop.db'}",
        callback_delays_s=dict(CALLBACK_DELAYS_S),
    )
    settings = e2e_settings(tmp_path)
    async with DemoStack(settings, options) as stack:
        yield stack


async def test_live_view_en_route_and_on_scene(demo: DemoStack, api: httpx.AsyncClient) -> None:
    light_fire(demo)
    await until(
        lambda: get_json(api, "/api/v1/docks"),
        lambda docks: all(d["availability"]["available"] for d in docks),
        60.0,
        "4 docks available",
    )
    r = await post_source_alert(api, {"type": "fire_smoke", "lon": FIRE_LON, "lat": FIRE_LAT, "crs": "wgs84"})
    assert r.status_code == 202 and r.json()["action"] == "launch", r.text
    incident_id = r.json()["incident"]["id"]

    async def mission() -> dict[str, Any] | None:
        missions = (await get_json(api, f"/api/v1/incidents/{incident_id}"))["missions"]
        return None if not missions else dict(await get_json(api, f"/api/v1/missions/{missions[0]['id']}"))

    detail = await until(
        mission,
        lambda m: m is not None and m["decision"] is not None and m["decision"]["drone_id"] is not None,
        30.0,
        "a drone for the fire",
    )
    mission_id = detail["mission"]["id"]
    drone_id = detail["decision"]["drone_id"]
    drone = next(d for d in demo.world.drones if d.drone_sn == drone_id)
    runner = demo.world.agents[drone_id]
    bearer = [Subprotocol(f"skyloop.bearer.{demo.token}")]

    # en route: the ground under the drone, RGB at the camera's size, changing as it flies
    async with connect(live_url(demo, drone_id, "rgb"), subprotocols=bearer) as ws:
        en_route: list[tuple[npt.NDArray[np.uint8], float]] = []
        while len(en_route) < 3:
            frame = await next_frame(ws)
            away = distance_to_scenes_m(drone)
            assert away > AWAY_M, f"the drone reached a scene ({away:.0f} m) before 3 frames came"
            assert frame["camera"] == "rgb" and frame["detections"] == []
            image = decode(frame)
            assert image.shape == (720, 1280, 3) == (frame["image_height_px"], frame["image_width_px"], 3)
            en_route.append((image, away))
        changes = [
            float(np.abs(a.astype(float) - b).mean()) for (a, _), (b, _) in itertools.pairwise(en_route)
        ]
        assert min(changes) > 4.0, changes  # more than sensor noise and JPEG: the ground moved

    # thermal: the same stream, the other camera
    async with connect(live_url(demo, drone_id, "thermal"), subprotocols=bearer) as ws:
        for _ in range(2):
            frame = await next_frame(ws)
            assert frame["camera"] == "thermal" and frame["image_width_px"] == 640
            image = decode(frame)
            assert abs(image.shape[1] / image.shape[0] - 1.25) < 0.01  # 640x512, or shrunk to fit its bytes

    # on scene: the fire's smoke or flames, with the detector's box drawn
    async with connect(live_url(demo, drone_id, "rgb"), subprotocols=bearer) as ws:
        deadline = time.monotonic() + 150.0
        fire: dict[str, Any] | None = None
        while fire is None:
            if time.monotonic() > deadline:
                leads = await get_json(api, "/api/v1/leads")
                m = await get_json(api, f"/api/v1/missions/{mission_id}")
                raise AssertionError(
                    f"no frame with a fire box; leads {[(x['class_name'], x['created_at']) for x in leads]}, "
                    f"mission {m['mission']['state']}, {distance_to_scenes_m(drone):.0f} m from a scene, "
                    f"last detections {frame['detections']}; events {[e['kind'] for e in m['events']]}"
                )
            frame = await next_frame(ws)
            if any(d["label"] in FIRE_CLASSES for d in frame["detections"]):
                fire = frame
        assert distance_to_scenes_m(drone) < 150.0
        box = next(d for d in fire["detections"] if d["label"] in FIRE_CLASSES)
        assert 0.0 < box["width"] < 0.5 and 0.0 < box["height"] < 0.5
        decode(fire)
        sent = runner.live_frames

    # the last viewer left: the relay told the payload to stop, and it sends no more frames
    async def request() -> object:
        return runner.agent.live.request

    await until(request, lambda r: r is None, 20.0, "live_view_stop at the payload")
    made = runner.agent.live.seq  # no frame is made after the stop ...

    async def published() -> int:
        return runner.live_frames

    # ... but one being made when it came still goes out: wait until every frame made has
    stopped = await until(published, lambda n: n == made, 20.0, f"the {made} frames made published")
    assert stopped >= sent
    await asyncio.sleep(1.5)  # three frames' time at the stream's 2 Hz
    assert (runner.live_frames, runner.agent.live.seq) == (stopped, made)
