"""Benchmark of the mission store: ``python -m bench.mission_store``.

Prints one table per backend (SQLite in a temp file; PostgreSQL at ``SKYLOOP_TEST_POSTGRES_URL`` or
``--postgres URL`` when reachable, in a scratch schema dropped afterwards):

- events/s appended by one writer (each ``append_event`` saves the mission row too: one transaction),
- events/s appended by N concurrent writers, each on its own mission,
- events/s read back (``mission_events`` of whole missions),
- outbox messages/s enqueued and due-polled.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import text

from mission.model import Mission, MissionEvent, MissionState, OutboxMessage, utc_now
from mission.store import SqlMissionStore
from mission.store.engine import create_sync_engine, display_url


async def _timed(work: Callable[[], Awaitable[int]]) -> float:
    """Operations per second of ``work`` (which returns how many it did)."""
    start = time.perf_counter()
    done = await work()
    return done / (time.perf_counter() - start)


async def _new_mission(store: SqlMissionStore) -> Mission:
    m = Mission(incident_id=None, lon_deg=113.76, lat_deg=34.78)
    await store.add_mission(m, MissionEvent(m.id, 1, "state", to_state=MissionState.REQUESTED))
    return m


async def _append(store: SqlMissionStore, m: Mission, count: int) -> int:
    for seq in range(2, count + 2):
        m.updated_at = utc_now()
        await store.append_event(MissionEvent(m.id, seq, "telemetry", data={"alt_m": seq % 120}), m)
    return count


async def run_backend(url: str, events: int, writers: int) -> list[tuple[str, float]]:
    store = await SqlMissionStore.open(url)
    rows: list[tuple[str, float]] = []
    try:
        one = await _new_mission(store)
        rows.append(("append_event, 1 writer (events/s)", await _timed(lambda: _append(store, one, events))))
        missions = [await _new_mission(store) for _ in range(writers)]
        per_writer = max(1, events // writers)

        async def concurrent() -> int:
            done = await asyncio.gather(*(_append(store, m, per_writer) for m in missions))
            return sum(done)

        rows.append((f"append_event, {writers} writers (events/s)", await _timed(concurrent)))

        async def read_back() -> int:
            n = 0
            for m in [one, *missions]:
                n += len(await store.mission_events(m.id))
            return n

        rows.append(("mission_events read (events/s)", await _timed(read_back)))
        count = max(1, events // 2)

        async def enqueue() -> int:
            for i in range(count):
                await store.enqueue(OutboxMessage("lead.created", {"i": i}, f"bench-{uuid.uuid4().hex}"))
            return count

        rows.append(("outbox enqueue (messages/s)", await _timed(enqueue)))

        async def poll() -> int:
            for _ in range(200):
                await store.due_messages(utc_now(), limit=20)
            return 200

        rows.append(("outbox due_messages poll, 20 due (polls/s)", await _timed(poll)))
    finally:
        await store.close()
    return rows


def _postgres_schema(base: str) -> tuple[str, str] | None:
    schema = f"skyloop_bench_{uuid.uuid4().hex[:8]}"
    engine = create_sync_engine(base)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        print(f"PostgreSQL at {display_url(base)} skipped: {type(exc).__name__}")
        return None
    finally:
        engine.dispose()
    sep = "&" if "?" in base else "?"
    return schema, f"{base}{sep}options={quote(f'-csearch_path={schema}')}"


def _drop_schema(base: str, schema: str) -> None:
    engine = create_sync_engine(base)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="events per row (default 2000)")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writers (default 8)")
    parser.add_argument("--postgres", default=os.environ.get("SKYLOOP_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    results: dict[str, list[tuple[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        results["SQLite (file, WAL)"] = asyncio.run(run_backend(url, args.events, args.writers))
    if args.postgres:
        made = _postgres_schema(args.postgres)
        if made is not None:
            schema, url = made
            try:
                results["PostgreSQL"] = asyncio.run(run_backend(url, args.events, args.writers))
            finally:
                _drop_schema(args.postgres, schema)
    names = list(results)
    labels = [label for label, _ in results[names[0]]]
    width = max(len(label) for label in labels)
    print(f"| {'row':<{width}} | " + " | ".join(f"{n:>18}" for n in names) + " |")
    print(f"|{'-' * (width + 2)}|" + "|".join("-" * 20 for _ in names) + "|")
    for i, label in enumerate(labels):
        print(f"| {label:<{width}} | " + " | ".join(f"{results[n][i][1]:>18,.0f}" for n in names) + " |")


if __name__ == "__main__":
    main()
