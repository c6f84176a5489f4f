"""``skyloop site``: choose dock sites for the district.

    skyloop site --config PATH --docks N --objective p-center|set-cover|max-cover [--k K]
                 [--candidates grid:METRES|PATH] [--format table|json] [--write-config PATH]
                 [--cell-m M] [--time-limit-s S] [--dock-type NAME] [--fixed PATH]

Discrete siting on a demand grid (geo/siting_plan.py, geo/siting.py: greedy start, then HiGHS with a
time limit), then the exact continuous coverage of the chosen docks (geo/coverage.py), because a grid
can hide slivers between cell centres. ``--docks`` is the number of docks for p-center and max-cover
and a budget for set-cover (which finds the minimum and says if it exceeds the budget). Progress goes
to stderr. JSON keys: sites ([{id, lon, lat, fixed}]), worst_response_s and covered_fraction (both
continuous, for k), uncovered_area_km2, optimality_gap, solve_s, and the details under ``discrete``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import MultiPoint, Point, shape

from geo.coverage import coverage_report, demand_region
from geo.crs import CoordinateError, check_lonlat
from geo.district import GeoInputError, docks_from_geojson
from geo.model import DockSite, Wind
from geo.siting_models import Objective, SitingError
from geo.siting_plan import SitePlan, candidate_grid, plan_sites
from geo.siting_rows import kth_response_s
from mission.cli.errors import CliError
from mission.geo_config import PlanningInputs, default_dock_type, load_planning, reach_by_type, read_geojson
from mission.settings import Settings, SettingsError, load_settings

DEFAULT_CANDIDATES = "grid:450"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``skyloop site``."""
    p = sub.add_parser(
        "site",
        help="choose dock sites (p-center, set covering, maximal covering)",
        description="Choose dock sites on a demand grid of the district (minus keep-out zones) with a "
        "greedy start and an exact MILP (HiGHS) under a time limit, report the optimality gap, then "
        "re-check the chosen docks with the exact continuous coverage.",
    )
    p.add_argument(
        "--config", type=Path, default=None, help="settings TOML (default: $SKYLOOP_CONFIG or config/)"
    )
    p.add_argument("--docks", required=True, metavar="N", help="docks to place (set-cover: the budget)")
    p.add_argument("--objective", required=True, metavar="p-center|set-cover|max-cover")
    p.add_argument("--k", default="1", metavar="K", help="docks that must reach each point (default 1)")
    p.add_argument(
        "--candidates",
        default=DEFAULT_CANDIDATES,
        metavar="grid:METRES|PATH",
        help=f"a grid over the district, or a GeoJSON file of Points (default {DEFAULT_CANDIDATES})",
    )
    p.add_argument("--format", default="table", metavar="table|json")
    p.add_argument(
        "--write-config", type=Path, default=None, metavar="PATH", help="write the docks as GeoJSON"
    )
    p.add_argument("--cell-m", default="250", metavar="M", help="demand cell size, m (default 250)")
    p.add_argument("--time-limit-s", default="60", metavar="S", help="MILP time budget, s (default 60)")
    p.add_argument(
        "--dock-type", default=None, metavar="NAME", help="type of new docks (default dock3 if known)"
    )
    p.add_argument("--fixed", type=Path, default=None, metavar="PATH", help="docks GeoJSON to keep (y_i = 1)")
    p.set_defaults(handler=run_site)  # fmt: skip


def _number(text: str, name: str, lo: float, hi: float, integer: bool = False) -> float:
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise CliError(f"{name} must be {kind}, got {text!r}") from None
    if not (math.isfinite(value) and lo <= value <= hi):
        raise CliError(f"{name} must be within [{lo:g}, {hi:g}], got {text}")
    return value


def _objective(text: str) -> Objective:
    try:
        return Objective(text)
    except ValueError:
        raise CliError(f"unknown objective {text!r} (use p-center, set-cover or max-cover)") from None


