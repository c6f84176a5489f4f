"""Benchmark of mission control's planner: ``python -m bench.mission``.

Prints one table: the time of one dispatch decision (p50/p99 over random incident points) for the
16 reference docks (reference district, keep-out routing, coverage tie-break) and for 1,000 docks
on a 4 km grid (keep-out routing of the reference zones, no coverage tie-break) — the planner
alone on the fleet manager's candidates, and ``candidates`` + planner together. The first
coverage answer of an availability set (reach regions built) is shown separately: later decisions
find it cached. Then alert intake on the SQL store (SQLite in a temporary file): alerts submitted
by concurrent senders through :class:`mission.alert_intake.AlertIntake` (validate, convert GCJ-02,
deduplicate, store), accepted per second, per-alert latency p50/p99, and a count that nothing was
lost. Last, "alert accepted → takeoff command sent" (software only): a fire alert submitted to the
console backend (intake on SQLite, the mission stored, dispatched against the 16 reference docks,
``Planned`` to the executor) until the drone link's ``arm`` call, the dock's preparation answered
at once by an in-memory dock (so dock preparation, the broker and MAVLink are excluded). The
executor's route around the keep-out zones, planned before each go-to
(:class:`mission.flight_routes.FlightRoutes`), is timed between random pairs of points.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import shapely

from fleet.manager import FleetManager
from fleet.model import (
    CoverStatus,
    DockActivity,
    DockState,
    DockWeather,
    RainLevel,
    SortieSpec,
)
from fleet.registry import DockRecord, DockTypeSpec, FleetRegistry
from geo.crs import LocalFrame, wgs84_to_gcj02
from geo.model import EnergyParams, ReachParams, Wind
from mission.alert_intake import AlertIntake, alert_area
from mission.alert_settings import AlertSource
from mission.alerts import IntakeAction
from mission.flight_routes import FlightRoutes
from mission.geo_config import PlanningInputs, load_planning
from mission.model import AlertType
from mission.planner import Planner, dock_sites
from mission.planner_coverage import UncoveredArea
from mission.settings import Settings, load_settings

WIND = Wind(4.0, 300.0)


def _healthy(manager: FleetManager) -> None:
    now = manager.clock.now_s()
    for entry in manager.registry:
        manager.put_dock_state(
            DockState(
                dock_id=entry.dock_id,
                online=True,
                activity=DockActivity.IDLE,
                cover=CoverStatus.CLOSED,
                drone_in_dock=True,
                battery_pct=98.0,
                weather=DockWeather(wind_mps=WIND.speed_mps, rain=RainLevel.NONE, temperature_c=18.0),
                network_quality=5,
                osd_at_s=now,
                status_at_s=now,
            )
        )


def _registry(s: Settings, records: list[DockRecord], frame: LocalFrame) -> FleetRegistry:
    types = {n: DockTypeSpec.from_mapping(n, t.model_dump()) for n, t in s.dock_types.items()}
    reach = ReachParams(**s.planning.reach.model_dump(), target_s=s.planning.target_s)
    energy = EnergyParams(**s.planning.energy.model_dump())
    return FleetRegistry(records, types, frame.to_local, reach, energy)


def reference_fleet(s: Settings, p: PlanningInputs) -> FleetManager:
    frame = p.district.frame
    records = []
    for d in p.docks:
        lon, lat = frame.to_wgs84(d.x_m, d.y_m)
        kind = "dock3" if d.launch_wind_limit_mps >= 12 else "dock2"
        records.append(DockRecord(d.id, kind, float(lon), float(lat)))
    manager = FleetManager(
        _registry(s, records, frame),
        s.fleet,
        wind_margin_mps=s.planning.wind_margin_mps,
        route_length=p.router.path_length_m,
    )
    _healthy(manager)
    return manager


def grid_fleet(s: Settings, p: PlanningInputs, count: int) -> FleetManager:
    frame = p.district.frame
    c = p.district.boundary_m.centroid
    side = max(1, round(count**0.5))
    records = []
    for i in range(count):
        x = c.x + 4000.0 * (i % side - side / 2)
        y = c.y + 4000.0 * (i // side - side / 2)
        if p.router.inside([(x, y)])[0]:
            x += 2500.0  # a dock never stands in a keep-out zone
        lon, lat = frame.to_wgs84(x, y)
        records.append(DockRecord(f"G{i:04d}", "dock3", float(lon), float(lat)))
    manager = FleetManager(
        _registry(s, records, frame),
        s.fleet,
        wind_margin_mps=s.planning.wind_margin_mps,
        route_length=p.router.path_length_m,
    )
    _healthy(manager)
    return manager


def _points(p: PlanningInputs, n: int, spread_m: float | None, seed: int = 7) -> list[tuple[float, float]]:
    """Random WGS84 points in the district's flyable part (or a square of ``spread_m`` around it)."""
    rng = random.Random(seed)
    flyable = p.district.flyable_m
    minx, miny, maxx, maxy = flyable.bounds
    if spread_m is not None:
        c = p.district.boundary_m.centroid
        minx, miny, maxx, maxy = c.x - spread_m, c.y - spread_m, c.x + spread_m, c.y + spread_m
    out: list[tuple[float, float]] = []
    while len(out) < n:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if p.router.inside([(x, y)])[0] or (spread_m is None and not shapely.contains_xy(flyable, x, y)):
            continue
        lon, lat = p.district.frame.to_wgs84(x, y)
        out.append((float(lon), float(lat)))
    return out


