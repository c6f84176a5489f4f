"""The console's coverage now, computed once per (docks unavailable, wind, k) and kept.

A coverage answer depends only on which planning docks cannot launch, the wind and k. The wind is
first put on the planner's steps (:func:`mission.planner_coverage.coverage_wind`: the speed rounded
up to half a metre per second, a known direction to ten degrees), so the docks' gusty readings
share answers; the last :data:`MAX_ANSWERS` answers are kept (least recently used dropped first).
A new set of unavailable docks or a new wind step is a new answer, never a stale one.

An answer that is not kept yet (:func:`coverage_for`) costs one exact report, not eight:

- what the router's nodes see is computed once for every answer (one shared
  :class:`geo.reach_region.RouterView`; it depends on neither the docks nor the wind);
- with an unknown wind direction, each of :data:`UNKNOWN_WIND_DIRECTIONS_DEG` is first screened by
  the area it leaves uncovered at the target (the report's own test, without its worst-response
  search), then only the directions that leave the most uncovered get a full report — the same
  direction :func:`mission.api.fleet_views.coverage_without` picks from eight full reports.

The geometry runs in one worker thread of its own (not asyncio's default executor, which the
payload agents keep busy in the demo); requests for an answer being computed wait for that one.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import shapely

from geo.coverage import (
    CoverageReport,
    available_docks,
    coverage_report,
    demand_region,
    uncovered_area_at_target_km2,
)
from geo.model import Wind
from geo.reach_region import RouterView
from mission.api.backend import CoverageNow
from mission.geo_config import PlanningInputs
from mission.planner_coverage import coverage_wind

#: Directions (from, degrees) coverage now evaluates when the docks report no wind direction.
UNKNOWN_WIND_DIRECTIONS_DEG = (0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0)
#: Answers kept (availability sets × wind steps × k).
MAX_ANSWERS = 64
#: Screened directions within this much uncovered area (km², 1 m²) of the most get a full report:
#: far above the float noise of two computations of one area, far below a real difference.
SCREEN_TIE_KM2 = 1e-6

AnswerKey = tuple[frozenset[str], Wind, int]

_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="skyloop-coverage")


def worst_of(reports: Iterable[CoverageReport]) -> CoverageReport:
    """The report with the most area uncovered, then the slowest worst point."""
    return max(reports, key=lambda r: (r.uncovered_area_km2, r.worst_response_s))


def as_coverage_now(
    planning: PlanningInputs, report: CoverageReport, wind: Wind, unavailable: Mapping[str, str], k: int
) -> CoverageNow:
    """geo's report in WGS84 for the console; ``wind`` is the one asked about (its speed, whether
    its direction was known)."""
    frame = planning.district.frame
    worst = report.worst_response_s
    point: tuple[float, float] | None = None
    if all(math.isfinite(c) for c in report.worst_point_m):
        lon, lat = frame.to_wgs84(*report.worst_point_m)
        point = (float(lon), float(lat))
    uncovered: dict[str, Any] | None = None
    if not report.uncovered_m.is_empty:
        uncovered = shapely.geometry.mapping(frame.geom_to_wgs84(report.uncovered_m))
    return CoverageNow(
        k=k,
        target_s=report.target_s,
        wind_speed_mps=wind.speed_mps,
        wind_from_deg=report.wind.from_deg,
        wind_direction_known=not wind.unknown,
        available=report.available,
        unavailable=dict(unavailable),
        grounded=report.grounded,
        demand_area_km2=report.demand_area_km2,
        covered_fraction=report.covered_fraction,
        uncovered_area_km2=report.uncovered_area_km2,
        worst_response_s=worst if math.isfinite(worst) else None,
        worst_point_lon_lat=point,
        guarantee_holds=report.guarantee_holds,
        uncovered_geojson=uncovered,
    )


class CoverageCache:
    """Coverage now for one set of planning inputs; see the module docstring. ``misses`` counts the
    answers computed, ``hits`` those served from the cache (or from a computation in flight)."""

    def __init__(self, planning: PlanningInputs, *, max_answers: int = MAX_ANSWERS) -> None:
        if max_answers < 1:
            raise ValueError(f"max_answers must be >= 1, got {max_answers}")
        self.planning = planning
        self.max_answers = max_answers
        self._view = RouterView(planning.router)
        self._demand_m = demand_region(planning.district, planning.router)
        self._answers: OrderedDict[AnswerKey, CoverageNow] = OrderedDict()
        self._pending: dict[AnswerKey, asyncio.Future[CoverageNow]] = {}
        self._geometry = threading.Lock()  # the shared view is not for two threads at once
        self.misses = 0
        self.hits = 0

    @staticmethod
    def key(unavailable: Iterable[str], wind: Wind, k: int) -> AnswerKey:
        """What an answer depends on: the docks that cannot launch, the wind on its steps, k."""
        return (frozenset(unavailable), coverage_wind(wind), k)

    def coverage_for(self, unavailable: Mapping[str, str], wind: Wind, k: int = 1) -> CoverageNow:
        """The answer for these docks out (dock id → why), computed now (nothing kept): the same as
        ``coverage_without(planning, unavailable, coverage_wind(wind), k)``, up to float rounding."""
        wind = coverage_wind(wind)
        off = tuple(unavailable)
        p = self.planning
        with self._geometry:
            if wind.unknown:
                report = self._worst_direction(off, wind.speed_mps, k)
            else:
                report = self._report(off, wind, k)
        return as_coverage_now(p, report, wind, unavailable, k)

    def cached(self, unavailable: Mapping[str, str], wind: Wind, k: int = 1) -> CoverageNow:
        """The kept answer, computed here first if there is none (for callers without a loop)."""
        key = self.key(unavailable, wind, k)
        answer = self._kept(key)
        if answer is None:
            self.misses += 1
            answer = self._keep(key, self.coverage_for(unavailable, wind, k))
        return replace(answer, unavailable=dict(unavailable))

    async def coverage_now(self, unavailable: Mapping[str, str], wind: Wind, k: int = 1) -> CoverageNow:
        """The kept answer, or computed in the coverage worker thread (a request for an answer
        already being computed waits for it; a cancelled request lets the computation finish and
        be kept). The reasons given in ``unavailable`` are the ones answered."""
        key = self.key(unavailable, wind, k)
        answer = self._kept(key)
        if answer is None:
            pending = self._pending.get(key)
            if pending is None:
                self.misses += 1
                loop = asyncio.get_running_loop()
                job = loop.run_in_executor(_worker, self.coverage_for, dict(unavailable), wind, k)
                pending = self._pending[key] = asyncio.ensure_future(self._finish(key, job))
            else:
                self.hits += 1
            answer = await asyncio.shield(pending)
        return replace(answer, unavailable=dict(unavailable))

    async def _finish(self, key: AnswerKey, job: asyncio.Future[CoverageNow]) -> CoverageNow:
        try:
            return self._keep(key, await job)
        finally:
            self._pending.pop(key, None)

    def _kept(self, key: AnswerKey) -> CoverageNow | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
            self.hits += 1
        return answer

    def _keep(self, key: AnswerKey, answer: CoverageNow) -> CoverageNow:
        self._answers[key] = answer
        self._answers.move_to_end(key)
        while len(self._answers) > self.max_answers:
            self._answers.popitem(last=False)
        return answer

    def _report(self, off: tuple[str, ...], wind: Wind, k: int) -> CoverageReport:
        p = self.planning
        return coverage_report(
            p.district,
            p.docks,
            wind,
            k,
            p.router,
            p.target_s,
            off,
            with_wind_limit=False,
            view=self._view,
        )

    def _worst_direction(self, off: tuple[str, ...], speed_mps: float, k: int) -> CoverageReport:
        """The worst of :data:`UNKNOWN_WIND_DIRECTIONS_DEG`: screened by uncovered area, then full
        reports for the directions that may be the worst."""
        p = self.planning
        docks = available_docks(p.district, p.docks, off)
        winds = [Wind(speed_mps, d) for d in UNKNOWN_WIND_DIRECTIONS_DEG]
        areas = [
            uncovered_area_at_target_km2(self._demand_m, docks, w, k, p.target_s, p.router, self._view)
            for w in winds
        ]
        most = max(areas)
        return worst_of(
            self._report(off, w, k) for w, a in zip(winds, areas, strict=True) if a >= most - SCREEN_TIE_KM2
        )
