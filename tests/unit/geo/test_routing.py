"""Keep-out routing: detours, clearance, bulk costs and visible regions against brute force.

The oracle is a second implementation of the visibility graph over the router's own nodes that
uses shapely's exact predicates (interior/interior intersection) and scipy's Dijkstra, so it checks
the router's numpy crossing tests, its graph and its search independently.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point, Polygon, box

from geo.district import GeoInputError
from geo.model import Wind
from geo.reach import constant_speed_leg_time_s
from geo.routing import KeepOutRouter

SIZE_M = 6000.0


def random_zones(rng: np.random.Generator, n: int) -> list[Polygon]:
    """Convex blobs and concave stars, some overlapping, in a SIZE_M square (x offset 480 km)."""
    zones = []
    for i in range(n):
        cx, cy = rng.uniform(800, SIZE_M - 800, 2)
        k = int(rng.integers(5, 11))
        ang = np.sort(rng.uniform(0, 2 * math.pi, k))
        r = rng.uniform(150, 600, k)
        if i % 2:  # a star: alternate deep notches
            r[::2] *= 0.35
        zones.append(
            Polygon(np.column_stack([480_000 + cx + r * np.cos(ang), 3_840_000 + cy + r * np.sin(ang)]))
        )
    return [z if z.is_valid else z.convex_hull for z in zones]


def free_points(router: KeepOutRouter, rng: np.random.Generator, n: int) -> np.ndarray:
    """Points outside every obstacle (zone plus clearance)."""
    out = []
    obstacles = shapely.union_all(router.obstacles_m)
    while len(out) < n:
        p = rng.uniform([480_000, 3_840_000], [480_000 + SIZE_M, 3_840_000 + SIZE_M], (n, 2))
        out.extend(p[~shapely.contains_xy(obstacles, p[:, 0], p[:, 1])])
    return np.asarray(out[:n])


class Oracle:
    """Shortest paths over the router's nodes with shapely predicates and scipy's Dijkstra."""

    def __init__(self, router: KeepOutRouter, leg=None) -> None:
        self.obstacles = shapely.union_all(router.obstacles_m)
        shapely.prepare(self.obstacles)
        self.nodes = router.nodes_m
        self.leg = leg or (lambda dx, dy: np.hypot(dx, dy))
        k = len(self.nodes)
        self.w = np.zeros((k + 2, k + 2))
        for i in range(k):
            for j in range(k):
                self.w[i + 2, j + 2] = self._weight(self.nodes[i], self.nodes[j]) if i != j else 0.0

    def clear(self, a, b) -> bool:
        return not shapely.relate_pattern(LineString([a, b]), self.obstacles, "T********")

    def _weight(self, a, b) -> float:
        if not self.clear(a, b):
            return 0.0  # no edge
        d = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
        return max(float(self.leg(np.array([d[0]]), np.array([d[1]]))[0]), 1e-12)

    def cost(self, a, b) -> float:
        w = self.w.copy()
        w[0, 1] = self._weight(a, b)
        for i, n in enumerate(self.nodes):
            w[0, i + 2] = self._weight(a, n)
            w[i + 2, 1] = self._weight(n, b)
        return float(dijkstra(csr_matrix(w), directed=True, indices=0)[1])


@pytest.fixture(scope="module", params=[1, 2, 3])
def scene(request):
    rng = np.random.default_rng(request.param)
    router = KeepOutRouter(random_zones(rng, 6), clearance_m=30.0)
    return router, rng


def test_detours_are_never_shorter_and_never_enter_a_zone(scene):
    router, rng = scene
    pts = free_points(router, rng, 400)
    zones = shapely.union_all(router.zones_m)
    detours = 0
    for a, b in zip(pts[::2], pts[1::2], strict=True):
        path = router.path(a, b)
        assert path[0] == pytest.approx(tuple(a)) and path[-1] == pytest.approx(tuple(b))
        line = LineString(path)
        straight = float(np.hypot(*(b - a)))
        assert line.length >= straight - 1e-9
        assert line.length == pytest.approx(router.path_length_m(a, b), rel=1e-12)
        assert line.intersection(zones).length < 1e-6
        assert line.distance(zones) >= router.clearance_m - 1e-6  # ends are outside the clearance
        detours += len(path) > 2
        assert (len(path) > 2) == router.blocked(a, b)
    assert detours > 20  # the scenes really force detours


def test_paths_equal_the_shapely_scipy_oracle(scene):
    router, rng = scene
    oracle = Oracle(router)
    pts = free_points(router, rng, 24)
    for a, b in zip(pts[::2], pts[1::2], strict=True):
        assert router.path_length_m(a, b) == pytest.approx(oracle.cost(a, b), rel=1e-9)


def test_costs_from_equals_path_length(scene):
    router, rng = scene
    origin = free_points(router, rng, 1)[0]
    pts = free_points(router, rng, 60)
    costs = router.costs_from(origin, pts)
    expected = [router.path_length_m(origin, p) for p in pts]
    assert costs == pytest.approx(expected, rel=1e-12)


def test_costs_from_with_a_direction_dependent_leg_cost(scene):
    router, rng = scene
    wind = Wind(8.0, 250.0)

    def leg(dx, dy):
        return constant_speed_leg_time_s(dx, dy, wind, 15.0)

    origin = free_points(router, rng, 1)[0]
    pts = free_points(router, rng, 10)
    oracle = Oracle(router, leg)
    costs = router.costs_from(origin, pts, leg)
    assert costs == pytest.approx([oracle.cost(origin, p) for p in pts], rel=1e-9)
    back = [router.costs_from(p, origin[None, :], leg)[0] for p in pts]
    assert not np.allclose(costs, back)  # against the wind is not the same as with it


def test_visible_region_matches_a_ray_check(scene):
    router, rng = scene
    oracle = Oracle(router)
    origin = free_points(router, rng, 1)[0]
    radius = 2500.0
    region = router.visible_region(origin, radius)
    shapely.prepare(region)
    pts = origin + rng.uniform(-radius, radius, (400, 2))
    checked = 0
    for p in pts:
        if abs(np.hypot(*(p - origin)) - radius) < 5 or region.boundary.distance(Point(p)) < 0.05:
            continue  # too close to an edge for a yes/no answer
        expected = (
            np.hypot(*(p - origin)) <= radius
            and oracle.clear(origin, p)
            and not oracle.obstacles.covers(Point(p))
        )
        assert shapely.contains_xy(region, *p) == expected
        checked += 1
    assert checked > 350


def test_node_costs_start_with_the_origin_and_match_paths(scene):
    router, rng = scene
    origin = free_points(router, rng, 1)[0]
    nodes = router.node_costs_from(origin)
    assert nodes[0] == (tuple(origin), 0.0)
    assert len(nodes) > 1
    for xy, cost in nodes[1:6]:
        assert cost == pytest.approx(router.path_length_m(origin, xy), rel=1e-12)


# ---- specific cases


def square_router(clearance_m: float = 30.0) -> KeepOutRouter:
    return KeepOutRouter([box(0, 0, 1000, 200)], clearance_m)


def test_going_around_a_box_hand_computed():
    """From below the box's middle to above it: around a corner, clearance c ≤ bend ≤ 1.08·(c + t)."""
    r = square_router()
    path = r.path((500, -300), (500, 500))
    assert len(path) > 2
    zone = box(0, 0, 1000, 200)
    bends = [Point(p).distance(zone) for p in path[1:-1]]
    assert min(bends) >= 30.0 - 1e-9 and max(bends) <= 1.09 * (30.0 + 7.5)
    # lower bound: the taut string around the grown box's corners
    lower = 2 * math.hypot(500 + 30, 300) + 200 - 2 * 0 + 0
    assert r.path_length_m((500, -300), (500, 500)) >= lower - 1e-6


