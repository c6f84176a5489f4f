"""Benchmark of the demo stack: ``python -m bench.stack [--docks 16] [--speeds 1,10] [--window-s 10]``.

For each speed-up it brings up the whole stack of ``skyloop demo`` in this process (the sim world of
:mod:`mission.app_sim` on the embedded broker and the fleet side of :mod:`mission.app_fleet`) and
prints one row:

* **start-up**: wall seconds from nothing to the components up (broker, docks, vehicles, payload
  agents and alert sources connected; fleet side subscribed, MAVSDK links added), to every dock
  available in the fleet manager, and to every drone's MAVSDK link healthy;
* **CPU**: process CPU time (every thread: MAVSDK's, the payload agents', asyncio's) per wall second
  over ``--window-s`` of steady running after start-up, in % of one core, and the messages the fleet
  manager took in per wall second over that window;
* **load**: the MAVLink messages the sim vehicles sent per wall second (their streams run in sim time,
  stretched beyond ``sim.vehicle.vehicle.MAX_STREAM_SPEEDUP``) and the event loop's lag over the
  window (p95 and worst of 50 ms sleeps).

Drones start fully charged so that every dock can become available.

``--coverage [--calls N] [--speed 20] [--profile]`` instead times the console's coverage now: first
the computation in this process with no demo (the uncached ``coverage_without``, then
:class:`mission.coverage_now.CoverageCache` misses and hits; calm and 3 m/s of unknown direction),
then ``GET /api/v1/coverage`` against the whole demo stack (:class:`mission.app_demo.DemoStack`, all
docks): N calls with the docks as they are and N on a new availability set each (one dock withdrawn
for maintenance), quiet and with one mission flying, with the event loop's worst lag meanwhile and
the cache's misses. ``--profile`` adds a cProfile of one computation inside the demo, with its
thread's CPU time against its wall time. ``--quiet-only`` / ``--demo-only`` run one part.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import time
from dataclasses import dataclass
from typing import Any

from fleet.flight_waits import wait_until
from mission.app_fleet import FleetSide, build_registry
from mission.app_sim import SimOptions, SimWorld
from mission.settings import load_settings


@dataclass
class Row:
    docks: int
    speed: float
    up_s: float
    available_s: float
    healthy_s: float
    cpu_pct: float
    osd_per_s: float
    telemetry_per_s: float
    mavlink_per_s: float
    lag_p95_ms: float
    lag_max_ms: float


async def measure(docks: int, speed: float, window_s: float) -> Row:
    settings = load_settings()
    t0 = time.monotonic()
    async with SimWorld(settings, SimOptions(speed=speed, dock_count=docks, battery_pct=100.0)) as world:
        assert world.url is not None
        registry = build_registry(settings, only=world.dock_ids)
        async with FleetSide(
            settings, world.url, world.drone_specs(), registry=registry, clock=world.clock
        ) as fleet:
            up_s = time.monotonic() - t0
            manager = fleet.manager
            async with manager.subscribe() as sub, asyncio.timeout(120.0):
                while not all(manager.availability(d).available for d in registry.dock_ids):
                    await anext(sub)
            available_s = time.monotonic() - t0
            links = [fleet.drones.drone(spec.drone_id) for spec in world.drone_specs()]
            await asyncio.gather(
                *(
                    wait_until(link, lambda t: t.health is not None and t.health.all_ok, 120.0, "healthy")
                    for link in links
                )
            )
            healthy_s = time.monotonic() - t0
            vehicles = world.vehicles.vehicles if world.vehicles is not None else []
            osd0, tel0 = manager.osd_ingested, manager.telemetry_ingested
            sent0 = sum(v.endpoint.sent_count for v in vehicles)
            cpu0, wall0 = time.process_time(), time.monotonic()
            lags = await _lags_over(window_s)
            cpu_s, wall_s = time.process_time() - cpu0, time.monotonic() - wall0
            sent = sum(v.endpoint.sent_count for v in vehicles) - sent0
            return Row(
                docks,
                speed,
                up_s,
                available_s,
                healthy_s,
                100.0 * cpu_s / wall_s,
                (manager.osd_ingested - osd0) / wall_s,
                (manager.telemetry_ingested - tel0) / wall_s,
                sent / wall_s,
                1000.0 * lags[int(0.95 * (len(lags) - 1))],
                1000.0 * lags[-1],
            )


async def _lags_over(window_s: float, tick_s: float = 0.05) -> list[float]:
    """The event loop's lag on ``tick_s`` sleeps for ``window_s``, sorted."""
    lags: list[float] = []
    end = time.monotonic() + window_s
    while time.monotonic() < end:
        t = time.monotonic()
        await asyncio.sleep(tick_s)
        lags.append(max(0.0, time.monotonic() - t - tick_s))
    return sorted(lags)


