"""The wind speed at which the single-coverage promise G1 first breaks.

For each wind direction (36 by default) the smallest speed at which the demand region is no longer
covered within the target by the available docks is found by bisection on the exact test of
:mod:`geo.coverage`; a direction that still holds at the best speed found so far costs one test. The
worst direction is then refined between its neighbours. Docks above their launch wind limit are
grounded (:func:`geo.reach_region.is_grounded`), so the answer never exceeds the largest limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

from geo.coverage import is_covered, uncovered_region
from geo.model import DockSite, Wind
from geo.reach_region import ReachRegions, RouterLike, RouterView

#: Precision of the answer (m/s).
SPEED_TOL_MPS = 0.05


@dataclass(frozen=True)
class WindLimit:
    """The weakest steady wind that breaks G1: speed (m/s) and the direction it blows from (deg)."""

    speed_mps: float
    from_deg: float


def g1_holds(
    demand_m: BaseGeometry,
    docks: Sequence[DockSite],
    wind: Wind,
    target_s: float,
    router: RouterLike | None = None,
    view: RouterView | None = None,
) -> bool:
    """True when every demand point is reached within ``target_s`` by one of ``docks``."""
    minx, miny, maxx, maxy = demand_m.bounds
    box = (minx - 10.0, miny - 10.0, maxx + 10.0, maxy + 10.0)
    regions = ReachRegions(docks, wind, router, view=view, clip_to=box).regions(target_s)
    return is_covered(uncovered_region(demand_m, regions, 1))


def g1_breaks_at_wind_mps(
    demand_m: BaseGeometry,
    docks: Sequence[DockSite],
    target_s: float,
    router: RouterLike | None = None,
    directions: int = 36,
    view: RouterView | None = None,
) -> float:
    """Smallest wind speed (m/s, worst direction) at which G1 fails; 0 if it fails in calm air
    (see :func:`g1_wind_limit`)."""
    return g1_wind_limit(demand_m, docks, target_s, router, directions, view).speed_mps


def g1_wind_limit(
    demand_m: BaseGeometry,
    docks: Sequence[DockSite],
    target_s: float,
    router: RouterLike | None = None,
    directions: int = 36,
    view: RouterView | None = None,
) -> WindLimit:
    """The weakest wind that breaks G1: its speed (0 if G1 fails in calm air; ``inf`` if nothing
    breaks it, i.e. an empty demand region) and the direction it blows from.

    Precision :data:`SPEED_TOL_MPS`. Coverage is assumed to shrink monotonically with the speed in
    a fixed direction (true for the shifted discs up to the launch limits, which only remove docks).
    With keep-out zones the search first runs on the plain discs: zones only shrink the regions, so
    that answer bounds the real one from above and says which direction to try first.
    """
    if directions < 1:
        raise ValueError("directions must be >= 1")
    if view is None and router is not None:
        view = RouterView(router)
    if view is not None and not view.has_zones:
        view = None

    def holds_plain(wind: Wind) -> bool:
        return g1_holds(demand_m, docks, wind, target_s)

    def holds_routed(wind: Wind) -> bool:
        return g1_holds(demand_m, docks, wind, target_s, view=view)

    holds = holds_plain if view is None else holds_routed
    if not docks or not holds(Wind.calm()):
        return WindLimit(0.0, 0.0)
    top_mps = max(min(d.launch_wind_limit_mps, d.reach.cruise_mps) for d in docks) + 2 * SPEED_TOL_MPS
    step = 360.0 / directions
    degs = [i * step for i in range(directions)]
    best_mps, best_deg = _worst_direction(holds_plain, degs, step, top_mps)
    if view is not None:
        order = sorted(degs, key=lambda d: min(abs(d - best_deg) % 360.0, 360.0 - abs(d - best_deg) % 360.0))
        best_mps, best_deg = _worst_direction(
            holds_routed, [best_deg, *order], step, best_mps + SPEED_TOL_MPS
        )
    return WindLimit(best_mps if best_mps < top_mps else math.inf, best_deg % 360.0)


def _worst_direction(
    holds: Callable[[Wind], bool], degs: Sequence[float], step: float, upper_mps: float
) -> tuple[float, float]:
    """(breaking speed, direction) minimised over ``degs``, then refined around the worst one."""

    def breaks_at(from_deg: float, below_mps: float) -> float | None:
        """Speed at which G1 breaks in this direction if that improves on ``below_mps`` by more than
        the tolerance (else None: one test)."""
        if holds(Wind(max(below_mps - SPEED_TOL_MPS, 0.0), from_deg % 360.0)):
            return None
        lo, hi = 0.0, below_mps
        while hi - lo > SPEED_TOL_MPS:
            mid = 0.5 * (lo + hi)
            if holds(Wind(mid, from_deg % 360.0)):
                lo = mid
            else:
                hi = mid
        return hi

    best_mps, best_deg = upper_mps, degs[0]
    for deg in degs:
        found = breaks_at(deg, best_mps)
        if found is not None:
            best_mps, best_deg = found, deg
    # Refine between the worst direction's neighbours by halving the angle step.
    span = step / 2.0
    while span > 0.5:
        for deg in (best_deg - span, best_deg + span):
            found = breaks_at(deg, best_mps)
            if found is not None:
                best_mps, best_deg = found, deg
        span /= 2.0
    return best_mps, best_deg