def test_straight_when_clear_and_no_zones_fast_path():
    r = square_router()
    assert r.path((-500, -500), (2000, -400)) == [(-500.0, -500.0), (2000.0, -400.0)]
    empty = KeepOutRouter([])
    pts = np.array([[3.0, 4.0], [6.0, 8.0]])
    assert empty.path((0, 0), (3, 4)) == [(0.0, 0.0), (3.0, 4.0)]
    assert empty.costs_from((0, 0), pts) == pytest.approx([5.0, 10.0])
    assert not empty.blocked((0, 0), (3, 4))
    assert not empty.inside(pts).any()
    assert empty.visible_region((0, 0), 100).area == pytest.approx(math.pi * 100**2, rel=1e-3)
    assert empty.node_costs_from((1, 2)) == [((1.0, 2.0), 0.0)]


def test_endpoint_inside_a_zone():
    r = square_router()
    with pytest.raises(GeoInputError, match="inside a keep-out zone"):
        r.path((500, 100), (500, 500))
    with pytest.raises(GeoInputError, match="inside a keep-out zone"):
        r.path_length_m((500, 500), (500, 100))
    costs = r.costs_from((500, -300), np.array([[500, 100], [500, 500], [1500, 0]]))
    assert (
        math.isinf(costs[0]) and math.isfinite(costs[1]) and costs[2] == pytest.approx(math.hypot(1000, 300))
    )
    assert r.inside(np.array([[500, 100], [500, 210], [1000, 200], [1000.01, 200]])).tolist() == [
        True,
        False,
        True,
        False,
    ]
    assert r.blocked((500, 100), (500, 500))


