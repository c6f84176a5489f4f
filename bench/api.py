"""Benchmark of the HTTP console: latency of reads, coverage now, and signed alerts per second
accepted with nothing lost — in process (httpx over ASGI, no sockets) and through uvicorn on
127.0.0.1. The backend is the API tests' (a fed fleet manager of the 16 reference docks, real
coverage, real alert intake and source authentication, the in-memory store), so the figures are
the API's own cost plus those real parts, not a database's.

    .venv/bin/python -m bench.api [--reads 500] [--alerts 500] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx
import uvicorn

from mission.api.app import create_app
from mission.api.auth import ensure_bootstrap_token
from mission.api_settings import ApiSettings
from mission.webhook_auth import sign
from tests.integration.api.console_fakes import TestBackend
from tests.unit.mission.alert_helpers import HMAC_SECRET, VIDEO_TOKEN, offset_wgs84

ADMIN = "bench-admin-token-0123456789abcdef"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _timed(
    n: int, call: Callable[[int], Awaitable[None]], concurrency: int
) -> tuple[list[float], float]:
    gate = asyncio.Semaphore(concurrency)
    lat: list[float] = []

    async def one(i: int) -> None:
        async with gate:
            t = time.perf_counter()
            await call(i)
            lat.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return lat, time.perf_counter() - start


async def _run_case(
    client: httpx.AsyncClient, backend: TestBackend, args: argparse.Namespace
) -> list[list[str]]:
    auth = {"Authorization": f"Bearer {ADMIN}"}
    rows: list[list[str]] = []

    async def docks(_: int) -> None:
        r = await client.get("/api/v1/docks", headers=auth)
        r.raise_for_status()

    lat, wall = await _timed(args.reads, docks, 1)
    rows.append(
        ["GET /api/v1/docks (16 docks), sequential", f"{args.reads}", *_ms(lat), f"{args.reads / wall:.0f}"]
    )

    async def coverage(_: int) -> None:
        r = await client.get("/api/v1/coverage", headers=auth)
        r.raise_for_status()

    n_cov = max(5, args.reads // 50)
    lat, wall = await _timed(n_cov, coverage, 1)
    rows.append(["GET /api/v1/coverage (k = 1)", f"{n_cov}", *_ms(lat), f"{n_cov / wall:.1f}"])

    before = len(backend.store.alerts)
    run = time.time_ns()

    async def alert(i: int) -> None:
        lon, lat_ = offset_wgs84(-6000.0 + (i % 40) * 300.0, -3000.0 + (i // 40) * 300.0)
        body = json.dumps({"type": "crowd", "lon": lon, "lat": lat_, "id": f"B{run}-{i}"}).encode()
        headers = {"X-Skyloop-Source": "video_ai", "Authorization": f"Bearer {VIDEO_TOKEN}"}
        headers |= {"Content-Type": "application/json"} | sign(HMAC_SECRET, body)
        r = await client.post("/api/v1/alerts", content=body, headers=headers)
        if r.status_code not in (200, 202, 422):
            raise RuntimeError(f"alert {i}: {r.status_code} {r.text}")

    lat, wall = await _timed(args.alerts, alert, args.concurrency)
    stored = len(backend.store.alerts) - before
    rows.append(
        [
            f"POST /api/v1/alerts signed, {args.concurrency} in flight ({stored}/{args.alerts} stored)",
            f"{args.alerts}",
            *_ms(lat),
            f"{args.alerts / wall:.0f}",
        ]
    )
    return rows


def _ms(lat: list[float]) -> list[str]:
    return [f"{statistics.median(lat) * 1e3:.2f}", f"{_pct(lat, 0.99) * 1e3:.2f}"]


async def _until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Poll ``condition`` (uvicorn offers no started event) until true or the timeout."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("uvicorn did not start")
        await asyncio.sleep(0.01)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def main_async(args: argparse.Namespace) -> None:
    table: list[list[str]] = []
    backend = TestBackend()
    backend.feed_healthy_docks()
    app = create_app(backend, ApiSettings())
    await ensure_bootstrap_token(backend.store, ADMIN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        table += [["in process", *row] for row in await _run_case(client, backend, args)]

    backend = TestBackend()
    backend.feed_healthy_docks()
    port = _free_port()
    config = uvicorn.Config(
        create_app(backend, ApiSettings(), bootstrap_token=ADMIN),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await _until(lambda: server.started)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            table += [["uvicorn 127.0.0.1", *row] for row in await _run_case(client, backend, args)]
    finally:
        server.should_exit = True
        await task
    head = ["transport", "request", "n", "p50 ms", "p99 ms", "per s"]
    widths = [max(len(r[i]) for r in [head, *table]) for i in range(len(head))]
    for r in [head, ["-" * w for w in widths], *table]:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reads", type=int, default=500)
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
