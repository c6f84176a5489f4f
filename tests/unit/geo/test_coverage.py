"""Exact coverage (geo/coverage.py) and the G1 wind limit (geo/wind_limit.py) on hand-made cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from scipy.optimize import brentq
from shapely.geometry import Point, box

from geo.coverage import WORST_TOL_S, coverage_of_region, coverage_report, uncovered_region
from geo.coverage_grid import grid_coverage
from geo.model import DockSite, ReachParams, Wind
from geo.reach_region import reach_region
from geo.wind_limit import SPEED_TOL_MPS, g1_breaks_at_wind_mps, g1_holds, g1_wind_limit

P = ReachParams()  # overhead 30 + 60 + 20 + 10 = 120 s, v = 15 m/s, a = 3 m/s²
OVERHEAD_S = 120.0
R_M = 15.0 * (180.0 - 5.0)  # 2625 m within 300 s
SEGMENTS = 4 * 64  # quad_segs 64


def inscribed_area(r: float) -> float:
    """Area of the regular 256-gon inscribed in a circle of radius r (what buffer() draws)."""
    return 0.5 * SEGMENTS * r * r * math.sin(2 * math.pi / SEGMENTS)


def lens_area(r: float, d: float) -> float:
    """Area of the intersection of two circles of radius r whose centres are d apart."""
    return 2 * r * r * math.acos(d / (2 * r)) - 0.5 * d * math.sqrt(4 * r * r - d * d)


def straight_time_s(dist_m: float) -> float:
    return OVERHEAD_S + dist_m / 15.0 + 5.0


def test_one_dock_inside_its_disc_worst_point_is_the_far_corner():
    dock = DockSite("a", 300.0, 200.0)
    demand = box(-1000.0, -1000.0, 1000.0, 1000.0)
    report = coverage_of_region(demand, [dock], Wind.calm(), 1, 300.0)
    assert report.covered_fraction == pytest.approx(1.0)
    assert report.uncovered_area_km2 == 0.0
    far = math.hypot(1300.0, 1200.0)  # to the corner (-1000, -1000)
    assert report.worst_response_s == pytest.approx(straight_time_s(far), abs=WORST_TOL_S + 0.05)
    assert report.worst_response_s >= straight_time_s(far) - 1e-6  # never optimistic
    assert report.worst_point_m == pytest.approx((-1000.0, -1000.0), abs=5.0)
    assert report.guarantee_holds


def test_one_dock_in_a_large_square_leaves_the_square_minus_the_disc():
    demand = box(-5000.0, -5000.0, 5000.0, 5000.0)
    report = coverage_of_region(demand, [DockSite("a", 0.0, 0.0)], Wind.calm(), 1, 300.0)
    uncovered_m2 = demand.area - inscribed_area(R_M)
    assert report.uncovered_area_km2 == pytest.approx(uncovered_m2 / 1e6, rel=1e-9)
    assert report.covered_fraction == pytest.approx(inscribed_area(R_M) / demand.area, rel=1e-9)
    assert report.worst_response_s == pytest.approx(straight_time_s(5000 * math.sqrt(2)), abs=0.1)
    assert not report.guarantee_holds
    assert report.uncovered_m.contains(Point(4900.0, 4900.0))
    assert not report.uncovered_m.contains(Point(100.0, 0.0))


def test_two_docks_k2_covers_only_the_lens():
    d = 3000.0
    docks = [DockSite("w", -d / 2, 0.0), DockSite("e", d / 2, 0.0)]
    demand = box(-6000.0, -4000.0, 6000.0, 4000.0)
    k1 = coverage_of_region(demand, docks, Wind.calm(), 1, 300.0)
    k2 = coverage_of_region(demand, docks, Wind.calm(), 2, 300.0)
    lens = lens_area(R_M, d)
    union = 2 * math.pi * R_M**2 - lens
    assert k2.covered_fraction * demand.area == pytest.approx(lens, rel=2e-3)
    assert k1.covered_fraction * demand.area == pytest.approx(union, rel=2e-3)
    assert k2.uncovered_m.contains(Point(-2000.0, 0.0))  # only the west dock reaches it
    assert not k2.uncovered_m.contains(Point(0.0, 0.0))


def test_two_docks_k2_worst_time_is_the_farther_dock_to_the_far_corner():
    docks = [DockSite("w", -1500.0, 0.0), DockSite("e", 1500.0, 0.0)]
    demand = box(-500.0, -500.0, 500.0, 500.0)
    report = coverage_of_region(demand, docks, Wind.calm(), 2, 300.0)
    # The 2nd-nearest dock to (±500, ±500) is the opposite one, 2000 m east-west and 500 m north-south.
    expected = straight_time_s(math.hypot(2000.0, 500.0))
    assert report.worst_response_s == pytest.approx(expected, abs=WORST_TOL_S + 0.05)
    assert report.covered_fraction == pytest.approx(1.0)
    assert abs(report.worst_point_m[0]) == pytest.approx(500.0, abs=5.0)
    assert abs(report.worst_point_m[1]) == pytest.approx(500.0, abs=5.0)


def test_three_docks_k3_around_a_small_square():
    docks = [
        DockSite(str(i), 1200.0 * math.cos(a), 1200.0 * math.sin(a)) for i, a in enumerate((0.5, 2.6, 4.7))
    ]
    demand = box(-300.0, -300.0, 300.0, 300.0)
    report = coverage_of_region(demand, docks, Wind.calm(), 3, 300.0)
    corners = [(-300.0, -300.0), (-300.0, 300.0), (300.0, -300.0), (300.0, 300.0)]
    # The k = 3 time of a point is its farthest dock; over a convex square the max sits at a corner.
    expected = max(straight_time_s(max(math.dist(c, (d.x_m, d.y_m)) for d in docks)) for c in corners)
    assert report.worst_response_s == pytest.approx(expected, abs=WORST_TOL_S + 0.05)
    assert report.covered_fraction == pytest.approx(1.0)
    assert coverage_of_region(demand, docks[:2], Wind.calm(), 3, 300.0).worst_response_s == math.inf


def test_k_must_be_positive_and_too_few_docks_leave_everything_uncovered():
    demand = box(0.0, 0.0, 100.0, 100.0)
    with pytest.raises(ValueError):
        uncovered_region(demand, [], 0)
    assert uncovered_region(demand, [Point(0, 0).buffer(1000.0)], 2).equals(demand)


def test_wind_moves_the_worst_point_upwind():
    wind = Wind(6.0, 270.0)  # from the west, pushes east
    demand = box(-1000.0, -1000.0, 1000.0, 1000.0)
    report = coverage_of_region(demand, [DockSite("a", 0.0, 0.0)], wind, 1, 300.0)
    wx, wy = 6.0, 0.0

    def arrival(dx: float, dy: float) -> float:  # cruise time: |d - w t| = 15 (t - 5)
        return brentq(lambda t: math.hypot(dx - wx * t, dy - wy * t) - 15.0 * (t - 5.0), 5.0, 1000.0)

    expected = OVERHEAD_S + arrival(-1000.0, 1000.0)
    assert report.worst_response_s == pytest.approx(expected, abs=WORST_TOL_S + 0.05)
    assert report.worst_point_m[0] == pytest.approx(-1000.0, abs=5.0)


def test_wind_above_the_launch_limit_grounds_the_dock():
    demand = box(-100.0, -100.0, 100.0, 100.0)
    dock = DockSite("a", 0.0, 0.0, launch_wind_limit_mps=8.0)
    report = coverage_of_region(demand, [dock], Wind(8.5, 0.0), 1, 300.0)
    assert report.grounded == ("a",)
    assert report.covered_fraction == 0.0
    assert report.worst_response_s == math.inf
    assert coverage_of_region(demand, [dock], Wind(8.0, 0.0), 1, 300.0).covered_fraction == pytest.approx(1.0)


def test_reach_region_without_a_router_is_the_shifted_disc():
    wind = Wind(5.0, 0.0)  # from the north, pushes south
    region = reach_region(DockSite("a", 100.0, 100.0), wind, 300.0)
    centre = region.centroid
    assert centre.x == pytest.approx(100.0, abs=1e-6)
    assert centre.y == pytest.approx(100.0 - 5.0 * 180.0, abs=1e-6)
    assert region.area == pytest.approx(inscribed_area(R_M), rel=1e-9)


def test_g1_wind_limit_of_one_dock_in_a_square():
    # A dock at the centre of a 2 km square: the disc (R = 2625 m after 180 s of cruise) keeps the
    # upwind corner (1414 m away) until the shift 180·w equals R − 1414 m, worst along a diagonal.
    demand = box(-1000.0, -1000.0, 1000.0, 1000.0)
    dock = DockSite("a", 0.0, 0.0, launch_wind_limit_mps=12.0)
    expected = (R_M - 1000.0 * math.sqrt(2)) / 180.0
    assert g1_breaks_at_wind_mps(demand, [dock], 300.0) == pytest.approx(expected, abs=0.06)
    grounded_first = DockSite("a", 0.0, 0.0, launch_wind_limit_mps=5.0)
    assert g1_breaks_at_wind_mps(demand, [grounded_first], 300.0) == pytest.approx(5.0, abs=0.06)
    assert g1_breaks_at_wind_mps(box(-3000.0, -3000.0, 3000.0, 3000.0), [dock], 300.0) == 0.0
    worst = g1_wind_limit(demand, [dock], 300.0)
    # Along a diagonal; speeds within the 0.05 m/s tolerance are not told apart, and the breaking
    # speed changes by ~1.5 % (0.1 m/s) at 10° off the diagonal.
    off_diagonal = (worst.from_deg - 45.0) % 90.0
    assert min(off_diagonal, 90.0 - off_diagonal) <= 10.0


def test_g1_wind_limit_around_a_keepout_is_tight():
    router = wall_router()
    demand = box(-1500.0, -1200.0, 2200.0, 1200.0).difference(router.obstacles_m[0])
    docks = [
        DockSite("a", 0.0, 0.0, launch_wind_limit_mps=12.0),
        DockSite("b", 1300.0, 0.0, launch_wind_limit_mps=12.0),
    ]
    plain = g1_wind_limit(demand, docks, 300.0)
    routed = g1_wind_limit(demand, docks, 300.0, router)
    assert 0.0 < routed.speed_mps <= plain.speed_mps + SPEED_TOL_MPS
    # Tight: G1 still holds a little below in every direction, and fails at it in the one reported.
    for deg in np.arange(0.0, 360.0, 10.0):
        assert g1_holds(demand, docks, Wind(routed.speed_mps - 0.1, float(deg)), 300.0, router)
    assert not g1_holds(demand, docks, Wind(routed.speed_mps, routed.from_deg), 300.0, router)


# --- keep-out zones ------------------------------------------------------------------------------
# A 200 m x 3 km wall 500 m east of the dock; routes keep 30 m clear of it and bend at its corners,
# about (730, ±1530). Reach within 300 s is 2625 m of route.
WALL = box(500.0, -1500.0, 700.0, 1500.0)


def wall_router():
    from geo.routing import KeepOutRouter

    return KeepOutRouter([WALL], clearance_m=30.0)


@pytest.mark.parametrize(
    ("point", "covered"),
    [
        ((1500.0, 0.0), False),  # behind the middle: 1695 + 1713 m around a corner
        ((1200.0, 0.0), False),  # 1695 + 1600 m
        ((1000.0, 1000.0), True),  # 1695 + 595 m via the top corner
        ((900.0, -1300.0), True),  # 1695 + 286 m via the bottom corner
        ((-2000.0, 0.0), True),  # in plain view
    ],
)
def test_keepout_removes_the_shadow_beyond_the_detour_reach(point, covered):
    dock = DockSite("a", 0.0, 0.0)
    region = reach_region(dock, Wind.calm(), 300.0, wall_router())
    assert region.contains(Point(point)) is covered
    assert reach_region(dock, Wind.calm(), 300.0).contains(Point(point))  # all within 2625 m straight


def test_keepout_region_is_the_disc_when_the_zone_is_out_of_reach():
    from geo.routing import KeepOutRouter

    far = KeepOutRouter([box(9000.0, 9000.0, 9500.0, 9500.0)], clearance_m=30.0)
    dock = DockSite("a", 0.0, 0.0)
    assert reach_region(dock, Wind(5.0, 40.0), 300.0, far).equals(reach_region(dock, Wind(5.0, 40.0), 300.0))


@pytest.mark.parametrize("wind", [Wind.calm(), Wind(6.0, 250.0)])
def test_keepout_region_agrees_with_routed_response_times(wind):
    from geo.coverage_grid import dock_response_time_s, grid_points

    router = wall_router()
    dock = DockSite("a", 0.0, 0.0, launch_wind_limit_mps=12.0)
    region = reach_region(dock, wind, 300.0, router)
    # Demand stops at the router's clearance: flights keep 30 m from the zone.
    demand = box(-3500.0, -3500.0, 3500.0, 3500.0).difference(router.obstacles_m[0])
    pts = grid_points(demand, 40.0)
    times = dock_response_time_s(pts, dock, wind, router)
    inside = shapely.contains_xy(region, pts[:, 0], pts[:, 1])
    margin_s = 0.5  # polygonised discs and the 1 cm corner nudge: keep clear of the boundary
    assert np.all(inside[times <= 300.0 - margin_s])
    assert not np.any(inside[times >= 300.0 + margin_s])
    assert np.any(times > 300.0 + margin_s) and np.any(times < 300.0 - margin_s)


def test_coverage_with_a_keepout_matches_the_grid_and_excludes_the_zone():
    router = wall_router()
    docks = [DockSite("a", 0.0, 0.0), DockSite("b", 2500.0, 2000.0)]
    district = box(-2000.0, -2000.0, 3000.0, 2000.0)
    demand = district.difference(router.obstacles_m[0])
    with_zone = coverage_of_region(
        demand, docks, Wind.calm(), 1, 300.0, router, keepout_area_km2=WALL.area / 1e6
    )
    without = coverage_of_region(demand, docks, Wind.calm(), 1, 300.0)
    assert with_zone.covered_fraction < without.covered_fraction
    assert with_zone.uncovered_m.contains(Point(1200.0, -500.0))
    assert not without.uncovered_m.contains(Point(1200.0, -500.0))
    assert with_zone.keepout_area_km2 == pytest.approx(0.6)
    assert with_zone.demand_area_km2 < (district.area - WALL.area) / 1e6
    grid = grid_coverage(demand, docks, Wind.calm(), 1, 300.0, cell_m=50.0, router=router)
    band_m2 = with_zone.uncovered_m.boundary.length * 50.0 * math.sqrt(2) / 2
    assert grid.covered_fraction == pytest.approx(with_zone.covered_fraction, abs=band_m2 / demand.area)
    assert grid.worst_response_s <= with_zone.worst_response_s + 0.5
    assert with_zone.worst_response_s - grid.worst_response_s <= 50.0 * math.sqrt(2) / 2 / 15.0 + 0.5


# --- coverage_report on a District -----------------------------------------------------------------


def small_district():
    from geo.crs import LocalFrame
    from geo.district import District, KeepOut

    return District(
        "test",
        LocalFrame.from_epsg(4547),
        box(-2000.0, -2000.0, 3000.0, 2000.0),
        (KeepOut("wall", "wall", WALL, "sample"),),
    )


def test_coverage_report_of_a_district_with_unavailable_docks():
    district = small_district()
    docks = [DockSite("a", 0.0, 0.0), DockSite("b", 2500.0, 0.0), DockSite("c", 1000.0, 1500.0)]
    router = wall_router()
    full = coverage_report(district, docks, Wind.calm(), 1, router, 300.0)
    assert full.available == ("a", "b", "c")
    assert full.district_area_km2 == pytest.approx(20.0)
    assert full.keepout_area_km2 == pytest.approx(0.6)
    assert not full.demand_m.intersects(Point(600.0, 0.0))  # inside the zone: not demand
    assert full.g1_breaks_at_wind_mps is not None
    without_b = coverage_report(
        district, docks, Wind.calm(), 1, router, 300.0, ["b", "b"], with_wind_limit=False
    )
    assert without_b.available == ("a", "c")
    assert without_b.unavailable == ("b",)
    assert without_b.g1_breaks_at_wind_mps is None
    assert without_b.covered_fraction < full.covered_fraction
    assert without_b.uncovered_m.contains(Point(2900.0, -1900.0))  # b's corner
    with pytest.raises(ValueError, match="unknown dock id"):
        coverage_report(district, docks, Wind.calm(), 1, router, 300.0, ["zz"])
    inside = [*docks, DockSite("w", 600.0, 0.0)]
    with pytest.raises(ValueError, match="dock w lies inside keep-out zone wall"):
        coverage_report(district, inside, Wind.calm(), 1, router, 300.0, with_wind_limit=False)
    assert coverage_report(
        district, inside, Wind.calm(), 1, router, 300.0, ["w"], with_wind_limit=False
    ).available == (
        "a",
        "b",
        "c",
    )


def test_g1_fails_in_calm_air_means_zero_and_grounding_is_reported():
    district = small_district()
    docks = [DockSite("a", 0.0, 0.0)]
    report = coverage_report(district, docks, Wind(9.0, 0.0), 1, wall_router(), 300.0)
    assert report.g1_breaks_at_wind_mps == 0.0
    assert report.grounded == ("a",)
    assert report.worst_response_s == math.inf


@pytest.mark.parametrize("k", [2, 3])
def test_arrangement_count_equals_the_union_of_k_wise_intersections(k):
    # An independent exact construction: the set reached by >= k discs is the union, over all
    # k-subsets, of their intersection.
    from itertools import combinations

    rng = np.random.default_rng(11 + k)
    demand = box(0.0, 0.0, 8000.0, 6000.0).difference(box(3000.0, 2000.0, 3600.0, 2600.0))
    discs = [
        Point(x, y).buffer(r, quad_segs=64)
        for x, y, r in rng.uniform([0, 0, 1500], [8000, 6000, 3500], (8, 3))
    ]
    deficit = uncovered_region(demand, discs, k)
    multi = shapely.union_all([shapely.intersection_all(list(c)) for c in combinations(discs, k)])
    expected = demand.difference(multi)
    assert 0.0 < expected.area < demand.area  # a real test: partly covered
    assert deficit.area == pytest.approx(expected.area, rel=1e-6, abs=1.0)
    assert deficit.symmetric_difference(expected).area < 1.0