def _percentiles(samples_s: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_s)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1e3, p99 * 1e3


def _time(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def rows_for(
    name: str, manager: FleetManager, planner: Planner, points: list[tuple[float, float]]
) -> list[tuple[str, str, str, str]]:
    plan_s: list[float] = []
    both_s: list[float] = []
    chosen = 0
    for i, (lon, lat) in enumerate(points):
        spec = SortieSpec(lon, lat, wind=WIND)
        t0 = time.perf_counter()
        cands = manager.candidates(spec)
        t1 = time.perf_counter()
        decision = planner.plan(f"M{i}", lon, lat, cands, WIND)
        t2 = time.perf_counter()
        plan_s.append(t2 - t1)
        both_s.append(t2 - t0)
        chosen += decision.dock_id is not None
    rows = []
    for what, samples in (("planner", plan_s), ("candidates + planner", both_s)):
        p50, p99 = _percentiles(samples)
        rows.append((name, what, f"{p50:.2f}", f"{p99:.2f}"))
    rows.append((name, f"decisions with a dock: {chosen}/{len(points)}", "", ""))
    return rows


def route_rows(p: PlanningInputs, points: list[tuple[float, float]]) -> list[tuple[str, str, str, str]]:
    """The executor's route before a go-to, between consecutive points (reference keep-out zones)."""
    routes = FlightRoutes.from_planning(p)
    if routes is None:
        return []
    times_s: list[float] = []
    bent = 0
    for a, b in itertools.pairwise(points):
        t0 = time.perf_counter()
        route = routes.route(a, b, "target")
        times_s.append(time.perf_counter() - t0)
        bent += not route.straight
    p50, p99 = _percentiles(times_s)
    what = f"route before a go-to ({bent}/{len(times_s)} around a zone)"
    return [("zones", what, f"{p50:.2f}", f"{p99:.2f}")]


def run(n16: int, n1000: int, n_alerts: int = 0, senders: int = 8, n_takeoffs: int = 0) -> None:
    s = load_settings()
    p = load_planning(s)
    rows: list[tuple[str, str, str, str]] = []

    ref = reference_fleet(s, p)
    sites = dock_sites(ref.registry)
    coverage = UncoveredArea(p.district, sites, p.router, p.target_s)
    everyone = frozenset(site.id for site in sites)
    cold = _time(lambda: coverage.uncovered_km2(everyone, WIND))
    planner = Planner(
        sites, p.district.frame.to_local, target_s=p.target_s, router=p.router, coverage=coverage
    )
    rows.append(("16 docks", "coverage, first answer for a wind (regions built)", f"{cold * 1e3:.0f}", ""))
    sets = [everyone - {i} for i in sorted(everyone)]
    per_set: list[float] = []
    for available in sets:
        t0 = time.perf_counter()
        coverage.uncovered_km2(available, WIND)
        per_set.append(time.perf_counter() - t0)
    rows.append(
        (
            "16 docks",
            "coverage, a new availability set",
            f"{statistics.median(per_set) * 1e3:.1f}",
            f"{max(per_set) * 1e3:.1f}",
        )
    )
    rows += rows_for("16 docks", ref, planner, _points(p, n16, None))
    rows += route_rows(p, _points(p, max(n16, 2), None, seed=11))

    grid = grid_fleet(s, p, 1000)
    gplanner = Planner(
        dock_sites(grid.registry), p.district.frame.to_local, target_s=p.target_s, router=p.router
    )
    rows += rows_for("1,000 docks", grid, gplanner, _points(p, n1000, 50_000.0))

    if n_alerts > 0:
        rows += asyncio.run(_intake(s, p, n_alerts, senders))
    if n_takeoffs > 0:
        rows += asyncio.run(_alert_to_takeoff(s, p, n_takeoffs))

    print(
        f"Planner decision time (ms), wind {WIND.speed_mps:g} m/s from {WIND.from_deg:g}°, every dock healthy"
    )
    print(f"{'fleet':<12} {'what':<52} {'p50 ms':>8} {'p99 ms':>8}")
    for fleet, what, p50, p99 in rows:
        print(f"{fleet:<12} {what:<52} {p50:>8} {p99:>8}")


async def _intake(
    s: Settings, p: PlanningInputs, count: int, senders: int
) -> list[tuple[str, str, str, str]]:
    from mission.store import SqlMissionStore

    alerts = s.alerts.model_copy(update={"sources": {"bench": AlertSource()}})
    kinds = ["fire_smoke", "crowd", "street_vendor", "road_occupation", "person_near_water"]
    points = _points(p, count, None, seed=11)
    with tempfile.TemporaryDirectory() as tmp:
        store = await SqlMissionStore.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            intake = AlertIntake(store, alerts, alert_area(p, alerts))
            latencies: list[float] = []
            queue = list(enumerate(points))

            async def sender() -> None:
                while queue:
                    i, (lon, lat) = queue.pop()
                    glon, glat = wgs84_to_gcj02(lon, lat)
                    raw = {
                        "type": kinds[i % len(kinds)],
                        "lon": glon,
                        "lat": glat,
                        "crs": "gcj02",
                        "id": f"B{i}",
                    }
                    t0 = time.perf_counter()
                    await intake.submit(raw, "bench")
                    latencies.append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(senders)))
            elapsed = time.perf_counter() - t0
            stored = len(await store.list_alerts(limit=count * 2))
            incidents = len(await store.list_incidents(limit=count * 2))
        finally:
            await store.close()
    p50, p99 = _percentiles(latencies)
    name = "intake"
    return [
        (
            name,
            f"{count} alerts, {senders} senders, SQLite: {count / elapsed:.0f} accepted/s",
            f"{p50:.2f}",
            f"{p99:.2f}",
        ),
        (name, f"stored {stored}/{count} alerts (lost {count - stored}), {incidents} incidents", "", ""),
    ]