# --- coverage now inside the running demo (--coverage) -----------------------------------------


@dataclass
class CoverageRow:
    case: str
    calls: int
    latencies_s: list[float]
    loop_lag_max_s: float | None
    misses: int | None


async def _loop_lag(stop: asyncio.Event, worst: list[float], tick_s: float = 0.05) -> None:
    """The event loop's worst lateness while it runs (how long a demo task waited to run)."""
    while not stop.is_set():
        t = time.monotonic()
        await asyncio.sleep(tick_s)
        worst[0] = max(worst[0], time.monotonic() - t - tick_s)


async def _coverage_calls(api: Any, manager: Any, sets: list[str | None]) -> tuple[list[float], float]:
    """One ``GET /api/v1/coverage`` per entry of ``sets``: None asks with the docks as they are, a
    dock id first withdraws that dock for maintenance (the previous one back), a new availability
    set each time. (latencies, the event loop's worst lag meanwhile)"""
    stop, worst = asyncio.Event(), [0.0]
    lag = asyncio.create_task(_loop_lag(stop, worst))
    out: list[float] = []
    withdrawn: str | None = None
    try:
        for dock_id in sets:
            if dock_id is not None:
                if withdrawn is not None:
                    manager.set_maintenance(withdrawn, None)
                manager.set_maintenance(dock_id, "bench: a new availability set")
                withdrawn = dock_id
            t = time.perf_counter()
            r = await api.get("/api/v1/coverage")
            r.raise_for_status()
            out.append(time.perf_counter() - t)
    finally:
        if withdrawn is not None:
            manager.set_maintenance(withdrawn, None)
        stop.set()
        await lag
    return out, worst[0]


def _misses(backend: Any) -> int | None:
    cache = getattr(backend, "coverage_cache", None)
    return None if cache is None else int(cache.misses)


async def measure_coverage(speed: float, calls: int, profile: bool) -> list[CoverageRow]:
    """The console's coverage in the demo stack of ``skyloop demo`` (all docks, ``speed``): ``calls``
    requests with the docks as they are and ``calls`` each on a new availability set, quiet and
    with one mission flying."""
    import httpx

    from mission.app_demo import DemoOptions, DemoStack
    from sim.scenarios import LONG_LAKE

    options = DemoOptions(sim=SimOptions(speed=speed, battery_pct=100.0), port=0)
    settings = load_settings()
    # a loaded machine starts the world slowly: mission control's link gets a minute to connect
    mqtt = settings.mqtt.model_copy(update={"request_timeout_s": max(60.0, settings.mqtt.request_timeout_s)})
    settings = settings.model_copy(update={"mqtt": mqtt})
    rows: list[CoverageRow] = []
    async with DemoStack(settings, options) as demo:
        control = demo.control
        assert control is not None and control.fleet is not None and control.backend is not None
        manager, backend = control.fleet.manager, control.backend
        # on a loaded machine some drones take minutes to get their geofence on board: go on with
        # the docks available after 3 minutes
        with contextlib.suppress(TimeoutError):
            async with manager.subscribe() as sub, asyncio.timeout(180.0):
                while not all(manager.availability(d).available for d in manager.registry.dock_ids):
                    await anext(sub)
        docks = list(manager.registry.dock_ids)
        free_now = sum(manager.availability(d).available for d in docks)
        print(f"demo up at x{speed:g}, {free_now} of {len(docks)} docks available", flush=True)
        if profile:
            await _profile_one(backend.planning, backend)
        headers = {"Authorization": f"Bearer {demo.token}"}
        async with httpx.AsyncClient(base_url=demo.url, headers=headers, timeout=300.0) as api:
            for flying in (False, True):
                if flying:
                    lon, lat = LONG_LAKE.at(1.0, 30.0)
                    r = await api.post("/api/v1/missions", json={"lon_deg": lon, "lat_deg": lat})
                    r.raise_for_status()
                    try:
                        await _until_airborne(api, r.json()["id"])
                    except (RuntimeError, TimeoutError) as exc:
                        print(f"no mission flying, its rows are left out: {exc!r}", flush=True)
                        break
                label = "one mission flying" if flying else "quiet"
                free = [d for d in docks if manager.availability(d).available]
                for case, sets in (
                    ("docks as they are", [None] * calls),
                    ("a new availability set each call", [free[i % len(free)] for i in range(calls)]),
                ):
                    before = _misses(backend)
                    lat_s, lag_s = await _coverage_calls(api, manager, sets)
                    after = _misses(backend)
                    misses = None if before is None or after is None else after - before
                    rows.append(CoverageRow(f"{label}: {case}", calls, lat_s, lag_s, misses))
                    free_now = sum(manager.availability(d).available for d in docks)
                    print(
                        f"  {rows[-1].case}: {', '.join(f'{s:.2f}' for s in lat_s)} s; "
                        f"misses {misses}; {free_now} docks available after",
                        flush=True,
                    )
    return rows


