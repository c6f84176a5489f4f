"""Benchmark of the console's live stream: ``python -m bench.live_stream [--speeds 5,20] [--window-s 30]``.

For each speed-up it runs the whole demo stack (:class:`mission.app_demo.DemoStack`: 16 docks, 16
drones, the embedded broker, mission control and its API) in this process, waits until every dock is
available, opens ``WS /api/v1/live`` as a console does, launches one mission near Long Lake and counts
what the stream sends over ``--window-s`` wall seconds while that drone flies: messages and kilobytes
per second, by type. ``--no-conflation`` sends every fleet state event as it comes (the stream
before :class:`mission.api.live_hub.FleetConflator`), for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import httpx
import websockets

from mission.api import live_hub
from mission.app_demo import DemoOptions, DemoStack
from mission.app_sim import SimOptions
from mission.settings import load_settings

TOKEN = "bench-live-stream-admin-token-0123456789"
NEAR_LONG_LAKE = (113.7549, 34.8001)


@dataclass
class Row:
    speed: float
    conflated: bool
    msgs_per_s: float
    kb_per_s: float
    by_type: Counter[str]
    window_s: float


async def measure(speed: float, window_s: float, conflated: bool) -> Row:
    with tempfile.TemporaryDirectory() as tmp:
        options = DemoOptions(
            sim=SimOptions(speed=speed, battery_pct=95.0),
            port=0,
            token=TOKEN,
            store_url=f"sqlite:///{Path(tmp) / 'skyloop.db'}",
        )
        async with DemoStack(load_settings(), options) as demo:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with httpx.AsyncClient(base_url=demo.url, headers=headers, timeout=60.0) as api:
                await _until_every_dock_available(api)
                url = demo.url.replace("http", "ws", 1) + f"/api/v1/live?token={TOKEN}"
                async with websockets.connect(url, max_size=None) as ws:
                    lon, lat = NEAR_LONG_LAKE
                    r = await api.post("/api/v1/missions", json={"lon_deg": lon, "lat_deg": lat})
                    r.raise_for_status()
                    return await _count(ws, speed, window_s, conflated)


async def _until_every_dock_available(api: httpx.AsyncClient, wait_s: float = 120.0) -> None:
    for _ in range(int(wait_s / 0.5)):
        if all(d["availability"]["available"] for d in (await api.get("/api/v1/docks")).json()):
            return
        await asyncio.sleep(0.5)
    raise TimeoutError(f"not every dock available within {wait_s:g} s")


async def _count(ws: websockets.ClientConnection, speed: float, window_s: float, conflated: bool) -> Row:
    by_type: Counter[str] = Counter()
    size = 0
    start = time.monotonic()
    end = start + window_s
    while (left := end - time.monotonic()) > 0:
        try:
            message = await asyncio.wait_for(ws.recv(), left)
        except TimeoutError:
            break
        size += len(message)
        by_type[str(json.loads(message).get("type"))] += 1
    wall_s = time.monotonic() - start
    return Row(speed, conflated, sum(by_type.values()) / wall_s, size / wall_s / 1000.0, by_type, wall_s)


def _unconflated(publish: object, *_args: object, **_kwargs: object) -> object:
    """A stand-in for FleetConflator that forwards every event."""
    return publish


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.live_stream", description=__doc__.split("\n")[0])
    parser.add_argument("--speeds", default="5,20", help="comma-separated sim speed-ups (default 5,20)")
    parser.add_argument("--window-s", type=float, default=30.0, help="wall seconds counted per row")
    parser.add_argument("--no-conflation", action="store_true", help="also measure without the conflation")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    speeds = [float(x) for x in args.speeds.split(",") if x.strip()]
    modes = [True, False] if args.no_conflation else [True]
    print("console live stream (WS /api/v1/live) of the demo stack, one mission flying")
    print(f"{'speed':>5} | {'fleet updates':>13} | {'msgs/s':>7} | {'kB/s':>6} | by type (per s)")
    for speed in speeds:
        for conflated in modes:
            if conflated:
                row = asyncio.run(measure(speed, args.window_s, True))
            else:
                with mock.patch.object(live_hub, "FleetConflator", _unconflated):
                    row = asyncio.run(measure(speed, args.window_s, False))
            types = ", ".join(f"{t} {n / row.window_s:.1f}" for t, n in row.by_type.most_common(4))
            mode = "conflated" if row.conflated else "every one"
            print(
                f"{row.speed:>5g} | {mode:>13} | {row.msgs_per_s:>7.1f} | {row.kb_per_s:>6.1f} | {types}",
                flush=True,
            )


if __name__ == "__main__":
    main()