async def _alert_to_takeoff(s: Settings, p: PlanningInputs, count: int) -> list[tuple[str, str, str, str]]:
    """Alert accepted → arm sent, one alert at a time (the dock released after each)."""
    from bench.executor import TimedDrone
    from mission.api.live_hub import LiveHub
    from mission.console_backend import MissionConsoleBackend
    from mission.dispatch import Dispatcher
    from mission.executor import ExecutorDeps
    from mission.grid_service import GridService
    from mission.payload_client import PayloadClient
    from mission.runner import MissionRunner
    from mission.store import SqlMissionStore
    from tests.unit.mission.fakes_links import FakeDockLink

    fire = s.alerts.types[AlertType.FIRE_SMOKE].model_copy(update={"dedup_radius_m": 0.0})
    alerts = s.alerts.model_copy(
        update={"sources": {"bench": AlertSource()}, "types": {**s.alerts.types, AlertType.FIRE_SMOKE: fire}}
    )
    settings = s.model_copy(update={"alerts": alerts})
    fleet = reference_fleet(s, p)
    planner = Planner(
        dock_sites(fleet.registry), p.district.frame.to_local, target_s=p.target_s, router=p.router
    )
    drones = {e.drone_id: TimedDrone(e.drone_id, e.record.lat_deg, e.record.lon_deg) for e in fleet.registry}
    docks = FakeDockLink()
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = await SqlMissionStore.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            dispatcher = Dispatcher(fleet, planner, store, lambda: WIND)
            runner = MissionRunner(
                ExecutorDeps(store, fleet, drones.__getitem__, docks, PayloadClient(docks))
            )
            intake = AlertIntake(store, alerts, alert_area(p, alerts))
            async with httpx.AsyncClient() as http:
                grid = GridService(store, s.leads, _NoVerifier(), http)
                backend = MissionConsoleBackend(
                    store=store,
                    fleet=fleet,
                    intake=intake,
                    dispatcher=dispatcher,
                    runner=runner,
                    grid=grid,
                    live=LiveHub(),
                    planning=p,
                    settings=settings,
                )
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(runner.run())
                    await runner.started()
                    for lon, lat in _points(p, count, None, seed=5):
                        t0 = time.perf_counter()
                        decision = await backend.submit_alert(
                            {"type": "fire_smoke", "lon": lon, "lat": lat}, "bench"
                        )
                        if decision.action is not IntakeAction.LAUNCH:
                            raise RuntimeError(f"alert not launched: {decision.reason}")
                        drone = await _armed(drones)
                        latencies.append(drone.armed_at - t0)
                        drone.armed_at = None
                        for e in fleet.registry:
                            busy_with = fleet.assignment(e.dock_id)
                            if busy_with is not None:
                                fleet.release(e.dock_id, busy_with)
                        _healthy(fleet)
                    runner.stop()
        finally:
            await store.close()
    p50, p99 = _percentiles(latencies)
    return [
        (
            "16 docks",
            f"alert accepted -> takeoff command sent ({count} alerts, SQLite)",
            f"{p50:.2f}",
            f"{p99:.2f}",
        )
    ]


async def _armed(drones: Mapping[str, Any]) -> Any:
    """The drone whose ``arm`` was called (polled: the fake has no event)."""
    while True:
        for d in drones.values():
            if d.armed_at is not None:
                return d
        await asyncio.sleep(0)


class _NoVerifier:
    async def request_verification(self, lead: Any) -> str | None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--points-16", type=int, default=300, help="incident points for 16 docks")
    parser.add_argument("--points-1000", type=int, default=100, help="incident points for 1,000 docks")
    parser.add_argument("--alerts", type=int, default=2000, help="alerts through intake (0: skip)")
    parser.add_argument("--senders", type=int, default=8, help="concurrent alert senders")
    parser.add_argument("--takeoffs", type=int, default=200, help="alerts for alert -> takeoff (0: skip)")
    args = parser.parse_args()
    run(args.points_16, args.points_1000, args.alerts, args.senders, args.takeoffs)


if __name__ == "__main__":
    main()
