"""Geo benchmarks on the reference district, and its coverage figures.

    python -m bench.geo [--config PATH] [--siting-time-limit-s S] [--skip-siting]

Prints two tables. The benchmark (rows: what, size, time, result): exact coverage (k = 1, 2) and the
25 m grid oracle; one dispatch-time query (the best dock for a point: response time from every dock,
then argmin; median of many repetitions) for the 16 configured docks and for 1,000 random docks;
p-center siting of 16 docks from ~2,000 grid candidates (cost matrix and solve timed apart, with
the optimality gap). Aims: coverage < 1 s, query < 1 ms, siting < 60 s. Then the coverage of the
reference district for k = 1 and 2, calm and in an 8 m/s wind from its worst direction.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np

from geo.coverage import coverage_report, demand_region, reach_regions, uncovered_region
from geo.coverage_grid import grid_coverage
from geo.model import DockSite, ReachParams, Wind
from geo.reach import response_time_s
from geo.siting_models import Objective
from geo.siting_plan import candidate_grid, plan_sites
from mission.geo_config import PlanningInputs, load_planning
from mission.settings import load_settings

T = TypeVar("T")
WIND_MPS = 8.0
DIRECTIONS_DEG = tuple(float(d) for d in range(0, 360, 15))


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def best_dock(px: float, py: float, xs: np.ndarray, ys: np.ndarray, reach: ReachParams, wind: Wind) -> int:
    """Dispatch-time query: the dock with the smallest response time to (px, py)."""
    return int(np.argmin(response_time_s(px - xs, py - ys, reach, wind)))


def query_us(xs: np.ndarray, ys: np.ndarray, reach: ReachParams, wind: Wind, points: np.ndarray) -> float:
    """Median time (µs) of one :func:`best_dock` query over ``points``."""
    samples = []
    for px, py in points:
        t0 = time.perf_counter_ns()
        best_dock(float(px), float(py), xs, ys, reach, wind)
        samples.append(time.perf_counter_ns() - t0)
    return float(np.median(samples)) / 1e3


def random_points(region: object, count: int, rng: np.random.Generator) -> np.ndarray:
    import shapely

    minx, miny, maxx, maxy = region.bounds  # type: ignore[attr-defined]
    out = np.empty((0, 2))
    while len(out) < count:
        xy = rng.uniform((minx, miny), (maxx, maxy), (count * 2, 2))
        out = np.vstack([out, xy[shapely.contains_xy(region, xy[:, 0], xy[:, 1])]])
    return out[:count]


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))


def benchmark(inputs: PlanningInputs, siting_limit_s: float | None) -> list[tuple[str, str, str, str]]:
    district, docks, router, target = inputs.district, inputs.docks, inputs.router, inputs.target_s
    demand = demand_region(district, router)
    calm = Wind.calm()
    rows: list[tuple[str, str, str, str]] = []
    size = f"{len(docks)} docks, {demand.area / 1e6:.0f} km²"
    for k in (1, 2):
        rep, t = timed(
            partial(coverage_report, district, docks, calm, k, router, target, with_wind_limit=False)
        )
        worst = f"{rep.worst_response_s:.1f} s"
        rows.append(
            (f"coverage exact, k={k}", size, fmt_s(t), f"covered {rep.covered_fraction:.2%}, worst {worst}")
        )
        grid, t = timed(partial(grid_coverage, demand, docks, calm, k, target, 25.0, router))
        result = f"covered {grid.covered_fraction:.2%}, worst {grid.worst_response_s:.1f} s"
        rows.append((f"coverage grid 25 m, k={k}", f"{len(grid.points_m)} cells", fmt_s(t), result))

    rng = np.random.default_rng(7)
    reach = docks[0].reach
    points = random_points(demand, 2000, rng)
    many = random_points(demand, 1000, rng)
    fleets = {
        16: (np.array([d.x_m for d in docks]), np.array([d.y_m for d in docks])),
        1000: (many[:, 0], many[:, 1]),
    }
    for n, (xs, ys) in fleets.items():
        for wind in (calm, Wind(WIND_MPS, 45.0)):
            us = query_us(xs, ys, reach, wind, points)
            label = "calm" if wind.speed_mps == 0 else f"{wind.speed_mps:g} m/s wind"
            rows.append((f"dispatch query ({label})", f"{n} docks", f"{us:.1f} µs", "median of 2000 points"))

    if siting_limit_s is not None:
        template = DockSite("new", 0.0, 0.0, reach, docks[0].launch_wind_limit_mps)
        cands = candidate_grid(demand, 450.0)

        def say(msg: str) -> None:
            print(f"  [siting] {msg}", file=sys.stderr, flush=True)

        plan, t = timed(
            lambda: plan_sites(
                demand, cands, template, Objective.P_CENTER, 16, 1, target, router=router, cell_m=250.0,
                time_limit_s=siting_limit_s, progress=say,
            )
        )  # fmt: skip
        s = plan.solution
        shape = f"{plan.candidates} cand. x {len(plan.demand.area_m2)} cells"
        rows.append(
            ("siting p-center n=16: cost matrix", shape, fmt_s(t - s.solve_s), "response times, routed")
        )
        result = f"worst {s.value:.1f} s (greedy {s.greedy_value:.1f}, bound {s.bound:.1f})"
        result += f", gap {s.optimality_gap:.1%}"
        rows.append(("siting p-center n=16: solve", f"{s.milp_solves} MILP solves", fmt_s(s.solve_s), result))
    return rows


def worst_direction(inputs: PlanningInputs, k: int, speed_mps: float) -> float:
    """The wind direction (from, deg; every 15°) that leaves the largest area uncovered."""
    demand = demand_region(inputs.district, inputs.router)
    areas = []
    for deg in DIRECTIONS_DEG:
        regions = reach_regions(inputs.docks, Wind(speed_mps, deg), inputs.target_s, inputs.router)
        areas.append(uncovered_region(demand, regions, k).area)
    return DIRECTIONS_DEG[int(np.argmax(areas))]


def figures(inputs: PlanningInputs) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for k in (1, 2):
        for speed in (0.0, WIND_MPS):
            deg = worst_direction(inputs, k, speed) if speed else 0.0
            wind = Wind(speed, deg)
            rep = coverage_report(
                inputs.district,
                inputs.docks,
                wind,
                k,
                inputs.router,
                inputs.target_s,
                with_wind_limit=(k == 1),
            )
            label = "calm" if speed == 0 else f"{speed:g} m/s from {deg:g}° (worst of 24)"
            worst = "never" if not np.isfinite(rep.worst_response_s) else f"{rep.worst_response_s:.1f} s"
            g1 = rep.g1_breaks_at_wind_mps
            breaks = "-" if g1 is None else "not met in calm air" if g1 == 0 else f"{g1:.2f} m/s"
            rows.append(
                (str(k), label, f"{rep.covered_fraction:.2%}", f"{rep.uncovered_area_km2:.2f}", worst, breaks)
            )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.geo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--siting-time-limit-s", type=float, default=60.0)
    parser.add_argument("--skip-siting", action="store_true")
    args = parser.parse_args(argv)
    inputs = load_planning(load_settings(args.config))
    if not inputs.docks:
        print("no docks configured: run `skyloop site ... --write-config config/docks.geojson` first")
        return 1
    limit = None if args.skip_siting else args.siting_time_limit_s
    print(f"district: {inputs.district.name}, {inputs.district.area_km2:.1f} km², {len(inputs.docks)} docks")
    print_table("benchmark", ("what", "size", "time", "result"), benchmark(inputs, limit))
    print_table(
        f"coverage of the reference district (target {inputs.target_s:g} s)",
        ("k", "wind", "covered", "uncovered km²", "worst response", "G1 breaks at wind"),
        figures(inputs),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
