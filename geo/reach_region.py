"""The region a dock reaches within a target time, in wind and around keep-out zones.

Without keep-out zones in the way it is the shifted disc of :func:`geo.reach.reach_disc`: after τ
seconds of cruise (accelerating at the start, braking at the end) the drone has flown ``s(τ)`` through
an air mass that moved ``w·τ``. With zones it is the union, over the router's nodes n (the dock and
the zones' nudged corners) reached at constant air speed after ``c_n`` seconds (wind-triangle legs),
of ``Disc(n + w·(b − c_n), v·(b − c_n − v/a)) ∩ visible(n)`` where b is the cruise budget: shortest
paths around polygons bend only at their corners and the last leg is straight. The acceleration and
braking (``v/a`` in all) and the drift during them are booked on the last leg; for the dock itself
this is exactly the shifted disc, so both cases agree where no zone is in the way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.model import DockSite, Wind
from geo.reach import constant_speed_leg_time_s, overhead_s, reach_disc

#: A leg's constant-speed flight time (seconds) for offsets (dx, dy) in metres, vectorised.
LegCost = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]


class RouterLike(Protocol):
    """What coverage needs of :class:`geo.routing.KeepOutRouter`."""

    @property
    def obstacles_m(self) -> tuple[Polygon, ...]: ...

    def costs_from(
        self, origin_xy: ArrayLike, points_xy: ArrayLike, leg_cost: LegCost | None = None
    ) -> NDArray[np.float64]: ...

    def node_costs_from(
        self, origin_xy: ArrayLike, leg_cost: LegCost | None = None
    ) -> list[tuple[tuple[float, float], float]]: ...

    def visible_region(
        self, origin_xy: ArrayLike, radius_m: float, quad_segs: int = 64
    ) -> Polygon | MultiPolygon: ...


def is_grounded(dock: DockSite, wind: Wind) -> bool:
    """A dock cannot launch above its wind limit, nor hold a point when the wind outruns the drone."""
    return wind.speed_mps > dock.launch_wind_limit_mps or wind.speed_mps >= dock.reach.cruise_mps


def leg_cost_for(dock: DockSite, wind: Wind) -> LegCost:
    """The wind-aware constant-speed leg cost of a dock's aircraft."""

    def cost(dx: NDArray[np.float64], dy: NDArray[np.float64]) -> NDArray[np.float64]:
        return constant_speed_leg_time_s(dx, dy, wind, dock.reach.cruise_mps)

    return cost


class RouterView:
    """A router with its obstacles merged and the regions its nodes see cached. What a node sees
    depends on neither the dock nor the wind, so one view serves every query of a report."""

    def __init__(self, router: RouterLike) -> None:
        self.router = router
        merged = shapely.union_all(list(router.obstacles_m)) if router.obstacles_m else Polygon()
        self._parts = [p for p in shapely.get_parts(merged) if isinstance(p, Polygon) and not p.is_empty]
        self.obstacles: BaseGeometry = merged
        shapely.prepare(self.obstacles)
        self._seen: dict[tuple[float, float], tuple[float, BaseGeometry]] = {}

    @property
    def has_zones(self) -> bool:
        return not self.obstacles.is_empty

    def may_block(self, origin: tuple[float, float], pts: NDArray[np.float64]) -> NDArray[np.bool_]:
        """For each point, whether the straight leg from ``origin`` touches an obstacle. A cheap
        angular-sector and distance screen picks the candidates; shapely tests only those."""
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        hit = np.zeros(len(pts), dtype=bool)
        if not self.has_zones or len(pts) == 0:
            return hit
        ox, oy = origin
        dx, dy = pts[:, 0] - ox, pts[:, 1] - oy
        angle = np.arctan2(dy, dx)
        dist = np.hypot(dx, dy)
        candidate = np.zeros(len(pts), dtype=bool)
        here = Point(ox, oy)
        for part in self._parts:
            if part.convex_hull.covers(here):
                candidate[:] = True
                break
            ring = np.asarray(part.exterior.coords)
            va = np.arctan2(ring[:, 1] - oy, ring[:, 0] - ox)
            mid = math.atan2(part.centroid.y - oy, part.centroid.x - ox)
            rel = (va - mid + math.pi) % (2 * math.pi) - math.pi
            lo, hi = float(rel.min()), float(rel.max())
            prel = (angle - mid + math.pi) % (2 * math.pi) - math.pi
            candidate |= (prel >= lo - 1e-9) & (prel <= hi + 1e-9) & (dist >= part.distance(here) - 1e-6)
        idx = np.flatnonzero(candidate)
        if len(idx):
            starts = np.broadcast_to(np.asarray(origin, dtype=np.float64), (len(idx), 2))
            lines = shapely.linestrings(np.stack([starts, pts[idx]], axis=1))
            hit[idx] = shapely.intersects(lines, self.obstacles)
        return hit

    def seen(self, origin: tuple[float, float], radius_m: float) -> BaseGeometry:
        """What ``origin`` sees within (at least) ``radius_m``. A region seen within a larger radius,
        cut by any disc inside that radius, gives the same answer, so the largest one asked is kept
        (with some headroom, as a bisection asks for growing radii)."""
        cached = self._seen.get(origin)
        if cached is None or cached[0] < radius_m:
            grown = max(1.25 * radius_m, 1.5 * cached[0]) if cached else 1.25 * radius_m
            cached = (grown, self.router.visible_region(origin, grown))
            self._seen[origin] = cached
        return cached[1]


