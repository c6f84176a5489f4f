"""From a district to a siting problem and back: demand cells, candidate sites, the cost matrix,
and :func:`plan_sites`, which solves and names the chosen docks.

Everything is in the local metric frame. Demand cells are the squares of a grid clipped to the
demand region (the district minus its keep-out zones); each weighs its clipped area and is
represented by its centre, or by a point of its clipped piece when the centre falls outside (so
thin boundary strips are not lost). Candidates are grid points of the same region (docks may not
sit inside a keep-out zone) or a given list. Response times come from
:func:`geo.coverage_grid.dock_response_time_s`, the model the coverage report uses: straight legs,
or the router's shortest path around keep-out zones when a straight leg would cross one (exactly
up to twice the target time; longer legs keep their straight time, already beyond any threshold
siting looks at).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geo.coverage_grid import dock_response_time_s
from geo.model import DockSite, Wind
from geo.reach_region import RouterLike
from geo.siting import DEFAULT_TIME_LIMIT_S, solve
from geo.siting_models import FloatArray, Objective, Progress, SitingError, SitingProblem, SitingSolution


@dataclass(frozen=True)
class DemandCells:
    """Demand points (local metres, shape (n, 2)) and the area each stands for (m²)."""

    points_m: FloatArray
    area_m2: FloatArray
    cell_m: float


@dataclass(frozen=True)
class SitePlan:
    """A solved siting problem: the docks chosen (fixed ones first, then new ones) and its sizes."""

    solution: SitingSolution
    docks: tuple[DockSite, ...]
    new_ids: tuple[str, ...]
    candidates: int
    demand: DemandCells
    cost_s: NDArray[np.float32] = field(repr=False)

    @property
    def chosen_mask(self) -> NDArray[np.bool_]:
        """The chosen rows of ``cost_s`` (fixed docks first, then the candidates)."""
        mask = np.zeros(self.cost_s.shape[0], dtype=bool)
        mask[list(self.solution.chosen)] = True
        return mask


def _check_size(name: str, value_m: float) -> None:
    if not (math.isfinite(value_m) and value_m > 0):
        raise SitingError(f"{name} must be a positive number of metres, got {value_m!r}")


def demand_cells(demand_m: BaseGeometry, cell_m: float) -> DemandCells:
    """Square ``cell_m`` cells clipped to ``demand_m``, each weighted by its clipped area."""
    _check_size("the demand cell size", cell_m)
    if demand_m.is_empty or demand_m.area <= 0:
        raise SitingError("the demand region is empty")
    minx, miny, maxx, maxy = demand_m.bounds
    xs = np.arange(minx, maxx, cell_m)
    ys = np.arange(miny, maxy, cell_m)
    if len(xs) * len(ys) > 2_000_000:
        raise SitingError(f"{cell_m} m cells give more than 2 million cells; use larger cells")
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    boxes = shapely.box(gx, gy, gx + cell_m, gy + cell_m)
    shapely.prepare(demand_m)
    touching = shapely.intersects(demand_m, boxes)
    pieces = shapely.intersection(boxes[touching], demand_m)
    area = shapely.area(pieces)
    cx, cy = gx[touching] + cell_m / 2, gy[touching] + cell_m / 2
    inside = shapely.contains_xy(demand_m, cx, cy)
    rep = shapely.point_on_surface(pieces[~inside & (area > 0)])
    keep = area > 0
    px, py = cx.copy(), cy.copy()
    sel = ~inside & keep
    px[sel], py[sel] = shapely.get_x(rep), shapely.get_y(rep)
    return DemandCells(
        np.column_stack([px[keep], py[keep]]), np.asarray(area[keep], dtype=np.float64), cell_m
    )


def candidate_grid(region_m: BaseGeometry, spacing_m: float) -> FloatArray:
    """Points of a ``spacing_m`` square grid (offset by half a step) inside ``region_m``."""
    _check_size("the candidate spacing", spacing_m)
    minx, miny, maxx, maxy = region_m.bounds
    xs = np.arange(minx + spacing_m / 2, maxx, spacing_m)
    ys = np.arange(miny + spacing_m / 2, maxy, spacing_m)
    if len(xs) * len(ys) > 500_000:
        raise SitingError(f"a {spacing_m} m candidate grid is too fine (over 500,000 points)")
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    shapely.prepare(region_m)
    inside = shapely.contains_xy(region_m, gx, gy)
    return np.column_stack([gx[inside], gy[inside]])


def cost_matrix_s(
    candidates: Sequence[DockSite],
    points_m: FloatArray,
    wind: Wind,
    router: RouterLike | None = None,
    progress: Progress | None = None,
    exact_up_to_s: float = math.inf,
) -> NDArray[np.float32]:
    """Response times (s, float32) from each candidate to each point; ``inf`` where unreachable.

    The router is asked only about points whose straight leg passes within an obstacle's enclosing
    circle (every other leg is straight anyway) and whose straight time is at most
    ``exact_up_to_s``: beyond it the straight time is kept, a lower bound already above that limit.
    """
    pts = np.asarray(points_m, dtype=np.float64).reshape(-1, 2)
    out = np.empty((len(candidates), len(pts)), dtype=np.float32)
    circles = _enclosing_circles(router)
    step = max(1, len(candidates) // 10)
    for i, dock in enumerate(candidates):
        out[i] = dock_response_time_s(pts, dock, wind, None)
        if router is not None and circles:
            near = np.zeros(len(pts), dtype=bool)
            within = out[i] <= exact_up_to_s
            for cx, cy, r in circles:
                near |= _segment_distance_m(dock.x_m, dock.y_m, pts, cx, cy) <= r
            near &= within
            if near.any():
                out[i, near] = dock_response_time_s(pts[near], dock, wind, router)
        if progress is not None and (i + 1) % step == 0:
            progress(f"cost matrix: {i + 1}/{len(candidates)} candidates")
    return out


def _enclosing_circles(router: RouterLike | None) -> list[tuple[float, float, float]]:
    if router is None:
        return []
    circles = []
    for ob in router.obstacles_m:
        c = ob.centroid
        xy = np.asarray(ob.exterior.coords)
        circles.append((c.x, c.y, float(np.hypot(xy[:, 0] - c.x, xy[:, 1] - c.y).max()) + 1.0))
    return circles


def _segment_distance_m(ax: float, ay: float, pts: FloatArray, cx: float, cy: float) -> FloatArray:
    """Distance from (cx, cy) to each segment (ax, ay) -> pts[j]."""
    dx, dy = pts[:, 0] - ax, pts[:, 1] - ay
    length2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip(np.where(length2 > 0, ((cx - ax) * dx + (cy - ay) * dy) / length2, 0.0), 0.0, 1.0)
    return np.asarray(np.hypot(ax + t * dx - cx, ay + t * dy - cy))


def _next_ids(taken: set[str], count: int) -> list[str]:
    ids: list[str] = []
    n = 1
    while len(ids) < count:
        name = f"D{n:02d}"
        if name not in taken:
            ids.append(name)
        n += 1
    return ids


def plan_sites(
    demand_m: BaseGeometry,
    candidates_m: FloatArray,
    template: DockSite,
    objective: Objective,
    n: int,
    k: int,
    target_s: float,
    *,
    fixed: Sequence[DockSite] = (),
    wind: Wind | None = None,
    router: RouterLike | None = None,
    cell_m: float = 200.0,
    weight: FloatArray | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    progress: Progress | None = None,
) -> SitePlan:
    """Choose dock sites among ``candidates_m`` (plus the ``fixed`` docks, always kept).

    New docks copy ``template``'s reach and wind limit and get ids ``D01``, ``D02``... (skipping the
    fixed docks' ids), numbered north to south then west to east. ``weight`` overrides the cells'
    areas (one value per cell of :func:`demand_cells`).
    """
    say = progress or (lambda _: None)
    w = wind or Wind.calm()
    cells = demand_cells(demand_m, cell_m)
    weights = cells.area_m2 if weight is None else np.asarray(weight, dtype=np.float64)
    pts = np.asarray(candidates_m, dtype=np.float64).reshape(-1, 2)
    if len(pts) == 0 and not fixed:
        raise SitingError("no candidate sites")
    sites = list(fixed) + [
        replace(template, id=f"c{i}", x_m=float(x), y_m=float(y)) for i, (x, y) in enumerate(pts)
    ]
    say(f"siting: {len(cells.area_m2)} cells of {cell_m:g} m, {len(sites)} candidates ({len(fixed)} fixed)")
    cost = cost_matrix_s(sites, cells.points_m, w, router, say, exact_up_to_s=2.0 * target_s)
    problem = SitingProblem(cost, weights, tuple(range(len(fixed))))
    solution = solve(problem, objective, n, k, target_s, time_limit_s, say)
    new = [i for i in solution.chosen if i >= len(fixed)]
    new.sort(key=lambda i: (-round(sites[i].y_m, -1), sites[i].x_m))
    ids = _next_ids({d.id for d in fixed}, len(new))
    chosen = list(fixed) + [replace(sites[i], id=name) for i, name in zip(new, ids, strict=True)]
    return SitePlan(solution, tuple(chosen), tuple(ids), len(sites), cells, cost)