def test_endpoint_in_the_clearance_band_is_reachable():
    r = square_router()
    near = (500.0, 210.0)  # 10 m from the zone, inside its clearance
    path = r.path((500, -300), near)
    assert path[-1] == near
    assert LineString(path).intersection(box(0, 0, 1000, 200)).length == 0
    assert r.costs_from((500, -300), np.array([near]))[0] == pytest.approx(r.path_length_m((500, -300), near))
    assert not r.blocked(near, (500, 800))  # straight away from the zone is fine


def test_enclosed_point_has_no_route():
    ring = [box(0, 0, 1000, 100), box(0, 900, 1000, 1000), box(0, 0, 100, 1000), box(900, 0, 1000, 1000)]
    r = KeepOutRouter(ring, 30.0)
    with pytest.raises(GeoInputError, match="no route"):
        r.path((500, 500), (2000, 2000))
    assert math.isinf(r.costs_from((2000, 2000), np.array([[500, 500]]))[0])
    assert r.path_length_m((400, 400), (600, 600)) == pytest.approx(math.hypot(200, 200))


def test_bulk_costs_are_consistent_on_a_grid():
    r = square_router()
    xs, ys = np.meshgrid(np.linspace(-400, 1400, 41), np.linspace(-400, 600, 23))
    pts = np.column_stack([xs.ravel(), ys.ravel()])
    costs = r.costs_from((500, -300), pts)
    straight = np.hypot(pts[:, 0] - 500, pts[:, 1] + 300)
    inside = r.inside(pts)
    assert np.isinf(costs[inside]).all()
    assert (costs[~inside] >= straight[~inside] - 1e-9).all()
    assert (costs[~inside] > straight[~inside] + 1).any()  # points behind the box pay a detour


@pytest.mark.parametrize("clearance", [-1.0, float("nan")])
def test_bad_clearance_is_refused(clearance):
    with pytest.raises(GeoInputError):
        KeepOutRouter([box(0, 0, 1, 1)], clearance)


def test_invalid_zone_is_refused():
    with pytest.raises(GeoInputError, match="invalid polygon"):
        KeepOutRouter([Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])])
    with pytest.raises(GeoInputError, match="expected a polygon, got a Point"):
        KeepOutRouter([Point(0, 0)])