async def _until_airborne(api: Any, mission_id: str, timeout_s: float = 120.0) -> None:
    async with asyncio.timeout(timeout_s):
        while True:
            m = (await api.get(f"/api/v1/missions/{mission_id}")).json()
            m = m["mission"]
            if m["state"] in ("en_route", "on_scene", "supervising"):
                return
            if m["state"] in ("closed", "aborted", "failed"):
                raise RuntimeError(f"the bench's mission ended {m['state']}: {m.get('reason')}")
            await asyncio.sleep(0.2)


async def _profile_one(planning: Any, backend: Any) -> None:
    """cProfile of one coverage computation in a worker thread of the running demo, with its
    thread's CPU time against its wall time (the rest waits for the GIL or a CPU): the uncached
    ``coverage_without`` and, when the backend keeps a cache, the cache's own computation of an
    answer it has not kept (a new availability set)."""
    from mission.api.fleet_views import coverage_without, unavailable_now

    wind = backend.dispatcher.wind()
    unavailable = unavailable_now(planning, backend.fleet)
    await _profiled("coverage_without (uncached)", lambda: coverage_without(planning, unavailable, wind))
    cache = getattr(backend, "coverage_cache", None)
    if cache is not None:
        spare = next((d.id for d in planning.docks if d.id not in unavailable), None)
        fresh = dict(list(unavailable.items())[1:])  # a set not kept yet
        if spare is not None:
            fresh = {**unavailable, spare: "bench: a set not kept yet"}
        await _profiled("CoverageCache.coverage_for (a miss)", lambda: cache.coverage_for(fresh, wind))


async def _profiled(what: str, call: Any) -> None:
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()

    def run() -> tuple[float, float]:
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        prof.enable()
        call()
        prof.disable()
        return time.thread_time() - cpu0, time.perf_counter() - wall0

    cpu_s, wall_s = await asyncio.to_thread(run)
    print(f"\n{what} in the demo: wall {wall_s:.2f} s, its thread's CPU {cpu_s:.2f} s")
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(18)
    print(out.getvalue())


def quiet_coverage(calls: int) -> list[CoverageRow]:
    """The same computations in this process with no demo running (the reference district and
    docks, one dock out per call so every call is a new availability set): the uncached
    ``coverage_without``, the cache's misses and its hits, calm and in the demo's 3 m/s of unknown
    direction."""
    from geo.model import Wind
    from mission.api.fleet_views import coverage_without
    from mission.coverage_now import CoverageCache
    from mission.geo_config import load_planning

    planning = load_planning(load_settings())
    ids = [d.id for d in planning.docks]
    rows: list[CoverageRow] = []
    for wind in (Wind.calm(), Wind.unknown_direction(3.0)):
        label = "calm" if not wind.unknown else "3 m/s, direction unknown"
        sets = [{ids[i % len(ids)]: "bench"} for i in range(calls)]
        cases: list[tuple[str, Any]] = [
            ("uncached coverage_without", lambda u, w=wind: coverage_without(planning, u, w))
        ]
        cache = CoverageCache(planning)
        cases += [
            ("cache: a new set each call (miss)", lambda u, w=wind, c=cache: c.cached(u, w)),
            ("cache: the same sets again (hit)", lambda u, w=wind, c=cache: c.cached(u, w)),
        ]
        for case, call in cases:
            lat: list[float] = []
            for unavailable in sets:
                t = time.perf_counter()
                call(unavailable)
                lat.append(time.perf_counter() - t)
            rows.append(CoverageRow(f"no demo, {label}: {case}", calls, lat, None, None))
            print(f"  {rows[-1].case}: {', '.join(f'{s:.2f}' for s in lat)} s", flush=True)
    return rows