def _load(config: Path | None) -> tuple[Settings, PlanningInputs]:
    try:
        settings = load_settings(config)
        return settings, load_planning(settings, require_docks=False)
    except (SettingsError, GeoInputError, CoordinateError) as exc:
        raise CliError(str(exc)) from None


def _template(settings: Settings, name: str | None) -> tuple[str, DockSite]:
    types = settings.dock_types
    chosen = name or ("dock3" if "dock3" in types else default_dock_type(settings))
    if chosen not in types:
        raise CliError(f"--dock-type: unknown dock type {chosen!r} (known: {', '.join(sorted(types))})")
    reach = reach_by_type(settings)[chosen]
    return chosen, DockSite("new", 0.0, 0.0, reach, types[chosen].launch_wind_limit_mps)


def _candidates(spec: str, inputs: PlanningInputs, region: Any) -> tuple[np.ndarray, list[str]]:
    """Candidate points (local metres) and notes; bad specs and files are a CliError."""
    notes: list[str] = []
    if spec.startswith("grid:"):
        spacing = _number(spec[5:], "--candidates grid spacing (m)", 20.0, 100_000.0)
        pts = candidate_grid(region, spacing)
        if len(pts) == 0:
            raise CliError(f"--candidates {spec}: no grid point falls inside the district")
        return pts, notes
    path = Path(spec)
    if path.suffix.lower() not in (".geojson", ".json") and not path.exists():
        raise CliError(f"--candidates: expected grid:METRES or a GeoJSON file, got {spec!r}")
    try:
        fc = read_geojson(path, "candidates")
        features = fc.get("features") if fc.get("type") == "FeatureCollection" else None
        if not isinstance(features, list):
            raise GeoInputError(f"{path}: not a GeoJSON FeatureCollection")
        lonlat: list[tuple[float, float]] = []
        for i, f in enumerate(features):
            geom = shape(f["geometry"]) if isinstance(f, dict) and f.get("geometry") else None
            points = (
                [geom]
                if isinstance(geom, Point)
                else list(geom.geoms)
                if isinstance(geom, MultiPoint)
                else None
            )
            if points is None:
                raise GeoInputError(f"{path}: feature {i}: a candidate must be a Point or MultiPoint")
            lonlat.extend((p.x, p.y) for p in points)
        if not lonlat:
            raise GeoInputError(f"{path}: no candidate points")
        lon, lat = np.array(lonlat).T
        check_lonlat(lon, lat, f"{path}: candidate")
    except (GeoInputError, CoordinateError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CliError(
            str(exc) if isinstance(exc, GeoInputError | CoordinateError) else f"{path}: {exc}"
        ) from None
    x, y = inputs.district.frame.to_local(lon, lat)
    pts = np.column_stack([x, y])
    inside = inputs.router.inside(pts)
    if inside.any():
        notes.append(f"{int(inside.sum())} candidates inside keep-out zones were dropped")
        pts = pts[~inside]
    return pts, notes


def _fixed(
    path: Path | None, settings: Settings, inputs: PlanningInputs
) -> tuple[list[DockSite], dict[str, Any]]:
    if path is None:
        return [], {}
    try:
        fc = read_geojson(path, "fixed docks")
        wind = {name: t.launch_wind_limit_mps for name, t in settings.dock_types.items()}
        docks = docks_from_geojson(
            fc, inputs.district.frame, reach_by_type(settings), wind, default_dock_type(settings)
        )
    except (GeoInputError, CoordinateError) as exc:
        raise CliError(f"--fixed: {exc}") from None
    props = {str(f["properties"]["id"]): dict(f["properties"]) for f in fc["features"]}
    return docks, props


def run_site(args: argparse.Namespace) -> int:
    objective = _objective(args.objective)
    n = int(_number(args.docks, "--docks", 1, 10_000, integer=True))
    k = int(_number(args.k, "--k", 1, 10, integer=True))
    cell_m = _number(args.cell_m, "--cell-m", 25.0, 5_000.0)
    limit_s = _number(args.time_limit_s, "--time-limit-s", 1.0, 86_400.0)
    if args.format not in ("table", "json"):
        raise CliError(f"--format must be table or json, got {args.format!r}")
    settings, inputs = _load(args.config)
    dock_type, template = _template(settings, args.dock_type)
    region = demand_region(inputs.district, inputs.router)
    candidates, notes = _candidates(args.candidates, inputs, region)
    fixed, fixed_props = _fixed(args.fixed, settings, inputs)
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"skyloop site [{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    try:
        plan = plan_sites(
            region, candidates, template, objective, n, k, inputs.target_s, fixed=fixed,
            router=inputs.router, cell_m=cell_m, time_limit_s=limit_s, progress=progress,
        )  # fmt: skip
    except SitingError as exc:
        raise CliError(str(exc)) from None
    progress("checking the chosen docks with the exact continuous coverage")
    verify_start = time.perf_counter()
    try:
        report = coverage_report(
            inputs.district, plan.docks, Wind.calm(), k, inputs.router, inputs.target_s, with_wind_limit=False
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    data = result_json(
        plan, report.worst_response_s, report.covered_fraction, report.uncovered_area_km2, inputs
    )
    data["verify_s"] = round(time.perf_counter() - verify_start, 2)
    data["dock_type"] = dock_type
    data["candidates_spec"] = args.candidates
    data["notes"] = notes + data["notes"]
    if objective is Objective.SET_COVER and len(plan.docks) > n:
        data["notes"].append(f"set-cover needs {len(plan.docks)} docks, more than --docks {n}")
    if args.write_config is not None:
        write_docks_geojson(args.write_config, data, plan, fixed_props, dock_type, _command(args))
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.format == "json" else result_table(data))
    return 0


def _finite(value: float, digits: int) -> float | None:
    return round(value, digits) if math.isfinite(value) else None


def result_json(
    plan: SitePlan, worst_s: float, covered: float, uncovered_km2: float, inputs: PlanningInputs
) -> dict[str, Any]:
    """The command's JSON object (without the fields only the command knows)."""
    s = plan.solution
    frame = inputs.district.frame
    fixed_ids = {d.id for d in plan.docks} - set(plan.new_ids)
    sites = []
    for d in plan.docks:
        lon, lat = frame.to_wgs84(d.x_m, d.y_m)
        sites.append(
            {"id": d.id, "lon": round(float(lon), 6), "lat": round(float(lat), 6), "fixed": d.id in fixed_ids}
        )
    kth = kth_response_s(plan.cost_s, np.asarray(plan.chosen_mask), s.k)
    area = plan.demand.area_m2
    return {
        "objective": str(s.objective),
        "k": s.k,
        "target_s": inputs.target_s,
        "docks": len(plan.docks),
        "sites": sites,
        "worst_response_s": _finite(worst_s, 2),
        "covered_fraction": round(covered, 6),
        "uncovered_area_km2": round(uncovered_km2, 4),
        "optimality_gap": _finite(s.optimality_gap, 6),
        "solve_s": round(s.solve_s, 2),
        "discrete": {
            "value": _finite(s.value, 4),
            "greedy_value": _finite(s.greedy_value, 4),
            "bound": _finite(s.bound, 4),
            "worst_response_s": _finite(float(kth.max()), 2),
            "covered_fraction": round(float(area[kth <= inputs.target_s].sum() / area.sum()), 6),
            "candidates": plan.candidates,
            "demand_cells": len(area),
            "cell_m": plan.demand.cell_m,
            "rows": {
                "cells": s.reduction.cells,
                "after_merge": s.reduction.after_merge,
                "after_dominance": s.reduction.after_dominance,
                "in_last_milp": s.reduction.in_milp,
            },
            "milp_solves": s.milp_solves,
        },
        "notes": list(s.notes),
    }


def result_table(data: dict[str, Any]) -> str:
    """A readable summary of :func:`result_json`'s object."""
    d = data["discrete"]
    r, cell, cov = d["rows"], d["cell_m"], 100 * data["covered_fraction"]
    worst = data["worst_response_s"]
    gap = data["optimality_gap"]
    rows = [
        ("objective", f"{data['objective']} (k = {data['k']}, target {data['target_s']:g} s)"),
        ("docks", str(data["docks"])),
        ("worst response (exact)", f"{worst:.1f} s" if worst is not None else "never"),
        ("covered (exact)", f"{cov:.2f} %, {data['uncovered_area_km2']:.3f} km² not covered"),
        ("worst response (grid)", f"{d['worst_response_s']} s, {d['demand_cells']} cells of {cell:g} m"),
        ("objective value", f"{d['value']} (greedy {d['greedy_value']}, bound {d['bound']})"),
        ("optimality gap", f"{100 * gap:.2f} %" if gap is not None else "unknown"),
        ("rows", f"{r['cells']} -> {r['after_merge']} merged -> {r['after_dominance']} undominated;"
                 f" {r['in_last_milp']} in the last MILP"),
        ("solve", f"{data['solve_s']:.1f} s, {d['milp_solves']} MILP solves, {d['candidates']} candidates"),
    ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    lines += [
        f"  {s['id']}  {s['lon']:.6f}, {s['lat']:.6f}" + ("  (fixed)" if s["fixed"] else "")
        for s in data["sites"]
    ]
    lines += [f"note: {note}" for note in data["notes"]]
    return "\n".join(lines)


def _command(args: argparse.Namespace) -> str:
    parts = ["skyloop site"]
    if args.config is not None:
        parts.append(f"--config {args.config}")
    parts += [f"--docks {args.docks}", f"--objective {args.objective}", f"--k {args.k}"]
    parts += [
        f"--candidates {args.candidates}",
        f"--cell-m {args.cell_m}",
        f"--time-limit-s {args.time_limit_s}",
    ]
    if args.dock_type:
        parts.append(f"--dock-type {args.dock_type}")
    if args.fixed is not None:
        parts.append(f"--fixed {args.fixed}")
    parts.append(f"--write-config {args.write_config}")
    return " ".join(parts)


def write_docks_geojson(
    path: Path,
    data: dict[str, Any],
    plan: SitePlan,
    fixed_props: dict[str, Any],
    dock_type: str,
    command: str,
) -> None:
    """Write the docks as the FeatureCollection ``config/docks.geojson`` uses, saying how they were
    produced; written to a temporary file first so a failure leaves the old file intact."""
    d = data["discrete"]
    features = []
    for site in data["sites"]:
        props = dict(fixed_props.get(site["id"], {})) or {
            "id": site["id"], "name": f"Dock {site['id']} (sited)", "type": dock_type,
        }  # fmt: skip
        point = {"type": "Point", "coordinates": [site["lon"], site["lat"]]}
        features.append({"type": "Feature", "properties": props, "geometry": point})
    fc = {
        "type": "FeatureCollection",
        "crs_note": "WGS84 (EPSG:4326), [lon, lat]",
        "produced_by": {
            "command": command,
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "objective": f"{data['objective']}, k = {data['k']}, target {data['target_s']:g} s",
            "candidates": f"{data['candidates_spec']} ({d['candidates']} sites outside keep-out zones)",
            "demand": f"{d['demand_cells']} cells of {d['cell_m']:g} m (district minus keep-out zones)",
            "dock_type": dock_type,
            "milp": f"HiGHS via scipy.optimize.milp, {d['milp_solves']} solves, {data['solve_s']} s",
            "optimality_gap": data["optimality_gap"],
            "greedy_value": d["greedy_value"],
            "worst_response_s_grid": d["worst_response_s"],
            "worst_response_s": data["worst_response_s"],
            "covered_fraction": data["covered_fraction"],
            "uncovered_area_km2": data["uncovered_area_km2"],
            "notes": data["notes"],
        },
        "features": features,
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(fc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
