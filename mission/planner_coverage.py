"""What a dock's absence costs: the area of the district left uncovered (within the target, k = 1)
by a set of available docks, in a given wind. The planner breaks ties with it.

Reach regions are computed once per dock and wind (geo's exact regions around keep-out zones) and
each availability set's answer is cached, so repeated decisions cost a dictionary look-up.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence

import shapely
from shapely.geometry.base import BaseGeometry

from geo.coverage import demand_region, is_covered
from geo.district import District
from geo.model import DockSite, Wind
from geo.reach_region import ReachRegions, RouterLike, RouterView

#: Wind is rounded to this before it keys the cache (m/s, degrees).
WIND_STEP_MPS = 0.5
WIND_STEP_DEG = 10.0
#: Winds whose regions are kept (the oldest is dropped first).
MAX_WINDS = 64


def _wind_key(wind: Wind) -> tuple[float, float]:
    speed = round(wind.speed_mps / WIND_STEP_MPS) * WIND_STEP_MPS
    direction = (round(wind.from_deg / WIND_STEP_DEG) * WIND_STEP_DEG) % 360.0 if speed > 0 else 0.0
    return speed, direction


def coverage_wind(wind: Wind) -> Wind:
    """The wind a cached coverage answer is computed in, on the same steps as the planner's cache:
    the speed rounded *up* to :data:`WIND_STEP_MPS` (never less wind than measured), a known
    direction to the nearest :data:`WIND_STEP_DEG`; an unknown direction stays unknown, no wind
    is calm. Winds that round alike share an answer."""
    if wind.speed_mps <= 0:
        return Wind.calm()
    speed = math.ceil(wind.speed_mps / WIND_STEP_MPS - 1e-9) * WIND_STEP_MPS
    if wind.unknown:
        return Wind.unknown_direction(speed)
    return Wind(speed, (round(wind.from_deg / WIND_STEP_DEG) * WIND_STEP_DEG) % 360.0)


class UncoveredArea:
    """``uncovered_km2(available_ids, wind)`` with caches. Wind is rounded to half a metre per
    second and ten degrees (:data:`WIND_STEP_MPS`, :data:`WIND_STEP_DEG`); regions use ``quad_segs``
    segments per quarter circle (16: within 0.2 % of the area at 5 km, enough to rank docks)."""

    def __init__(
        self,
        district: District,
        docks: Sequence[DockSite],
        router: RouterLike | None,
        target_s: float,
        *,
        quad_segs: int = 16,
        max_sets: int = 4096,
    ) -> None:
        self.docks = {d.id: d for d in docks}
        self._order = [d.id for d in docks]
        self.router = router
        self.target_s = target_s
        self.quad_segs = quad_segs
        self.demand_m: BaseGeometry = demand_region(district, router)
        shapely.prepare(self.demand_m)
        self._view = RouterView(router) if router is not None else None
        self._box = self.demand_m.bounds
        self._regions: dict[tuple[float, float], dict[str, BaseGeometry]] = {}
        self._answers: OrderedDict[tuple[frozenset[str], tuple[float, float]], float] = OrderedDict()
        self._max_sets = max_sets
        self.misses = 0

    def _regions_for(self, key: tuple[float, float]) -> dict[str, BaseGeometry]:
        regions = self._regions.get(key)
        if regions is None:
            wind = Wind(*key)
            docks = [self.docks[i] for i in self._order]
            builder = ReachRegions(docks, wind, self.router, self.quad_segs, self._view, self._box)
            regions = {d.id: builder.region(n, self.target_s) for n, d in enumerate(docks)}
            if len(self._regions) >= MAX_WINDS:
                self._regions.pop(next(iter(self._regions)))
            self._regions[key] = regions
        return regions

    def uncovered_km2(self, available: frozenset[str], wind: Wind) -> float:
        """Area (km²) of the demand region no dock of ``available`` reaches within the target."""
        key = (available, _wind_key(wind))
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
            return answer
        self.misses += 1
        regions = self._regions_for(key[1])
        parts = [regions[i] for i in available if i in regions and not regions[i].is_empty]
        gap = self.demand_m.difference(shapely.union_all(parts)) if parts else self.demand_m
        answer = 0.0 if is_covered(gap) else float(gap.area) / 1e6
        self._answers[key] = answer
        if len(self._answers) > self._max_sets:
            self._answers.popitem(last=False)
        return answer
