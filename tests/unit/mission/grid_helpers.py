"""Shared builders for the lead, outbox and grid-callback tests: a manual clock, ``ai_detection``
events, and a local uvicorn server for a test's own FastAPI app."""

from __future__ import annotations

import asyncio
import base64
import math
import socket
from datetime import UTC, datetime, timedelta

import uvicorn
from fastapi import FastAPI

from docks.protocol.payload import AiDetection, Detection

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
LON, LAT = 113.755, 34.800  # 龙湖
SECRET = "our-delivery-secret"
CALLBACK_SECRET = "platform-callback-secret"


class ManualClock:
    """A UTC clock that moves only when told."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def wall(self) -> float:
        return self.now.timestamp()


def offset(lon_deg: float, lat_deg: float, east_m: float, north_m: float) -> tuple[float, float]:
    """A point ``east_m``/``north_m`` away (small distances)."""
    dlat = north_m / 111_195.0
    dlon = east_m / (111_195.0 * math.cos(math.radians(lat_deg)))
    return lon_deg + dlon, lat_deg + dlat


def detection(
    label: str = "fire",
    confidence: float = 0.9,
    lon: float = LON,
    lat: float = LAT,
    uncertainty_m: float = 8.0,
    frames: int = 3,
    lead_id: str | None = "track-a",
    georeferenced: bool = True,
) -> Detection:
    return Detection(
        label=label,
        confidence=confidence,
        x=0.4,
        y=0.4,
        width=0.1,
        height=0.1,
        latitude_deg=lat if georeferenced else None,
        longitude_deg=lon if georeferenced else None,
        lead_id=lead_id,
        uncertainty_m=uncertainty_m,
        frames_confirmed=frames,
        camera="rgb",
        t_peak_c=420.0 if label == "fire" else None,
    )


def event(
    *detections: Detection, jpeg: bytes | None = b"\xff\xd8jpeg-1\xff\xd9", t_ms: int = 1000
) -> AiDetection:
    return AiDetection(
        flight_id="F1",
        frame_timestamp_ms=t_ms,
        detections=detections,
        image_width_px=640,
        image_height_px=480,
        snapshot_jpeg_b64=base64.b64encode(jpeg).decode() if jpeg else None,
    )


class LocalServer:
    """Serves a FastAPI app on 127.0.0.1 at a free port for the length of an ``async with``."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LocalServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP_NODELAY
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="off"))
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                await self._task
                raise RuntimeError("test server stopped while starting")
            await asyncio.sleep(0.005)
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        await self._task


async def eventually(condition: object, timeout_s: float = 30.0) -> None:
    """Wait (real time, polling) until ``condition()`` is true; fail after ``timeout_s``."""
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
