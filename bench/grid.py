"""Leads and the grid outbox: how fast detections become stored leads, and leads reach the platform.

    python -m bench.grid [--leads N] [--url STORE_URL]

Rows (on the real store: a temporary SQLite file unless ``--url``; the stand-in grid platform on
127.0.0.1): new leads ingested per second (one ``ai_detection`` event each, policy mixed: fire goes out,
people wait), sightings merged per second into those leads, and outbox deliveries per second to the
stand-in (one worker, sequential, signed), each with per-call p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from docks.protocol.payload import AiDetection, Detection
from mission.lead_settings import GridSettings, LeadSettings
from mission.leads import LeadIntake
from mission.model import OutboxStatus
from mission.outbox import OutboxWorker
from mission.store import SqlMissionStore
from sim.grid_platform import GridPlatformStandIn, StandInConfig

SECRET = "bench-secret"


def _event(i: int, label: str, lead_id: str) -> AiDetection:
    lon, lat = 113.72 + (i % 100) * 0.002, 34.75 + (i // 100) * 0.002  # ≈ 180 m apart: no merging
    d = Detection(
        label=label,
        confidence=0.9,
        x=0.4,
        y=0.4,
        width=0.1,
        height=0.1,
        latitude_deg=lat,
        longitude_deg=lon,
        lead_id=lead_id,
        uncertainty_m=8.0,
        frames_confirmed=3,
    )
    return AiDetection(frame_timestamp_ms=i, detections=(d,), snapshot_jpeg_b64="/9j/" + "A" * 20_000)


def _row(name: str, times_s: list[float]) -> str:
    ms = sorted(t * 1000 for t in times_s)
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
    rate = len(ms) / max(sum(times_s), 1e-9)
    return f"| {name} | {len(ms)} | {rate:,.0f} | {statistics.median(ms):.2f} | {p99:.2f} |"


async def _timed(n: int, call: Callable[[int], Awaitable[object]]) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        await call(i)
        out.append(time.perf_counter() - t0)
    return out


async def run(n: int, url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = await SqlMissionStore.open(url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            async with GridPlatformStandIn(StandInConfig(secret=SECRET, callback_delays_s={})) as platform:
                grid = GridSettings(webhook_url=platform.webhook_url, secret=SECRET)
                intake = LeadIntake(store, LeadSettings(grid=grid))
                labels = ("fire", "person")
                new = await _timed(n, lambda i: intake.ingest("D1", _event(i, labels[i % 2], f"t{i}")))
                merged = await _timed(n, lambda i: intake.ingest("D2", _event(i, labels[i % 2], f"u{i}")))
                async with httpx.AsyncClient() as client:
                    worker = OutboxWorker(store, grid, client)
                    due = [m for m in await store.list_messages(limit=n) if m.status is OutboxStatus.PENDING]
                    sent = await _timed(len(due), lambda i: worker.deliver(due[i]))
                assert len(platform.leads()) == len(due), "every queued lead reaches the platform once"
        finally:
            await store.close()
    where = "SQLite (temporary file)" if url is None else url
    print(f"store: {where}; snapshots ≈ 15 kB; the stand-in grid platform on 127.0.0.1\n")
    print("| row | n | per s | p50 ms | p99 ms |\n|---|---|---|---|---|")
    print(_row("new lead ingested (event → stored, fire queued in the outbox)", new))
    print(_row("sighting merged into an open lead", merged))
    print(_row("outbox delivery to the stand-in (signed POST → 201 → stored)", sent))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=500, help="leads per row (default 500)")
    parser.add_argument("--url", help="store URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    asyncio.run(run(args.leads, args.url))


if __name__ == "__main__":
    main()
