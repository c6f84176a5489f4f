"""``skyloop coverage``: does the 5-minute promise hold, where not, and up to which wind?

    skyloop coverage [--config PATH] [--k K] [--wind-mps S --wind-from-deg D]
                     [--unavailable ID,ID] [--format table|json] [--geojson OUT] [--png OUT]

Exact k-coverage of the district (minus keep-out zones) by the available docks in a steady wind
(geo/coverage.py), the worst point and its response time, and the wind speed at which single
coverage (G1) breaks. JSON keys: district_area_km2, keepout_area_km2, demand_area_km2, docks (count
available), available, unavailable, grounded, k, target_s, wind, covered_fraction,
uncovered_area_km2, worst_response_s (null: never reached by k docks), worst_point ([lon, lat]
WGS84), g1_breaks_at_wind_mps (0: not met in calm air), g1_breaks_from_deg, guarantee_holds.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from geo.coverage import CoverageReport, coverage_report
from geo.crs import CoordinateError
from geo.district import GeoInputError
from geo.model import Wind
from mission.cli.errors import CliError
from mission.geo_config import PlanningInputs, load_planning
from mission.settings import SettingsError, load_settings

#: Wind speeds above this are refused as input errors (a hurricane grounds everything anyway).
MAX_WIND_MPS = 60.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``skyloop coverage``."""
    p = sub.add_parser(
        "coverage",
        help="check the response-time promise: k-coverage, worst point, wind limit",
        description="Exact k-coverage of the district by the available docks within the target time, "
        "in a steady wind: covered fraction, uncovered area, the worst point and its response time, "
        "and the wind speed (worst direction) at which single coverage breaks.",
    )
    p.add_argument(
        "--config", type=Path, default=None, help="settings TOML (default: $SKYLOOP_CONFIG or config/)"
    )
    p.add_argument("--k", type=int, default=1, help="docks that must reach every point (default 1: G1)")
    p.add_argument("--wind-mps", type=float, default=None, help="steady wind speed, m/s (default calm)")
    p.add_argument(
        "--wind-from-deg", type=float, default=None, help="direction the wind blows from, deg (0 = N)"
    )
    p.add_argument("--unavailable", default="", metavar="ID,ID", help="dock ids to leave out (busy, down)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument(
        "--geojson", type=Path, default=None, metavar="OUT", help="write docks, reach, gaps (WGS84)"
    )
    p.add_argument("--png", type=Path, default=None, metavar="OUT", help="write a response-time heat map")
    p.set_defaults(handler=run_coverage)


def _wind(args: argparse.Namespace) -> Wind:
    speed, from_deg = args.wind_mps, args.wind_from_deg
    if speed is None:
        if from_deg is not None:
            raise CliError("--wind-from-deg needs --wind-mps")
        return Wind.calm()
    if not (math.isfinite(speed) and 0.0 <= speed <= MAX_WIND_MPS):
        raise CliError(f"--wind-mps must be a number within [0, {MAX_WIND_MPS:g}], got {speed!r}")
    direction = 0.0 if from_deg is None else from_deg
    if not (math.isfinite(direction) and 0.0 <= direction <= 360.0):
        raise CliError(f"--wind-from-deg must be a number within [0, 360], got {direction!r}")
    return Wind(speed, direction % 360.0)


