"""The console's coverage cache (mission/coverage_now.py): its answers are the uncached computation's
(``coverage_without`` in the wind on the cache's steps), a new availability set or wind step is a
new answer, and an unknown wind direction still reports the worst of the eight directions."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest
import shapely
from shapely.geometry import box, shape

from geo.coverage import coverage_report
from geo.crs import LocalFrame
from geo.district import District, KeepOut
from geo.model import DockSite, Wind
from geo.routing import KeepOutRouter
from mission.api.backend import CoverageNow
from mission.api.fleet_views import UNKNOWN_WIND_DIRECTIONS_DEG, coverage_without
from mission.coverage_now import CoverageCache
from mission.geo_config import PlanningInputs
from mission.planner_coverage import coverage_wind

# A 5 km x 4 km district with a 200 m x 3 km wall east of dock "a" (routes keep 30 m from it).
WALL = box(500.0, -1500.0, 700.0, 1500.0)
DOCKS = [
    DockSite("a", 0.0, 0.0),
    DockSite("b", 2500.0, 0.0),
    DockSite("c", 1000.0, 1500.0),
    DockSite("d", -1500.0, -1500.0),
]


@pytest.fixture(scope="module")
def planning() -> PlanningInputs:
    district = District(
        "test",
        LocalFrame.from_epsg(4547),
        box(-2000.0, -2000.0, 3000.0, 2000.0),
        (KeepOut("wall", "wall", WALL, "sample"),),
    )
    return PlanningInputs(district, list(DOCKS), KeepOutRouter([WALL], clearance_m=30.0), {}, 300.0)


def out(*dock_ids: str) -> dict[str, str]:
    return {d: f"{d} is busy" for d in dock_ids}


def assert_same(got: CoverageNow, want: CoverageNow) -> None:
    """Equal answers: the same docks, direction and verdict; numbers equal up to float rounding
    (the cache's shared router view computes the same polygons in another order)."""
    assert (got.k, got.target_s, got.available, got.grounded) == (
        want.k,
        want.target_s,
        want.available,
        want.grounded,
    )
    assert dict(got.unavailable) == dict(want.unavailable)
    assert (got.wind_speed_mps, got.wind_from_deg, got.wind_direction_known) == (
        want.wind_speed_mps,
        want.wind_from_deg,
        want.wind_direction_known,
    )
    assert got.guarantee_holds is want.guarantee_holds
    assert got.demand_area_km2 == pytest.approx(want.demand_area_km2, rel=1e-12)
    assert got.covered_fraction == pytest.approx(want.covered_fraction, rel=1e-9, abs=1e-12)
    assert got.uncovered_area_km2 == pytest.approx(want.uncovered_area_km2, rel=1e-9, abs=1e-12)
    if want.worst_response_s is None:
        assert got.worst_response_s is None
    else:
        assert got.worst_response_s == pytest.approx(want.worst_response_s, abs=1e-6)
    assert (got.worst_point_lon_lat is None) is (want.worst_point_lon_lat is None)
    if want.worst_point_lon_lat is not None and got.worst_point_lon_lat is not None:
        assert got.worst_point_lon_lat == pytest.approx(want.worst_point_lon_lat, abs=1e-9)
    assert (got.uncovered_geojson is None) is (want.uncovered_geojson is None)
    if want.uncovered_geojson is not None and got.uncovered_geojson is not None:
        a, b = shape(got.uncovered_geojson), shape(want.uncovered_geojson)
        assert shapely.symmetric_difference(a, b).area <= 1e-9 * max(b.area, 1e-12)


def uncached(planning: PlanningInputs, unavailable: Mapping[str, str], wind: Wind, k: int = 1) -> CoverageNow:
    return coverage_without(planning, dict(unavailable), coverage_wind(wind), k)


# --- the wind's steps ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wind", "expected"),
    [
        (Wind.calm(), Wind.calm()),
        (Wind.unknown_direction(0.0), Wind.calm()),
        (Wind(6.5, 250.0), Wind(6.5, 250.0)),
        (Wind(6.01, 254.0), Wind(6.5, 250.0)),  # the speed up, never down
        (Wind(6.49, 356.0), Wind(6.5, 0.0)),
        (Wind.unknown_direction(2.8), Wind.unknown_direction(3.0)),
        (Wind(2.8, 93.0, direction_known=False), Wind.unknown_direction(3.0)),
    ],
)
def test_coverage_wind_rounds_the_speed_up_and_a_known_direction_to_the_nearest_step(
    wind: Wind, expected: Wind
) -> None:
    assert coverage_wind(wind) == expected


# --- cached answers are the uncached computation's -------------------------------------------------


@pytest.mark.parametrize(
    "wind", [Wind.calm(), Wind(6.2, 250.0), Wind.unknown_direction(4.6), Wind.unknown_direction(9.0)]
)
def test_cached_answers_equal_the_uncached_computation(planning: PlanningInputs, wind: Wind) -> None:
    cache = CoverageCache(planning)
    sets = [out(), out("a", "c"), out("a", "b", "c", "d")]
    if not wind.unknown:  # (eight reports a set for the uncached computation otherwise)
        sets.append(out("b"))
    for unavailable in sets:
        first = cache.cached(unavailable, wind)
        assert_same(first, uncached(planning, unavailable, wind))
        assert cache.cached(unavailable, wind) == first  # kept
    assert cache.misses == len(sets) and cache.hits == len(sets)


