"""PX4's geofence, as pure decisions: the fence items uploaded with the mission protocol
(``MAV_MISSION_TYPE_FENCE``) and the breach check PX4's navigator runs (``Navigator::geofence_breach_check``).

* Fence items: ``MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION`` (5001) / ``_EXCLUSION`` (5002), one item per
  vertex with param1 = the polygon's vertex count; ``MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION`` (5003) /
  ``_EXCLUSION`` (5004) with param1 = radius (m). Return points (5000) are stored, not used (nor by PX4's
  multicopter breach handling).
* A position is allowed when it lies outside every exclusion, inside at least one inclusion (if there is
  any) and, with ``GF_MAX_HOR_DIST`` > 0, within that distance of home.
* ``GF_PREDICT`` = 1 tests the point one braking distance ahead along the ground velocity (PX4:
  ``computeBrakingDistanceMultirotor`` plus one 0.2 s check interval of travel); 0 tests the position.
* The hold point (``GF_ACTION`` = 2): with prediction, the last allowed point along the velocity
  (``generateLoiterPointForMultirotor``: binary search to 0.5 m), :data:`STOP_MARGIN_M` short of the fence,
  or the braking point when that is nearer; without prediction, where the vehicle is (inside the fence,
  as PX4). A breach of ``GF_MAX_HOR_DIST`` holds on the line from home, :data:`STOP_MARGIN_M` inside.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sim.vehicle.mission import MissionItem
from sim.vehicle.model import LocalFrame

FENCE_RETURN_POINT = 5000
FENCE_POLYGON_INCLUSION = 5001
FENCE_POLYGON_EXCLUSION = 5002
FENCE_CIRCLE_INCLUSION = 5003
FENCE_CIRCLE_EXCLUSION = 5004
#: PX4 checks the fence every 200 ms; the braking distance includes one interval of travel.
CHECK_INTERVAL_S = 0.2
#: How far short of the fence the sim stops (PX4's own margin is ~0 m for a multicopter; the sim keeps
#: a little room for its discrete steps).
STOP_MARGIN_M = 2.0
_SEARCH_TOLERANCE_M = 0.5

Point = tuple[float, float]  # (north_m, east_m)


class FenceError(ValueError):
    """Fence items that do not make a fence (a polygon with too few vertices, a bad radius)."""


@dataclass(frozen=True)
class FencePolygon:
    """A polygon in the local frame, vertices (north_m, east_m) in order."""

    vertices: tuple[Point, ...]
    inclusion: bool

    def contains(self, p: Point) -> bool:
        """Even-odd ray casting (points on an edge may go either way, as in PX4)."""
        n, e = p
        inside = False
        vs = self.vertices
        j = len(vs) - 1
        for i in range(len(vs)):
            ni, ei = vs[i]
            nj, ej = vs[j]
            if (ni > n) != (nj > n) and e < (ej - ei) * (n - ni) / (nj - ni) + ei:
                inside = not inside
            j = i
        return inside


@dataclass(frozen=True)
class FenceCircle:
    """A circle in the local frame."""

    centre: Point
    radius_m: float
    inclusion: bool

    def contains(self, p: Point) -> bool:
        return math.hypot(p[0] - self.centre[0], p[1] - self.centre[1]) <= self.radius_m


@dataclass(frozen=True)
class Fence:
    """The vehicle's stored fence in its local frame (empty = no fence)."""

    polygons: tuple[FencePolygon, ...] = ()
    circles: tuple[FenceCircle, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.polygons and not self.circles

    def allowed(self, p: Point) -> bool:
        """Outside every exclusion and, when there are inclusions, inside one of them."""
        shapes: tuple[FencePolygon | FenceCircle, ...] = (*self.polygons, *self.circles)
        if any(not s.inclusion and s.contains(p) for s in shapes):
            return False
        inclusions = [s for s in shapes if s.inclusion]
        return not inclusions or any(s.contains(p) for s in inclusions)


def fence_from_items(items: Sequence[MissionItem], frame: LocalFrame) -> Fence:
    """The fence the uploaded items describe; :class:`FenceError` when they do not make one."""
    polygons: list[FencePolygon] = []
    circles: list[FenceCircle] = []
    i = 0
    while i < len(items):
        it = items[i]
        if it.command in (FENCE_POLYGON_INCLUSION, FENCE_POLYGON_EXCLUSION):
            count = int(it.param1) if math.isfinite(it.param1) else 0
            group = items[i : i + count]
            if count < 3 or len(group) < count or any(g.command != it.command for g in group):
                raise FenceError(f"fence item {it.seq}: a polygon needs >= 3 vertices of one kind")
            vertices = tuple(frame.to_local(g.x / 1e7, g.y / 1e7) for g in group)
            polygons.append(FencePolygon(vertices, it.command == FENCE_POLYGON_INCLUSION))
            i += count
            continue
        if it.command in (FENCE_CIRCLE_INCLUSION, FENCE_CIRCLE_EXCLUSION):
            if not (math.isfinite(it.param1) and it.param1 > 0):
                raise FenceError(f"fence item {it.seq}: circle radius must be > 0")
            centre = frame.to_local(it.x / 1e7, it.y / 1e7)
            circles.append(FenceCircle(centre, it.param1, it.command == FENCE_CIRCLE_INCLUSION))
        elif it.command != FENCE_RETURN_POINT:
            raise FenceError(f"fence item {it.seq}: command {it.command} is not a fence item")
        i += 1
    return Fence(tuple(polygons), tuple(circles))


def braking_distance_m(speed_mps: float, acc_hor_mps2: float) -> float:
    """Horizontal distance to stop from ``speed_mps`` plus one check interval of travel (PX4)."""
    return speed_mps * speed_mps / (2.0 * max(acc_hor_mps2, 0.1)) + CHECK_INTERVAL_S * speed_mps


@dataclass(frozen=True)
class Breach:
    """A (predicted) breach and where the vehicle should stop."""

    test_point: Point
    stop_point: Point
    max_distance: bool  # the GF_MAX_HOR_DIST cylinder (not a fence polygon or circle)


@dataclass(frozen=True)
class BreachCheck:
    """One breach check's inputs: position, ground velocity, home and the GF_* / MPC_ACC_HOR params."""

    position: Point
    velocity_ne_mps: tuple[float, float]
    home: Point
    predict: bool
    max_hor_dist_m: float
    acc_hor_mps2: float


def check_breach(fence: Fence, c: BreachCheck) -> Breach | None:
    """The breach PX4 would see now, or None."""
    speed = math.hypot(*c.velocity_ne_mps)
    pos = c.position
    bearing = (c.velocity_ne_mps[0] / speed, c.velocity_ne_mps[1] / speed) if speed > 1e-3 else (0.0, 0.0)
    brake_m = braking_distance_m(speed, c.acc_hor_mps2) if c.predict else 0.0
    test = (pos[0] + bearing[0] * brake_m, pos[1] + bearing[1] * brake_m)
    if c.max_hor_dist_m > 0:
        dn, de = test[0] - c.home[0], test[1] - c.home[1]
        d = math.hypot(dn, de)
        if d > c.max_hor_dist_m:
            r = max(c.max_hor_dist_m - STOP_MARGIN_M, 0.0) / d
            return Breach(test, (c.home[0] + dn * r, c.home[1] + de * r), True)
    if fence.allowed(test):
        return None
    if not c.predict or brake_m <= 0.0:
        return Breach(test, pos, False)
    return Breach(test, _stop_before_fence(fence, pos, bearing, brake_m, speed, c.acc_hor_mps2), False)


def _stop_before_fence(
    fence: Fence, pos: Point, bearing: Point, test_m: float, speed_mps: float, acc_mps2: float
) -> Point:
    """PX4's multicopter loiter point: binary-search the fence along the velocity within the test
    distance; stop :data:`STOP_MARGIN_M` short of it, or at the braking point if that is nearer."""
    lo, hi = 0.0, test_m
    while hi - lo > _SEARCH_TOLERANCE_M:
        mid = 0.5 * (lo + hi)
        if fence.allowed((pos[0] + bearing[0] * mid, pos[1] + bearing[1] * mid)):
            lo = mid
        else:
            hi = mid
    braking_m = speed_mps * speed_mps / (2.0 * max(acc_mps2, 0.1))
    d = max(lo - STOP_MARGIN_M, 0.0) if braking_m > lo - STOP_MARGIN_M else braking_m
    return pos[0] + bearing[0] * d, pos[1] + bearing[1] * d