class ReachRegions:
    """Reach regions of a set of docks in one wind, for any target time.

    Route costs to the router's nodes and the regions each node sees are cached, so a bisection
    on the target time pays for the routing once. With ``clip_to`` (minx, miny, maxx, maxy) the
    parts built around keep-out zones are cut to that box: only the demand inside it matters.
    """

    def __init__(
        self,
        docks: Sequence[DockSite],
        wind: Wind,
        router: RouterLike | None = None,
        quad_segs: int = 64,
        view: RouterView | None = None,
        clip_to: tuple[float, float, float, float] | None = None,
    ) -> None:
        self.docks = tuple(docks)
        self.wind = wind
        if view is None and router is not None:
            view = RouterView(router)
        self.view = view if view is not None and view.has_zones else None
        self.quad_segs = quad_segs
        self.clip_to = clip_to
        self._nodes: dict[int, list[tuple[tuple[float, float], float]]] = {}
        self._clipped: dict[int, tuple[BaseGeometry, BaseGeometry]] = {}

    def regions(self, target_s: float) -> list[BaseGeometry]:
        """Every dock's region at ``target_s`` (empty for a grounded dock)."""
        return [self.region(i, target_s) for i in range(len(self.docks))]

    def region(self, index: int, target_s: float) -> BaseGeometry:
        """Points dock ``index`` reaches within ``target_s`` (local metres)."""
        dock = self.docks[index]
        if is_grounded(dock, self.wind):
            return Polygon()
        p = dock.reach
        cx, cy, radius = reach_disc(p, self.wind, target_s)
        if radius <= 0:
            return Polygon()
        disc = Point(dock.x_m + cx, dock.y_m + cy).buffer(radius, quad_segs=self.quad_segs)
        if self.view is None or not self.view.obstacles.intersects(self._clip(disc)):
            return disc
        origin = (dock.x_m, dock.y_m)
        parts = [self._clip(disc).intersection(self._seen(origin, radius + float(np.hypot(cx, cy))))]
        budget_s = target_s - overhead_s(p)
        wx, wy = self.wind.vector_mps
        for (nx, ny), cost_s in self._node_costs(index)[1:]:
            last_s = budget_s - cost_s  # the last leg, braking included
            radius_m = p.cruise_mps * (last_s - p.cruise_mps / p.accel_mps2)
            if radius_m <= 0:
                continue
            centre = Point(nx + wx * last_s, ny + wy * last_s)
            if self.clip_to is not None and _box_distance(self.clip_to, centre.x, centre.y) >= radius_m:
                continue
            node_disc = self._clip(centre.buffer(radius_m, quad_segs=self.quad_segs))
            if node_disc.is_empty:
                continue
            seen = self._seen((nx, ny), radius_m + self.wind.speed_mps * last_s)
            parts.append(node_disc.intersection(seen))
        return _polygonal(shapely.union_all(parts))

    def _clip(self, geom: BaseGeometry) -> BaseGeometry:
        """``geom`` cut to the box of interest (the demand's bounds), if one was given."""
        return geom if self.clip_to is None else shapely.clip_by_rect(geom, *self.clip_to)

    def _seen(self, origin: tuple[float, float], radius_m: float) -> BaseGeometry:
        assert self.view is not None
        full = self.view.seen(origin, radius_m)
        cached = self._clipped.get(id(full))
        if cached is None or cached[0] is not full:
            cached = (full, self._clip(full))
            self._clipped[id(full)] = cached
        return cached[1]

    def _node_costs(self, index: int) -> list[tuple[tuple[float, float], float]]:
        if index not in self._nodes:
            assert self.view is not None
            dock = self.docks[index]
            origin = (dock.x_m, dock.y_m)
            self._nodes[index] = self.view.router.node_costs_from(origin, leg_cost_for(dock, self.wind))
        return self._nodes[index]


def _box_distance(box: tuple[float, float, float, float], x: float, y: float) -> float:
    minx, miny, maxx, maxy = box
    return math.hypot(max(minx - x, 0.0, x - maxx), max(miny - y, 0.0, y - maxy))


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The areal part of a geometry (intersections may leave stray lines or points)."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    polys = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon | MultiPolygon) and not g.is_empty]
    return shapely.union_all(polys) if polys else Polygon()


def reach_region(
    dock: DockSite,
    wind: Wind,
    target_s: float,
    router: RouterLike | None = None,
    quad_segs: int = 64,
) -> BaseGeometry:
    """Points one dock reaches within ``target_s`` (local metres); empty if it cannot reach anywhere
    or is grounded by the wind."""
    return ReachRegions([dock], wind, router, quad_segs).region(0, target_s)