def test_routes_inside_a_hole_bend_at_its_inner_corner():
    """An L-shaped pocket inside a zone: from one arm to the other the taut string bends at the
    inner corner (1000, 1000), hand-computed length 2·hypot(1400, 300)."""
    pocket = [(500, 500), (2500, 500), (2500, 1000), (1000, 1000), (1000, 2500), (500, 2500)]
    zone = Polygon([(0, 0), (3000, 0), (3000, 3000), (0, 3000)], [pocket])
    a, b = (2400, 700), (700, 2400)
    bare = KeepOutRouter([zone], clearance_m=0.0)
    assert bare.path_length_m(a, b) == pytest.approx(2 * math.hypot(1400, 300), abs=0.05)
    kept = KeepOutRouter([zone], clearance_m=30.0)
    path = kept.path(a, b)
    assert Point(1000, 1000).distance(LineString(path)) >= 30.0 - 1e-9
    assert 2 * math.hypot(1400, 300) < kept.path_length_m(a, b) < 2 * math.hypot(1450, 350)
    with pytest.raises(GeoInputError, match="no route"):
        kept.path(a, (4000, 4000))


def test_module_examples():
    import doctest

    import geo.routing

    assert doctest.testmod(geo.routing).failed == 0


@pytest.mark.parametrize("origin", [(500.0, -300.0), (500.0, 215.0), (1010.0, 100.0)])
def test_visible_region_agrees_with_costs_from(origin):
    """Inside the region the straight leg is the route; outside it (within the radius and outside
    the obstacles, which the region leaves out) it is not. The last two origins lie in the
    clearance band, where the bare zone is the obstacle."""
    r = KeepOutRouter([box(0, 0, 1000, 200), box(1300, -200, 1500, 600)], 30.0)
    region = r.visible_region(origin, 1500.0)
    rng = np.random.default_rng(11)
    pts = np.asarray(origin) + rng.uniform(-1500, 1500, (3000, 2))
    straight = np.hypot(*(pts - origin).T)
    keep = (straight < 1495) & ~shapely.contains_xy(shapely.union_all(r.obstacles_m), pts[:, 0], pts[:, 1])
    keep &= shapely.distance(region.boundary, shapely.points(pts)) > 0.05
    pts, straight = pts[keep], straight[keep]
    costs = r.costs_from(origin, pts)
    seen = shapely.contains_xy(region, pts[:, 0], pts[:, 1])
    assert seen.sum() > 500 and (~seen).sum() > 50
    assert np.allclose(costs[seen], straight[seen], rtol=1e-12)
    assert (costs[~seen] > straight[~seen] + 1e-6).all()


@pytest.mark.parametrize("seed", [110, 117, 121])
def test_costs_from_equals_path_length_also_in_clearance_bands(seed):
    """Bulk costs prune candidates (exactly) only away from clearance bands; points and origins in
    a band must still match the unpruned single-route search."""
    rng = np.random.default_rng(seed)
    router = KeepOutRouter(random_zones(rng, 8), clearance_m=80.0)
    obstacles = shapely.union_all(router.obstacles_m)
    pts = rng.uniform([480_000, 3_840_000], [480_000 + SIZE_M, 3_840_000 + SIZE_M], (4000, 2))
    pts = pts[~router.inside(pts)]
    band = shapely.contains_xy(obstacles, pts[:, 0], pts[:, 1])
    sample = np.vstack([pts[band][:40], pts[~band][:40]])
    for origin in (pts[band][-1], pts[~band][-1]):
        costs = router.costs_from(origin, sample)
        for p, c in zip(sample, costs, strict=True):
            try:
                expected = router.path_length_m(origin, p)
            except GeoInputError:
                expected = math.inf
            assert c == pytest.approx(expected, rel=1e-9)
