"""The wind speed at which the single-coverage promise G1 first breaks.

For each wind direction (36 by default) the smallest speed at which the demand region is no longer
covered within the target by the available docks is found by bisection on the exact test of
:mod:`geo.coverage`; a direction that still holds at the best speed found so far costs one test. The
worst direction is then refined between its neighbours. Docks above their launch wind limit are
grounded (:func:`geo.reach_region.is_grounded`), so the answer never exceeds the largest limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from shapely.geometry.base import BaseGeometry

from geo.coverage import is_covered, reach_regions, uncovered_region
from geo.model import DockSite, Wind
from geo.reach_region import RouterLike

#: Precision of the answer (m/s).
SPEED_TOL_MPS = 0.05


def g1_holds(
    demand_m: BaseGeometry,
    docks: Sequence[DockSite],
    wind: Wind,
    target_s: float,
    router: RouterLike | None = None,
) -> bool:
    """True when every demand point is reached within ``target_s`` by one of ``docks``."""
    return is_covered(uncovered_region(demand_m, reach_regions(docks, wind, target_s, router), 1))


def g1_breaks_at_wind_mps(
    demand_m: BaseGeometry,
    docks: Sequence[DockSite],
    target_s: float,
    router: RouterLike | None = None,
    directions: int = 36,
) -> float:
    """Smallest wind speed (m/s, worst direction) at which G1 fails; 0 if it fails in calm air.

    Precision :data:`SPEED_TOL_MPS`. Coverage is assumed to shrink monotonically with the speed in
    a fixed direction (true for the shifted discs up to the launch limits, which only remove docks).
    """
    if directions < 1:
        raise ValueError("directions must be >= 1")
    if not docks or not g1_holds(demand_m, docks, Wind.calm(), target_s, router):
        return 0.0
    top_mps = max(min(d.launch_wind_limit_mps, d.reach.cruise_mps) for d in docks) + 2 * SPEED_TOL_MPS

    def breaks_at(from_deg: float, upper_mps: float) -> float | None:
        """Speed at which G1 breaks in this direction, if below ``upper_mps``."""
        if g1_holds(demand_m, docks, Wind(upper_mps, from_deg % 360.0), target_s, router):
            return None
        lo, hi = 0.0, upper_mps
        while hi - lo > SPEED_TOL_MPS:
            mid = 0.5 * (lo + hi)
            if g1_holds(demand_m, docks, Wind(mid, from_deg % 360.0), target_s, router):
                lo = mid
            else:
                hi = mid
        return hi

    step = 360.0 / directions
    best_mps, best_deg = top_mps, 0.0
    for i in range(directions):
        found = breaks_at(i * step, best_mps)
        if found is not None:
            best_mps, best_deg = found, i * step
    # Refine the worst direction between its neighbours (golden-section style, a few probes).
    span = step / 2.0
    while span > 0.5:
        for deg in (best_deg - span, best_deg + span):
            found = breaks_at(deg, best_mps)
            if found is not None:
                best_mps, best_deg = found, deg
        span /= 2.0
    return best_mps if best_mps < top_mps else math.inf