def _unavailable(text: str, inputs: PlanningInputs) -> list[str]:
    ids = [part.strip() for part in text.split(",") if part.strip()]
    known = {d.id for d in inputs.docks}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise CliError(
            f"--unavailable: unknown dock id(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    return ids


def _load(config: Path | None) -> PlanningInputs:
    try:
        return load_planning(load_settings(config))
    except (SettingsError, GeoInputError, CoordinateError) as exc:
        raise CliError(str(exc)) from None


def _finite(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None and math.isfinite(value) else None


def report_json(report: CoverageReport, inputs: PlanningInputs) -> dict[str, Any]:
    """The report as the JSON object of the command's contract."""
    x, y = report.worst_point_m
    point = None
    if math.isfinite(x) and math.isfinite(y):
        lon, lat = inputs.district.frame.to_wgs84(x, y)
        point = [round(float(lon), 6), round(float(lat), 6)]
    return {
        "district": inputs.district.name,
        "district_area_km2": round(report.district_area_km2, 3),
        "keepout_area_km2": round(report.keepout_area_km2, 3),
        "demand_area_km2": round(report.demand_area_km2, 3),
        "docks": len(report.available),
        "available": list(report.available),
        "unavailable": list(report.unavailable),
        "grounded": list(report.grounded),
        "k": report.k,
        "target_s": report.target_s,
        "wind": {"speed_mps": report.wind.speed_mps, "from_deg": report.wind.from_deg},
        "covered_fraction": round(report.covered_fraction, 6),
        "uncovered_area_km2": round(report.uncovered_area_km2, 4),
        "worst_response_s": _finite(report.worst_response_s, 2),
        "worst_point": point,
        "g1_breaks_at_wind_mps": _finite(report.g1_breaks_at_wind_mps, 2),
        "g1_breaks_from_deg": _finite(report.g1_breaks_from_deg, 1) if report.g1_breaks_at_wind_mps else None,
        "guarantee_holds": report.guarantee_holds,
    }


def report_table(data: dict[str, Any]) -> str:
    """A readable summary of :func:`report_json`'s object."""
    worst = data["worst_response_s"]
    breaks = data["g1_breaks_at_wind_mps"]
    point = data["worst_point"]
    wind = data["wind"]
    rows = [
        ("district", f"{data['district']} ({data['district_area_km2']:.1f} km²)"),
        ("keep-out zones", f"{data['keepout_area_km2']:.2f} km² (not served)"),
        (
            "docks available",
            f"{data['docks']}"
            + (f" (left out: {', '.join(data['unavailable'])})" if data["unavailable"] else ""),
        ),
        ("grounded by wind", ", ".join(data["grounded"]) or "none"),
        ("wind", f"{wind['speed_mps']:g} m/s from {wind['from_deg']:g}°" if wind["speed_mps"] else "calm"),
        ("required docks in reach (k)", str(data["k"])),
        ("target", f"{data['target_s']:g} s"),
        ("covered", f"{100 * data['covered_fraction']:.2f} %"),
        ("uncovered", f"{data['uncovered_area_km2']:.3f} km²"),
        ("worst response", f"{worst:.1f} s" if worst is not None else "never (fewer than k docks reach it)"),
        ("worst point (lon, lat)", f"{point[0]:.6f}, {point[1]:.6f}" if point else "-"),
        ("G1 breaks at wind", _breaks_text(breaks, data["g1_breaks_from_deg"])),
        ("promise holds", "yes" if data["guarantee_holds"] else "NO"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _breaks_text(speed_mps: float | None, from_deg: float | None) -> str:
    if speed_mps is None:
        return "-"
    if speed_mps == 0.0:
        return "0 m/s (not met even in calm air)"
    return f"{speed_mps:.2f} m/s from {from_deg:g}° (the worst direction)"


def run_coverage(args: argparse.Namespace) -> int:
    if args.k < 1:
        raise CliError(f"--k must be >= 1, got {args.k}")
    wind = _wind(args)
    inputs = _load(args.config)
    off = _unavailable(args.unavailable, inputs)
    if not inputs.docks:
        raise CliError("no docks configured (district.docks file is empty)")
    try:
        report = coverage_report(
            inputs.district, inputs.docks, wind, args.k, inputs.router, inputs.target_s, off
        )
    except (GeoInputError, CoordinateError, ValueError) as exc:
        raise CliError(str(exc)) from None
    data = report_json(report, inputs)
    if args.geojson is not None:
        _write_geojson(args.geojson, report, inputs)
    if args.png is not None:
        _write_png(args.png, report, inputs)
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.format == "json" else report_table(data))
    return 0


def _write_geojson(path: Path, report: CoverageReport, inputs: PlanningInputs) -> None:
    from geo.geojson_out import coverage_feature_collection

    fc = coverage_feature_collection(report, inputs.district, inputs.docks)
    try:
        path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None


def _write_png(path: Path, report: CoverageReport, inputs: PlanningInputs) -> None:
    from geo.heatmap import render_heatmap  # matplotlib is slow to import: only when asked

    try:
        render_heatmap(path, report, inputs.district, inputs.docks, inputs.router)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
