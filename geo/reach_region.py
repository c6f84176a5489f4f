"""The region a dock reaches within a target time, in wind and around keep-out zones.

Without keep-out zones in the way it is the shifted disc of :func:`geo.reach.reach_disc`. With zones
it is the union, over the router's nodes n (the dock itself and the zones' corners) reached after a
constant-speed cruise of ``c_n`` seconds, of ``Disc(n + w·r_n, v·r_n) ∩ visible(n)`` with
``r_n = budget − v/a − c_n``: shortest paths around polygons bend only at their corners, and from the
last corner the drone flies a straight ground track, whose reachable set in steady wind is that disc.
The acceleration penalty ``v/a`` is counted once per path, as :func:`geo.reach.path_cruise_time_s` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.model import DockSite, Wind
from geo.reach import constant_speed_leg_time_s, overhead_s, reach_disc

#: A leg's constant-speed flight time (seconds) for offsets (dx, dy) in metres, vectorised.
LegCost = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]


class RouterLike(Protocol):
    """What coverage needs of :class:`geo.routing.KeepOutRouter`."""

    def costs_from(
        self, origin: tuple[float, float], points: NDArray[np.float64], leg_cost: LegCost
    ) -> NDArray[np.float64]: ...

    def node_costs_from(
        self, origin: tuple[float, float], leg_cost: LegCost
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...

    def visible_region(self, origin: tuple[float, float], radius: float) -> BaseGeometry: ...

    @property
    def zones_m(self) -> BaseGeometry: ...


def is_grounded(dock: DockSite, wind: Wind) -> bool:
    """A dock cannot launch above its wind limit, nor hold a point when the wind outruns the drone."""
    return wind.speed_mps > dock.launch_wind_limit_mps or wind.speed_mps >= dock.reach.cruise_mps


def leg_cost_for(dock: DockSite, wind: Wind) -> LegCost:
    """The wind-aware constant-speed leg cost of a dock's aircraft."""

    def cost(dx: NDArray[np.float64], dy: NDArray[np.float64]) -> NDArray[np.float64]:
        return constant_speed_leg_time_s(dx, dy, wind, dock.reach.cruise_mps)

    return cost


def reach_region(
    dock: DockSite,
    wind: Wind,
    target_s: float,
    router: RouterLike | None = None,
    quad_segs: int = 64,
) -> BaseGeometry:
    """Points the dock reaches within ``target_s`` (local metres); empty if it cannot reach anywhere."""
    p = dock.reach
    cx, cy, radius = reach_disc(p, wind, target_s)
    if radius <= 0:
        return Polygon()
    disc = Point(dock.x_m + cx, dock.y_m + cy).buffer(radius, quad_segs=quad_segs)
    if router is None or not disc.intersects(router.zones_m):
        return disc
    origin = (dock.x_m, dock.y_m)
    budget_s = target_s - overhead_s(p)
    wx, wy = wind.vector_mps
    reach_m = radius + float(np.hypot(cx, cy))
    parts = [disc.intersection(router.visible_region(origin, reach_m))]
    nodes, costs = router.node_costs_from(origin, leg_cost_for(dock, wind))
    for (nx, ny), cost_s in zip(nodes, costs, strict=True):
        left_s = budget_s - p.cruise_mps / p.accel_mps2 - float(cost_s)
        if not np.isfinite(left_s) or left_s <= 0 or (nx == dock.x_m and ny == dock.y_m):
            continue
        node_disc = Point(nx + wx * left_s, ny + wy * left_s).buffer(
            p.cruise_mps * left_s, quad_segs=quad_segs
        )
        seen = router.visible_region((float(nx), float(ny)), (p.cruise_mps + wind.speed_mps) * left_s)
        parts.append(node_disc.intersection(seen))
    return shapely.union_all(parts)
