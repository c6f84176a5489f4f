"""A PNG heat map of the k-th response time over a district (matplotlib, Agg backend).

Drawn in the local metric frame, in km from the south-west corner of the district's bounding box:
the grid oracle's response time per cell, the contour of the target, the district outline, keep-out
zones (hatched), docks (grounded or unavailable ones crossed out) and the worst point. The only
module that imports matplotlib.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import shapely
from matplotlib.axes import Axes
from shapely.geometry.base import BaseGeometry

from geo.coverage import CoverageReport
from geo.coverage_grid import kth_response_time_s
from geo.district import District
from geo.model import DockSite
from geo.reach_region import RouterLike


def _outline(ax: Axes, geom: BaseGeometry, origin: tuple[float, float], color: str, linewidth: float) -> None:
    for poly in shapely.get_parts(geom):
        for ring in [poly.exterior, *poly.interiors]:
            xy = (np.asarray(ring.coords) - origin) / 1000.0
            ax.plot(xy[:, 0], xy[:, 1], color=color, linewidth=linewidth)


def render_heatmap(
    path: Path,
    report: CoverageReport,
    district: District,
    docks: Sequence[DockSite],
    router: RouterLike | None = None,
    cell_m: float = 100.0,
) -> Path:
    """Write the heat map of ``report`` to ``path`` (PNG) and return the path."""
    if not (math.isfinite(cell_m) and cell_m > 0):
        raise ValueError(f"cell_m must be a positive finite number, got {cell_m!r}")
    minx, miny, maxx, maxy = district.boundary_m.bounds
    xs = np.arange(minx + cell_m / 2, maxx, cell_m)
    ys = np.arange(miny + cell_m / 2, maxy, cell_m)
    gx, gy = np.meshgrid(xs, ys)
    demand = report.demand_m if not report.demand_m.is_empty else district.flyable_m
    shapely.prepare(demand)
    inside = shapely.contains_xy(demand, gx.ravel(), gy.ravel())
    flying = [d for d in docks if d.id in report.available]
    pts = np.column_stack([gx.ravel()[inside], gy.ravel()[inside]])
    grid = np.full(gx.size, np.nan)
    grid[inside] = kth_response_time_s(pts, flying, report.wind, report.k, router)
    raster = grid.reshape(gx.shape)
    vmax = 2.0 * report.target_s
    shown = np.ma.masked_invalid(np.where(np.isinf(raster), vmax, raster))

    fig, ax = plt.subplots(figsize=(10, 8), dpi=110)
    try:
        # Kilometres from the district's south-west corner of its bounding box.
        origin = (minx, miny)
        extent = (0.0, (maxx - minx) / 1000.0, 0.0, (maxy - miny) / 1000.0)
        image = ax.imshow(
            shown,
            origin="lower",
            extent=extent,
            cmap="RdYlGn_r",
            vmin=0.0,
            vmax=vmax,
            interpolation="nearest",
        )
        fig.colorbar(image, ax=ax, label=f"response time, {_ordinal(report.k)} nearest dock (s)")
        capped = np.where(np.isinf(raster), vmax, raster)
        if np.any(np.isfinite(capped)) and np.nanmin(capped) < report.target_s < np.nanmax(capped):
            ax.contour(
                (gx - minx) / 1000.0,
                (gy - miny) / 1000.0,
                capped,
                levels=[report.target_s],
                colors="black",
                linewidths=1.2,
            )
        _outline(ax, district.boundary_m, origin, color="black", linewidth=1.5)
        for zone in district.keepouts:
            for poly in shapely.get_parts(zone.polygon_m):
                xy = (np.asarray(poly.exterior.coords) - origin) / 1000.0
                ax.fill(xy[:, 0], xy[:, 1], facecolor="none", edgecolor="purple", hatch="///", linewidth=1.0)
        for d in docks:
            off = d.id not in report.available or d.id in report.grounded
            at = ((d.x_m - minx) / 1000.0, (d.y_m - miny) / 1000.0)
            ax.plot(*at, "x" if off else "^", color="black", markersize=7)
            ax.annotate(d.id, at, textcoords="offset points", xytext=(4, 4), fontsize=7)
        wx, wy = report.worst_point_m
        if math.isfinite(wx) and math.isfinite(wy):
            ax.plot(
                (wx - minx) / 1000.0,
                (wy - miny) / 1000.0,
                "*",
                color="blue",
                markersize=14,
                label="worst point",
            )
            ax.legend(loc="lower right", fontsize=8)
        worst = f"{report.worst_response_s:.0f} s" if math.isfinite(report.worst_response_s) else "never"
        wind = report.wind
        air = f"wind {wind.speed_mps:g} m/s from {wind.from_deg:g}°" if wind.speed_mps > 0 else "calm"
        ax.set_title(
            f"{district.name}: k={report.k}, {air}, "
            f"covered {100 * report.covered_fraction:.1f}% within {report.target_s:g} s, worst {worst}",
            fontsize=9,
        )
        ax.set_xlabel("km east of the district's west edge")
        ax.set_ylabel("km north of the district's south edge")
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_aspect("equal")
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png", bbox_inches="tight")
    finally:
        plt.close(fig)
    return path


def _ordinal(k: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")
