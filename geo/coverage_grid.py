"""The grid oracle: k-th smallest response time at the centres of a square grid (numpy).

Independent of the polygon maths of :mod:`geo.coverage`: every cell centre inside the demand region
gets the response time of every available dock, and the k-th smallest. A point in view of the dock
gets :func:`geo.reach.response_time_s`; a point the router says is hidden by a keep-out zone gets the
best route over the router's nodes that see it: the node's constant-speed cost plus the last leg with
braking (the model of :mod:`geo.reach_region`; in calm air exactly the router's cost plus ``v/a``).
It cross-checks the exact coverage in tests and draws the heat map.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geo.model import DockSite, Wind
from geo.reach import constant_speed_leg_time_s, overhead_s, response_time_s, wind_cruise_time_s
from geo.reach_region import RouterLike, RouterView, is_grounded, leg_cost_for

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class GridCoverage:
    """Grid estimate of coverage: cell centres (local metres) and their k-th response time."""

    cell_m: float
    points_m: FloatArray
    kth_time_s: FloatArray
    target_s: float
    k: int

    @property
    def covered_fraction(self) -> float:
        if len(self.kth_time_s) == 0:
            return 1.0
        return float(np.mean(self.kth_time_s <= self.target_s))

    @property
    def worst_response_s(self) -> float:
        return float(np.max(self.kth_time_s)) if len(self.kth_time_s) else 0.0

    @property
    def worst_point_m(self) -> tuple[float, float]:
        i = int(np.argmax(self.kth_time_s))
        return (float(self.points_m[i, 0]), float(self.points_m[i, 1]))


def grid_points(demand_m: BaseGeometry, cell_m: float) -> FloatArray:
    """Centres of the ``cell_m`` grid cells whose centre lies in ``demand_m`` (shape (n, 2))."""
    if not (math.isfinite(cell_m) and cell_m > 0):
        raise ValueError(f"cell_m must be a positive finite number, got {cell_m!r}")
    if demand_m.is_empty:
        return np.empty((0, 2))
    minx, miny, maxx, maxy = demand_m.bounds
    xs = np.arange(minx + cell_m / 2, maxx, cell_m)
    ys = np.arange(miny + cell_m / 2, maxy, cell_m)
    gx, gy = np.meshgrid(xs, ys)
    shapely.prepare(demand_m)
    inside = shapely.contains_xy(demand_m, gx.ravel(), gy.ravel())
    return np.column_stack([gx.ravel()[inside], gy.ravel()[inside]])


def dock_response_time_s(
    points_m: FloatArray,
    dock: DockSite,
    wind: Wind,
    router: RouterLike | None = None,
    view: RouterView | None = None,
) -> FloatArray:
    """Response time (s) of one dock to each point; ``inf`` where it cannot go (or is grounded)."""
    pts = np.asarray(points_m, dtype=np.float64).reshape(-1, 2)
    if is_grounded(dock, wind):
        return np.full(len(pts), np.inf)
    dx, dy = pts[:, 0] - dock.x_m, pts[:, 1] - dock.y_m
    straight = response_time_s(dx, dy, dock.reach, wind)
    if router is None or len(pts) == 0:
        return straight
    view = view or RouterView(router)
    origin = (dock.x_m, dock.y_m)
    near = view.may_block(origin, pts)
    if not np.any(near):
        return straight
    leg = leg_cost_for(dock, wind)
    sub = np.flatnonzero(near)
    routed = router.costs_from(origin, pts[sub], leg)
    direct = constant_speed_leg_time_s(dx[sub], dy[sub], wind, dock.reach.cruise_mps)
    blocked = np.zeros(len(pts), dtype=bool)
    blocked[sub] = routed > direct * (1.0 + 1e-9) + 1e-6
    if not np.any(blocked):
        return straight
    # Around the zones: best node n seen from the point, cost c_n, then the last leg with braking.
    out = np.where(blocked, np.inf, straight)
    idx = np.flatnonzero(blocked)
    far = pts[idx]
    base_s = overhead_s(dock.reach)
    reach_m = float(np.max(np.hypot(far[:, 0] - dock.x_m, far[:, 1] - dock.y_m)))
    for (nx, ny), cost_s in router.node_costs_from(origin, leg)[1:]:
        radius_m = reach_m + float(np.hypot(nx - dock.x_m, ny - dock.y_m)) + 1.0
        seen = shapely.contains_xy(view.seen((nx, ny), radius_m), far[:, 0], far[:, 1])
        if not np.any(seen):
            continue
        last = wind_cruise_time_s(
            far[:, 0] - nx, far[:, 1] - ny, wind, dock.reach.cruise_mps, dock.reach.accel_mps2
        )
        out[idx] = np.where(seen, np.minimum(out[idx], base_s + cost_s + last), out[idx])
    return out


def kth_response_time_s(
    points_m: FloatArray,
    docks: Sequence[DockSite],
    wind: Wind,
    k: int,
    router: RouterLike | None = None,
    view: RouterView | None = None,
) -> FloatArray:
    """The k-th smallest response time over ``docks`` at each point (``inf`` with fewer than k)."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    pts = np.asarray(points_m, dtype=np.float64).reshape(-1, 2)
    if len(docks) < k:
        return np.full(len(pts), np.inf)
    if view is None and router is not None:
        view = RouterView(router)
    times = np.vstack([dock_response_time_s(pts, d, wind, router, view) for d in docks])
    kth: FloatArray = np.partition(times, k - 1, axis=0)[k - 1]
    return kth


def grid_coverage(
    demand_m: BaseGeometry,
    docks: Sequence[DockSite],
    wind: Wind,
    k: int,
    target_s: float,
    cell_m: float = 50.0,
    router: RouterLike | None = None,
) -> GridCoverage:
    """Coverage of ``demand_m`` estimated on a ``cell_m`` grid."""
    pts = grid_points(demand_m, cell_m)
    times = kth_response_time_s(pts, docks, wind, k, router)
    return GridCoverage(cell_m=cell_m, points_m=pts, kth_time_s=times, target_s=target_s, k=k)