def print_coverage(rows: list[CoverageRow], speed: float) -> None:
    print(
        f"\ncoverage now (k = 1), wall seconds a call: 'no demo' rows call the computation in this process; "
        f"the others GET /api/v1/coverage from the demo stack at x{speed:g} (16 docks, one process)"
    )
    print(
        f"{'case':<72} | {'calls':>5} | {'p50 s':>6} | {'max s':>6} | {'mean s':>6} | "
        f"{'loop lag max s':>14} | {'misses':>6}"
    )
    for r in rows:
        misses = "-" if r.misses is None else str(r.misses)
        lag = "-" if r.loop_lag_max_s is None else f"{r.loop_lag_max_s:.3f}"
        print(
            f"{r.case:<72} | {r.calls:>5} | {statistics.median(r.latencies_s):>6.3f} | "
            f"{max(r.latencies_s):>6.3f} | {statistics.mean(r.latencies_s):>6.3f} | "
            f"{lag:>14} | {misses:>6}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stack", description=__doc__.split("\n")[0])
    parser.add_argument("--docks", type=int, default=16)
    parser.add_argument("--speeds", default="1,10", help="comma-separated speed-ups (default 1,10)")
    parser.add_argument("--window-s", type=float, default=10.0, help="wall seconds of steady running per row")
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="instead: GET /api/v1/coverage in the demo stack (all docks), quiet and with a mission flying",
    )
    parser.add_argument("--calls", type=int, default=5, help="--coverage: requests per case (default 5)")
    parser.add_argument("--speed", type=float, default=20.0, help="--coverage: sim speed-up (default 20)")
    parser.add_argument(
        "--profile", action="store_true", help="--coverage: also cProfile one computation in the demo"
    )
    parser.add_argument("--quiet-only", action="store_true", help="--coverage: no demo, this process only")
    parser.add_argument("--demo-only", action="store_true", help="--coverage: the demo rows only")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR, format="%(asctime)s %(name)s: %(message)s"
    )
    if args.coverage:
        quiet = quiet_coverage(args.calls) if not args.demo_only else []
        rows = (
            asyncio.run(measure_coverage(args.speed, args.calls, args.profile)) if not args.quiet_only else []
        )
        print_coverage(quiet + rows, args.speed)
        return
    speeds = [float(x) for x in args.speeds.split(",") if x.strip()]
    print(f"demo stack, {args.docks} docks + drones + payload agents, embedded broker, one process")
    print(
        f"{'speed':>5} | {'up s':>5} | {'docks available s':>17} | {'drones healthy s':>16} | "
        f"{'CPU % of a core':>15} | {'dock OSD/s':>10} | {'drone telemetry/s':>18} | "
        f"{'MAVLink sent/s':>14} | {'loop lag p95/max ms':>19}"
    )
    for speed in speeds:
        r = asyncio.run(measure(args.docks, speed, args.window_s))
        print(
            f"{r.speed:>5g} | {r.up_s:>5.2f} | {r.available_s:>17.2f} | {r.healthy_s:>16.2f} | "
            f"{r.cpu_pct:>15.0f} | {r.osd_per_s:>10.1f} | {r.telemetry_per_s:>18.0f} | "
            f"{r.mavlink_per_s:>14.0f} | {f'{r.lag_p95_ms:.0f}/{r.lag_max_ms:.0f}':>19}",
            flush=True,
        )


if __name__ == "__main__":
    main()
