"""Shortest routes around keep-out zones, with a clearance, in the local metric frame.

Approach (a visibility graph): every zone is simplified, then grown by the clearance into an
*obstacle* with few vertices (overlapping obstacles merge). The convex corners of the obstacles,
nudged a centimetre outward, are the graph's nodes; two nodes are joined when the straight leg
between them crosses no obstacle interior. A route is the straight line when that is clear, else
the shortest chain start → nodes → end (Dijkstra). Leg costs may be direction dependent (a
wind-aware leg time); they must satisfy the triangle inequality, as length and the wind-triangle
time do, because a clear straight leg is always taken as best.

Clearance rule near the zones: an endpoint *inside* a zone is refused (``inf`` in bulk queries);
an endpoint in the clearance band of an obstacle (outside the zone itself) is allowed, and legs
touching it are checked against the bare zones of that obstacle instead of its grown outline —
the aircraft must come that close to reach it anyway.

The obstacle contains every point within ``clearance_m`` of a zone: the zone is simplified with
tolerance ``t`` (moves its outline by at most ``t``) and buffered by ``(clearance + t)/cos(π/8)``
with two segments per quarter circle (the polygon inscribed in that circle still clears the
distance). So routes keep at least ``clearance_m`` and at most ≈ ``1.08·(clearance + t)``.

Speed: a leg is tested (numpy orientation tests) only against the obstacle edges an R-tree says
it may meet, and bulk costs test each point's candidate nodes cheapest first, so a 100,000-point
cost grid takes well under a second on the reference district and seconds with tens of zones
(docs/geo.md has the table). With no zones every query is a straight line and no graph is built.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import MultiPolygon, Point, Polygon

from geo.district import GeoInputError
from geo.visibility import Obstacles, convex_corners, cross, near_edges, polygon_parts, ring_edges, shadow

FloatArray = NDArray[np.float64]
LegCost = Callable[[FloatArray, FloatArray], FloatArray]

_NUDGE_M = 0.01
_QUAD_SEGS = 2
_CAND_CHUNK = 1 << 20  # (points x nodes) candidate costs per block


def euclidean_leg(dx_m: FloatArray, dy_m: FloatArray) -> FloatArray:
    """The default leg cost: its length in metres."""
    return np.hypot(dx_m, dy_m)


def _points(xy: ArrayLike, what: str) -> FloatArray:
    arr = np.asarray(xy, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise GeoInputError(f"{what}: expected (x, y) pairs, got shape {np.shape(xy)}")
    if not np.isfinite(arr).all():
        raise GeoInputError(f"{what}: coordinates must be finite numbers")
    return arr


class KeepOutRouter:
    """Routes around keep-out zones (local metres) keeping ``clearance_m`` from them.

    >>> from shapely.geometry import box
    >>> router = KeepOutRouter([box(0, 0, 1000, 200)], clearance_m=30.0)
    >>> router.blocked((500, -300), (500, 500)), router.blocked((-500, -300), (-500, 500))
    (True, False)
    >>> round(router.path_length_m((500, -300), (500, 500)))  # around the west end
    1451
    >>> router.costs_from((500, -300), [[500, 500], [1500, -300], [500, 100]]).round(1).tolist()
    [1450.6, 1000.0, inf]
    """

    def __init__(
        self,
        zones_m: Sequence[Polygon | MultiPolygon],
        clearance_m: float = 30.0,
        *,
        simplify_m: float | None = None,
    ) -> None:
        if not (math.isfinite(clearance_m) and clearance_m >= 0):
            raise GeoInputError(f"clearance_m must be a finite number >= 0, got {clearance_m!r}")
        zones: list[Polygon] = []
        for i, z in enumerate(zones_m):
            if not isinstance(z, Polygon | MultiPolygon):
                raise GeoInputError(f"keep-out zone {i}: expected a polygon, got a {z.geom_type}")
            if not shapely.is_valid(z):
                raise GeoInputError(f"keep-out zone {i}: invalid polygon: {shapely.is_valid_reason(z)}")
            zones.extend(polygon_parts(z))
        self.clearance_m = float(clearance_m)
        self.zones_m: tuple[Polygon, ...] = tuple(zones)
        self._shift = np.zeros(2)
        if not zones:
            self.obstacles_m: tuple[Polygon, ...] = ()
            self._nodes = np.empty((0, 2))
            return
        minx, miny, maxx, maxy = shapely.total_bounds(zones)
        self._shift = np.array([(minx + maxx) / 2.0, (miny + maxy) / 2.0])
        local = [shapely.transform(z, lambda c: c - self._shift) for z in zones]
        tol = 0.25 * self.clearance_m if simplify_m is None else float(simplify_m)
        if self.clearance_m > 0:
            radius = (self.clearance_m + tol) / math.cos(math.pi / (4 * _QUAD_SEGS))
            grown = [z.simplify(tol).buffer(radius, quad_segs=_QUAD_SEGS) for z in local]
        else:
            grown = local
        self._parts = polygon_parts(shapely.union_all(grown))
        self.obstacles_m = tuple(shapely.transform(p, lambda c: c + self._shift) for p in self._parts)
        self._raw_union = shapely.union_all(local)
        shapely.prepare(self._raw_union)
        for p in self._parts:
            shapely.prepare(p)
        owner = [
            next(j for j, p in enumerate(self._parts) if p.covers(z.representative_point())) for z in local
        ]
        self._raw_by_part = [
            [z for z, o in zip(local, owner, strict=True) if o == j] for j in range(len(self._parts))
        ]
        self._part_edges = [
            np.vstack([ring_edges(r) for r in [p.exterior, *p.interiors]]) for p in self._parts
        ]
        self._raw_edges = [
            np.vstack([ring_edges(r) for z in zs for r in [z.exterior, *z.interiors]])
            if zs
            else np.empty((0, 4))
            for zs in self._raw_by_part
        ]
        self._cache: dict[frozenset[int], Obstacles] = {}
        corners = [convex_corners(p, _NUDGE_M) for p in self._parts]
        self._nodes = np.vstack([c[0] for c in corners])
        self._edge_in = np.vstack([c[1] for c in corners])  # edge arriving at each node's corner
        self._edge_out = np.vstack([c[2] for c in corners])  # and the edge leaving it
        self._build_graph()

    # -- internals --------------------------------------------------------------------------

    def _obstacles(self, exempt: frozenset[int]) -> Obstacles:
        if exempt not in self._cache:
            edges = [
                self._raw_edges[j] if j in exempt else self._part_edges[j] for j in range(len(self._parts))
            ]
            geoms = [
                g for j, p in enumerate(self._parts) for g in (self._raw_by_part[j] if j in exempt else [p])
            ]
            self._cache[exempt] = Obstacles(np.vstack(edges), shapely.union_all(geoms))
        return self._cache[exempt]

    def _build_graph(self) -> None:
        k = len(self._nodes)
        ii, jj = np.triu_indices(k, 1)
        free = ~self._obstacles(frozenset()).blocks(self._nodes[ii], self._nodes[jj])
        i, j = ii[free], jj[free]
        self._edge_from = np.concatenate([i, j])
        self._edge_to = np.concatenate([j, i])

    def _classify(self, pts: FloatArray) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
        """(inside a zone, index of the obstacle whose clearance band holds the point or -1)."""
        inside = shapely.intersects_xy(self._raw_union, pts[:, 0], pts[:, 1])
        band = np.full(len(pts), -1, dtype=np.int64)
        for j, p in enumerate(self._parts):
            band[shapely.intersects_xy(p, pts[:, 0], pts[:, 1]) & ~inside] = j
        return np.asarray(inside), band

    def _endpoint(self, xy: ArrayLike, what: str) -> tuple[FloatArray, frozenset[int]]:
        p = _points(xy, what)
        if len(p) != 1:
            raise GeoInputError(f"{what}: expected one (x, y) point")
        p = p - self._shift
        inside, band = self._classify(p)
        if inside[0]:
            x, y = p[0] + self._shift
            raise GeoInputError(f"{what} ({x:.1f}, {y:.1f}) lies inside a keep-out zone")
        return p[0], frozenset([int(band[0])]) if band[0] >= 0 else frozenset()

    def _dijkstra(
        self, start: FloatArray, exempt: frozenset[int], leg: LegCost
    ) -> tuple[FloatArray, NDArray[np.int64]]:
        """Cost of every node from ``start`` and its predecessor (-1: straight from the start)."""
        k = len(self._nodes)
        starts = np.repeat(start[None, :], k, axis=0)
        clear = ~self._obstacles(exempt).blocks(starts, self._nodes)
        d0 = self._nodes - start
        dist = np.where(clear, leg(d0[:, 0], d0[:, 1]), np.inf)
        pred = np.full(k, -1, dtype=np.int64)
        dv = self._nodes[self._edge_to] - self._nodes[self._edge_from]
        w = leg(dv[:, 0], dv[:, 1])
        order = np.argsort(self._edge_from, kind="stable")
        src, dst, w = self._edge_from[order], self._edge_to[order], w[order]
        bounds = np.searchsorted(src, np.arange(k + 1))
        heap = [(float(c), int(n)) for n, c in enumerate(dist) if math.isfinite(c)]
        heapq.heapify(heap)
        done = np.zeros(k, dtype=bool)
        while heap:
            c, n = heapq.heappop(heap)
            if done[n]:
                continue
            done[n] = True
            lo, hi = bounds[n], bounds[n + 1]
            cand = c + w[lo:hi]
            better = cand < dist[dst[lo:hi]]
            for m, cm in zip(dst[lo:hi][better], cand[better], strict=True):
                dist[m] = cm
                pred[m] = n
                heapq.heappush(heap, (float(cm), int(m)))
        return dist, pred

    # -- public API -------------------------------------------------------------------------

    @property
    def nodes_m(self) -> FloatArray:
        """The graph's nodes (nudged convex corners of the obstacles), local metres."""
        return self._nodes + self._shift

    def inside(self, points_xy: ArrayLike) -> NDArray[np.bool_]:
        """Whether each point lies inside a zone or on its edge (the bare zone, not the clearance)."""
        pts = _points(points_xy, "points")
        if not self.zones_m:
            return np.zeros(len(pts), dtype=bool)
        return np.asarray(
            shapely.intersects_xy(self._raw_union, pts[:, 0] - self._shift[0], pts[:, 1] - self._shift[1])
        )

    def blocked(self, a_xy: ArrayLike, b_xy: ArrayLike) -> bool:
        """Whether the straight leg a→b is not allowed: it crosses an obstacle (a zone grown by the
        clearance), or an endpoint lies inside a zone."""
        if not self.zones_m:
            return False
        a = _points(a_xy, "start")[:1] - self._shift
        b = _points(b_xy, "end")[:1] - self._shift
        inside, band = self._classify(np.vstack([a, b]))
        if inside.any():
            return True
        exempt = frozenset(int(j) for j in band if j >= 0)
        return bool(self._obstacles(exempt).blocks(a, b)[0])

    def path(self, a_xy: ArrayLike, b_xy: ArrayLike) -> list[tuple[float, float]]:
        """The shortest admissible route a → b as (x, y) vertices, both ends included.

        Raises :class:`GeoInputError` when an end lies inside a zone or no route exists (an end
        enclosed by zones)."""
        a_in = _points(a_xy, "route start")
        b_in = _points(b_xy, "route end")
        if not self.zones_m:
            return [(float(a_in[0, 0]), float(a_in[0, 1])), (float(b_in[0, 0]), float(b_in[0, 1]))]
        a, ex_a = self._endpoint(a_in, "route start")
        b, ex_b = self._endpoint(b_in, "route end")
        if not self._obstacles(ex_a | ex_b).blocks(a[None, :], b[None, :])[0]:
            chain = [a, b]
        else:
            dist, pred = self._dijkstra(a, ex_a, euclidean_leg)
            ends = np.repeat(b[None, :], len(self._nodes), axis=0)
            clear = ~self._obstacles(ex_b).blocks(self._nodes, ends)
            tail = np.hypot(*(b - self._nodes).T)
            total = np.where(clear, dist + tail, np.inf)
            best = int(np.argmin(total)) if len(total) else -1
            if best < 0 or not math.isfinite(total[best]):
                raise GeoInputError("no route: an end is enclosed by keep-out zones")
            via: list[FloatArray] = []
            n = best
            while n >= 0:
                via.append(self._nodes[n])
                n = int(pred[n])
            chain = [a, *reversed(via), b]
        return [(float(p[0] + self._shift[0]), float(p[1] + self._shift[1])) for p in chain]

    def path_length_m(self, a_xy: ArrayLike, b_xy: ArrayLike) -> float:
        """Length of :meth:`path` (metres)."""
        pts = np.asarray(self.path(a_xy, b_xy))
        return float(np.sum(np.hypot(*np.diff(pts, axis=0).T)))

    def node_costs_from(
        self, origin_xy: ArrayLike, leg_cost: LegCost | None = None
    ) -> list[tuple[tuple[float, float], float]]:
        """Every point a route from the origin can bend at, with its cost: the origin itself (cost
        0) first, then each reachable graph node. Coverage builds the exact reachable region as
        the union over these of (disc with the remaining budget) ∩ :meth:`visible_region`."""
        o_in = _points(origin_xy, "origin")
        out = [((float(o_in[0, 0]), float(o_in[0, 1])), 0.0)]
        if not self.zones_m:
            return out
        o, exempt = self._endpoint(o_in, "origin")
        dist, _ = self._dijkstra(o, exempt, leg_cost or euclidean_leg)
        for (x, y), c in zip(self._nodes + self._shift, dist, strict=True):
            if math.isfinite(c):
                out.append(((float(x), float(y)), float(c)))
        return out

    def costs_from(
        self, origin_xy: ArrayLike, points_xy: ArrayLike, leg_cost: LegCost | None = None
    ) -> FloatArray:
        """Cost of the best route from the origin to each point (``inf`` inside a zone or when
        unreachable). ``leg_cost(dx, dy)`` prices one straight leg (default: its length)."""
        leg = leg_cost or euclidean_leg
        o_in = _points(origin_xy, "origin")
        pts = _points(points_xy, "points") if np.size(points_xy) else np.empty((0, 2))
        if not self.zones_m:
            d = pts - o_in[0]
            return np.asarray(leg(d[:, 0], d[:, 1]), dtype=np.float64)
        o, ex_o = self._endpoint(o_in, "origin")
        local = pts - self._shift
        inside, band = self._classify(local)
        cost = np.full(len(pts), np.inf)
        todo = ~inside
        dist: FloatArray | None = None
        came_from = np.empty((0, 2))
        for j in np.unique(band[todo]):
            ex_p = frozenset([int(j)]) if j >= 0 else frozenset()
            idx = np.flatnonzero(todo & (band == j))
            p = local[idx]
            d = p - o
            direct = ~self._obstacles(ex_o | ex_p).blocks(np.repeat(o[None, :], len(p), axis=0), p)
            cost[idx[direct]] = leg(d[direct, 0], d[direct, 1])
            rest, p = idx[~direct], p[~direct]
            if len(rest) == 0:
                continue
            if dist is None:
                dist, pred = self._dijkstra(o, ex_o, leg)
                came_from = np.where(pred[:, None] >= 0, self._nodes[np.maximum(pred, 0)], o[None, :])
            cost[rest] = self._via_nodes(p, dist, came_from, self._obstacles(ex_p), leg, not (ex_p or ex_o))
        return cost

    def _via_nodes(
        self,
        p: FloatArray,
        dist: FloatArray,
        came_from: FloatArray,
        obs: Obstacles,
        leg: LegCost,
        grown: bool,
    ) -> FloatArray:
        """Best ``dist[node] + leg(p − node)`` over the nodes that see each point.

        When every leg is checked against the grown obstacles (``grown``: neither the origin nor
        the points lie in a clearance band, where a leg has other obstacles and the graph's bends
        need not be taut) two exact prunings come first: a node cannot see points straight behind
        its corner (inside the angle of the two edges meeting there), and the last bend of a
        shortest route wraps around its corner (turns toward the obstacle) — any other bend can be
        cut short. Then each point's remaining candidates are sorted by cost and tested for
        visibility in that order, all points at once per round: the first visible candidate is
        the optimum."""
        live = np.flatnonzero(np.isfinite(dist))
        best = np.full(len(p), np.inf)
        if len(live) == 0:
            return best
        nodes, base = self._nodes[live], dist[live]
        e_in, e_out = self._edge_in[live], self._edge_out[live]
        arrive = nodes - came_from[live]
        inward = e_out / np.hypot(*e_out.T)[:, None] - e_in / np.hypot(*e_in.T)[:, None]
        side = np.sign(cross(arrive[:, 0], arrive[:, 1], inward[:, 0], inward[:, 1]))
        step = max(1, _CAND_CHUNK // len(live))
        for s in range(0, len(p), step):
            q = p[s : s + step]
            dx = q[:, 0:1] - nodes[None, :, 0]
            dy = q[:, 1:2] - nodes[None, :, 1]
            cand = base[None, :] + np.asarray(leg(dx.ravel(), dy.ravel()), dtype=np.float64).reshape(dx.shape)
            behind = (cross(e_in[:, 0], e_in[:, 1], dx, dy) > 0) & (
                cross(e_out[:, 0], e_out[:, 1], dx, dy) > 0
            )
            outward_turn = side * cross(arrive[:, 0], arrive[:, 1], dx, dy) < 0
            if grown:
                cand[behind | outward_turn] = np.inf
            order = np.argsort(cand, axis=1)
            todo = np.arange(len(q))
            for r in range(len(live)):
                k = order[todo, r]
                c = cand[todo, k]
                todo, k, c = todo[np.isfinite(c)], k[np.isfinite(c)], c[np.isfinite(c)]
                if len(todo) == 0:
                    break
                seen = ~obs.blocks(nodes[k], q[todo])
                best[s + todo[seen]] = c[seen]
                todo = todo[~seen]
        return best

    def visible_region(
        self, origin_xy: ArrayLike, radius_m: float, quad_segs: int = 64
    ) -> Polygon | MultiPolygon:
        """The part of the disc of ``radius_m`` around the origin that a straight leg from the
        origin reaches: the disc minus the obstacles (zones grown by the clearance; for an origin
        in a clearance band, that obstacle's bare zones) minus the shadow of every obstacle edge.
        Inside it :meth:`costs_from` is the straight leg. Raises :class:`GeoInputError` for an
        origin inside a zone."""
        o_in = _points(origin_xy, "origin")
        disc = Point(o_in[0]).buffer(max(float(radius_m), 0.0), quad_segs=quad_segs)
        if not self.zones_m or radius_m <= 0:
            return disc
        o, exempt = self._endpoint(o_in, "origin")
        obs = self._obstacles(exempt)
        e = obs.edges
        shadows = [shadow(o, seg, float(radius_m)) for seg in e[near_edges(o, e, float(radius_m))]]
        local_disc = shapely.transform(disc, lambda c: c - self._shift)
        blocked = shapely.union_all([obs.geometry, *[s for s in shadows if s is not None]])
        region = local_disc.difference(blocked)
        region = shapely.transform(region, lambda c: c + self._shift)
        parts = polygon_parts(region)
        if not parts:
            return Polygon()
        return parts[0] if len(parts) == 1 else MultiPolygon(parts)