def test_k2_answers_equal_the_uncached_computation(planning: PlanningInputs) -> None:
    cache = CoverageCache(planning)
    for wind in (Wind.calm(), Wind.unknown_direction(3.0)):
        assert_same(cache.cached(out("d"), wind, 2), uncached(planning, out("d"), wind, 2))


def test_when_every_direction_leaves_nothing_uncovered_the_slowest_worst_point_decides(
    planning: PlanningInputs,
) -> None:
    # a 1 km square round dock "b": covered from every direction, so the screen's areas all tie at 0
    small = PlanningInputs(
        District("small", planning.district.frame, box(2000.0, -500.0, 3000.0, 500.0)),
        [DockSite("b", 2500.0, 0.0), DockSite("e", 2900.0, 400.0)],
        KeepOutRouter([WALL], clearance_m=30.0),
        {},
        300.0,
    )
    wind = Wind.unknown_direction(5.0)
    got = CoverageCache(small).cached({}, wind)
    want = uncached(small, {}, wind)
    assert want.uncovered_area_km2 == 0.0 and want.guarantee_holds
    assert_same(got, want)


# --- no stale answer --------------------------------------------------------------------------------


def test_a_new_availability_set_or_wind_step_is_a_new_answer(planning: PlanningInputs) -> None:
    cache = CoverageCache(planning)
    wind = Wind.unknown_direction(4.1)
    full = cache.cached(out(), wind)
    less = cache.cached(out("b"), wind)
    assert cache.misses == 2
    assert less.available == ("a", "c", "d") and full.available == ("a", "b", "c", "d")
    assert less.uncovered_area_km2 > full.uncovered_area_km2
    windier = cache.cached(out(), Wind.unknown_direction(4.6))  # the next half metre per second
    assert cache.misses == 3 and windier.wind_speed_mps == 5.0 and full.wind_speed_mps == 4.5
    assert windier.uncovered_area_km2 > full.uncovered_area_km2
    known = cache.cached(out(), Wind(4.1, 90.0))  # a known direction is another answer
    assert cache.misses == 4 and known.wind_direction_known and not full.wind_direction_known
    assert cache.cached(out(), Wind.unknown_direction(4.4)) == full  # the same step: kept
    assert cache.misses == 4
    # the reasons are today's, even for a kept answer
    again = cache.cached({"b": "b is charging"}, wind)
    assert cache.misses == 4 and again.unavailable == {"b": "b is charging"}
    assert again.uncovered_area_km2 == less.uncovered_area_km2


def test_the_oldest_answer_is_dropped_first(planning: PlanningInputs) -> None:
    cache = CoverageCache(planning, max_answers=2)
    for unavailable in (out("a"), out("b"), out("a"), out("c")):  # "b" is the least recently used
        cache.cached(unavailable, Wind.calm())
    assert cache.misses == 3
    cache.cached(out("a"), Wind.calm())
    assert cache.misses == 3
    cache.cached(out("b"), Wind.calm())
    assert cache.misses == 4
    with pytest.raises(ValueError, match="max_answers"):
        CoverageCache(planning, max_answers=0)


# --- the unknown direction ----------------------------------------------------------------------------


def test_an_unknown_direction_reports_the_worst_of_the_eight_directions(planning: PlanningInputs) -> None:
    p = planning
    speed_mps = 6.0
    reports = {
        d: coverage_report(
            p.district, p.docks, Wind(speed_mps, d), 1, p.router, p.target_s, ("c",), with_wind_limit=False
        )
        for d in UNKNOWN_WIND_DIRECTIONS_DEG
    }
    worst = max(reports, key=lambda d: (reports[d].uncovered_area_km2, reports[d].worst_response_s))
    assert len({round(r.uncovered_area_km2, 6) for r in reports.values()}) > 1  # the directions differ
    got = CoverageCache(p).cached(out("c"), Wind.unknown_direction(speed_mps))
    assert got.wind_from_deg == worst and got.wind_direction_known is False
    assert got.uncovered_area_km2 == pytest.approx(reports[worst].uncovered_area_km2, rel=1e-9)
    assert got.uncovered_area_km2 == pytest.approx(
        max(r.uncovered_area_km2 for r in reports.values()), rel=1e-9
    )


# --- in the event loop ------------------------------------------------------------------------------


async def test_requests_for_one_answer_share_one_computation(planning: PlanningInputs) -> None:
    cache = CoverageCache(planning)
    wind = Wind(3.0, 40.0)
    a, b = await asyncio.gather(cache.coverage_now(out("d"), wind), cache.coverage_now(out("d"), wind))
    assert a == b and cache.misses == 1 and cache.hits == 1
    assert_same(a, uncached(planning, out("d"), wind))


async def test_a_cancelled_request_lets_its_answer_be_kept(planning: PlanningInputs) -> None:
    cache = CoverageCache(planning)
    request = asyncio.create_task(cache.coverage_now(out("a"), Wind.calm()))
    await asyncio.sleep(0)  # the computation is under way
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    answer = await cache.coverage_now(out("a"), Wind.calm())  # waits for the one in flight
    assert cache.misses == 1
    assert_same(answer, uncached(planning, out("a"), Wind.calm()))
