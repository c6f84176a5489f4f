"""The numpy grid oracle (geo/coverage_grid.py) and its agreement with the exact coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import Point, Polygon, box

from geo.coverage import coverage_of_region
from geo.coverage_grid import grid_coverage, grid_points, kth_response_time_s
from geo.model import DockSite, Wind


def test_grid_points_are_cell_centres_inside_the_region():
    pts = grid_points(box(0.0, 0.0, 1000.0, 500.0), 100.0)
    assert pts.shape == (50, 2)
    assert pts[:, 0].min() == 50.0 and pts[:, 0].max() == 950.0
    disc = Point(0.0, 0.0).buffer(1000.0, quad_segs=64)
    inside = grid_points(disc, 10.0)
    assert np.all(np.hypot(inside[:, 0], inside[:, 1]) <= 1000.0)
    assert len(inside) * 100.0 == pytest.approx(disc.area, rel=0.01)
    with pytest.raises(ValueError):
        grid_points(disc, 0.0)


def test_kth_time_picks_the_kth_nearest_dock():
    docks = [DockSite("a", 0.0, 0.0), DockSite("b", 1500.0, 0.0), DockSite("c", 3000.0, 0.0)]
    t = kth_response_time_s(np.array([[0.0, 0.0]]), docks, Wind.calm(), 2)
    assert float(t[0]) == pytest.approx(120.0 + 1500.0 / 15.0 + 5.0)
    assert math.isinf(float(kth_response_time_s(np.array([[0.0, 0.0]]), docks, Wind.calm(), 4)[0]))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("wind_mps", [0.0, 6.0])
def test_exact_and_grid_agree_on_random_dock_sets(seed, k, wind_mps):
    rng = np.random.default_rng(seed)
    cell_m = 50.0
    demand = box(0.0, 0.0, 12000.0, 10000.0)  # a whole number of cells each way
    xy = rng.uniform([-1000.0, -1000.0], [13000.0, 11000.0], size=(10, 2))
    docks = [DockSite(f"d{i}", float(x), float(y), launch_wind_limit_mps=12.0) for i, (x, y) in enumerate(xy)]
    wind = Wind(wind_mps, float(rng.uniform(0.0, 360.0)))
    exact = coverage_of_region(demand, docks, wind, k, 300.0)
    grid = grid_coverage(demand, docks, wind, k, 300.0, cell_m=cell_m)
    # Only cells whose centre lies within half a cell diagonal of the uncovered set's boundary can
    # disagree: at most that band's area.
    boundary_m = exact.uncovered_m.boundary.length if not exact.uncovered_m.is_empty else 0.0
    band_m2 = boundary_m * cell_m * math.sqrt(2) / 2
    assert grid.covered_fraction == pytest.approx(exact.covered_fraction, abs=band_m2 / demand.area)
    # Every point is within half a cell diagonal of a cell centre; response time changes at most by
    # distance / slowest ground speed.
    half_diag_s = cell_m * math.sqrt(2) / 2 / (15.0 - wind_mps)
    assert grid.worst_response_s <= exact.worst_response_s + 0.01
    assert exact.worst_response_s - grid.worst_response_s <= half_diag_s + 0.1


def test_calm_air_detour_time_is_the_routers_cost_plus_braking():
    from geo.coverage_grid import dock_response_time_s
    from geo.routing import KeepOutRouter

    wall = box(500.0, -1500.0, 700.0, 1500.0)
    router = KeepOutRouter([wall], clearance_m=30.0)
    dock = DockSite("a", 0.0, 0.0)
    pts = np.array([[1500.0, 0.0], [1000.0, 1000.0], [-800.0, 300.0]])
    times = dock_response_time_s(pts, dock, Wind.calm(), router)
    routed_m = router.costs_from((0.0, 0.0), pts)  # metres (the default leg cost is the length)
    np.testing.assert_allclose(times[:2], 120.0 + routed_m[:2] / 15.0 + 5.0, rtol=1e-9)
    assert times[2] == pytest.approx(120.0 + math.hypot(800.0, 300.0) / 15.0 + 5.0)  # in plain view
    assert routed_m[0] > 1500.0 + 1500.0  # the detour really goes round the wall


@pytest.mark.parametrize("k", [1, 2, 3])
def test_exact_and_grid_agree_on_a_concave_district_with_a_hole(k):
    # An L-shape with a square hole, every edge on the 50 m grid lines, so that every point is
    # within half a cell diagonal of a cell centre inside the region.
    cell_m = 50.0
    ell = Polygon([(0, 0), (9000, 0), (9000, 4000), (4000, 4000), (4000, 9000), (0, 9000)])
    demand = ell.difference(box(1500.0, 1500.0, 2500.0, 2500.0))
    rng = np.random.default_rng(7)
    xy = rng.uniform([0.0, 0.0], [9000.0, 9000.0], size=(9, 2))
    docks = [DockSite(f"d{i}", float(x), float(y)) for i, (x, y) in enumerate(xy)]
    exact = coverage_of_region(demand, docks, Wind(4.0, 300.0), k, 300.0)
    grid = grid_coverage(demand, docks, Wind(4.0, 300.0), k, 300.0, cell_m=cell_m)
    boundary_m = exact.uncovered_m.boundary.length if not exact.uncovered_m.is_empty else 0.0
    band_m2 = boundary_m * cell_m * math.sqrt(2) / 2
    assert grid.covered_fraction == pytest.approx(exact.covered_fraction, abs=band_m2 / demand.area)
    assert grid.worst_response_s <= exact.worst_response_s + 0.01
    assert exact.worst_response_s - grid.worst_response_s <= cell_m * math.sqrt(2) / 2 / 11.0 + 0.1
    assert demand.buffer(1e-6).contains(Point(exact.worst_point_m))
