"""The routes drones fly around the keep-out zones, in WGS84, for the executor and the API.

:class:`FlightRoutes` puts the district's frame around the planner's
:class:`geo.routing.KeepOutRouter` (local metres, the same clearance the planner prices):
:meth:`~FlightRoutes.route` gives the points a flight from where the drone is to a destination
passes through, start and end included — two points when the straight line is clear — and
:meth:`~FlightRoutes.zone_at` names the zone a point lies in (an operator's go-to there is refused).

A drone found *inside* a zone (the autopilot's own return flies straight, see docs/mission.md) first
leaves it by the nearest way out, then takes the route. A destination inside a zone, or one the
zones enclose, has no route: :class:`NoRoute`, never a straight line through a zone.

>>> from shapely.geometry import box
>>> from geo.crs import LocalFrame
>>> from geo.district import KeepOut
>>> from geo.routing import KeepOutRouter
>>> frame = LocalFrame.from_epsg(4547)
>>> x0, y0 = frame.to_local(113.73, 34.76)
>>> zone = KeepOut("z", "Zone Z", box(x0 - 300, y0 + 250, x0 + 100, y0 + 350), "sample")
>>> routes = FlightRoutes(KeepOutRouter([zone.polygon_m], 30.0), frame, [zone])
>>> north = frame.to_wgs84(x0, y0 + 600)
>>> len(routes.route((113.73, 34.76), north, "target").points)  # around the east end: 4 bends
6
>>> len(routes.route((113.73, 34.76), frame.to_wgs84(x0 + 500, y0), "target").points)  # clear
2
>>> routes.zone_at(*frame.to_wgs84(x0, y0 + 300)).name
'Zone Z'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import Point
from shapely.ops import nearest_points

from geo.crs import CoordinateError, LocalFrame
from geo.district import GeoInputError, KeepOut
from geo.routing import KeepOutRouter
from mission.geo_config import PlanningInputs

#: How far beyond a zone's edge a drone found inside it is taken first (metres).
EXIT_MARGIN_M = 5.0

LonLat = tuple[float, float]


class NoRoute(Exception):
    """No flight keeps out of the keep-out zones (the message says why, naming the zone if any)."""


@dataclass(frozen=True)
class Route:
    """A route as flown: ``points`` (lon, lat) from where the drone was to the destination;
    ``to`` is what the destination is (``target``, ``goto`` or ``dock``)."""

    to: str
    points: tuple[LonLat, ...]

    @property
    def bends(self) -> tuple[LonLat, ...]:
        """The points to fly to in order, the destination last (one: the straight line)."""
        return self.points[1:]

    @property
    def straight(self) -> bool:
        return len(self.points) <= 2

    def as_lists(self) -> list[list[float]]:
        """``[[lon_deg, lat_deg], ...]`` (the mission's ``route``)."""
        return [[lon, lat] for lon, lat in self.points]

    def as_data(self) -> dict[str, Any]:
        """The ``route`` event's data."""
        return {"to": self.to, "points": self.as_lists()}


class FlightRoutes:
    """Routes around ``zones`` in WGS84 (see the module docstring); ``router`` routes in ``frame``."""

    def __init__(self, router: KeepOutRouter, frame: LocalFrame, zones: Sequence[KeepOut]) -> None:
        self.router = router
        self.frame = frame
        self.zones = tuple(zones)
        self._union = shapely.union_all([z.polygon_m for z in self.zones]) if self.zones else None

    @classmethod
    def from_planning(cls, planning: PlanningInputs) -> FlightRoutes | None:
        """The district's routes; None without keep-out zones (every flight is the straight line)."""
        keepouts = planning.district.keepouts
        return cls(planning.router, planning.district.frame, keepouts) if keepouts else None

    def _local(self, lonlat: LonLat, what: str) -> tuple[float, float]:
        try:
            x, y = self.frame.to_local(float(lonlat[0]), float(lonlat[1]))
        except CoordinateError as exc:
            raise NoRoute(f"{what}: {exc}") from None
        return float(x), float(y)

    def _zone_at_local(self, x_m: float, y_m: float) -> KeepOut | None:
        p = Point(x_m, y_m)
        return next((z for z in self.zones if z.polygon_m.covers(p)), None)

    def zone_at(self, lon_deg: float, lat_deg: float) -> KeepOut | None:
        """The keep-out zone the point lies in (on its edge counts), or None."""
        return self._zone_at_local(*self._local((lon_deg, lat_deg), "point"))

    def _way_out(self, x_m: float, y_m: float) -> tuple[float, float]:
        """The nearest point :data:`EXIT_MARGIN_M` outside every zone, from a point inside one."""
        assert self._union is not None
        grown = self._union.buffer(EXIT_MARGIN_M)
        out, _ = nearest_points(grown.boundary, Point(x_m, y_m))
        return float(out.x), float(out.y)

    def route(self, start: LonLat, end: LonLat, to: str) -> Route:
        """The route from ``start`` to ``end`` (lon, lat), both included as given. :class:`NoRoute`
        when ``end`` lies inside a zone or no route keeps out of the zones."""
        a = self._local(start, "route start")
        b = self._local(end, "route end")
        zone = self._zone_at_local(*b)
        if zone is not None:
            raise NoRoute(f"the destination lies inside keep-out zone {zone.id} ({zone.name})")
        head: list[tuple[float, float]] = []
        if self._zone_at_local(*a) is not None:
            head, a = [a], self._way_out(*a)
        try:
            path = self.router.path(a, b)
        except GeoInputError as exc:
            raise NoRoute(str(exc)) from None
        middle = [self.frame.to_wgs84(x, y) for x, y in [*head, *path][1:-1]]
        points = (start, *((float(lon), float(lat)) for lon, lat in middle), end)
        return Route(to, tuple((float(lon), float(lat)) for lon, lat in points))
