"""Building the planner's candidates: one per dock, plus one per flying drone (re-tasking), each with
the sortie's geometry from where it starts — straight, or around keep-out zones with a router."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from fleet.availability import GateLimits, SortieGeometry, airborne_availability
from fleet.model import Availability, Candidate, CandidateKind, DroneState, GeofenceStatus, SortieSpec
from fleet.registry import DockEntry, ToLocal

log = logging.getLogger(__name__)

XY = tuple[float, float]

#: Route length (metres) between two local points around keep-out zones; raises ValueError when
#: there is no route (e.g. ``geo.routing.KeepOutRouter.path_length_m``).
RouteLength = Callable[[XY, XY], float]


def route_m(route_length: RouteLength | None, a: XY, b: XY) -> float | None:
    """The route length a → b, None without a router, ``inf`` when there is no route."""
    if route_length is None:
        return None
    try:
        return float(route_length(a, b))
    except ValueError as exc:
        log.info("no route %s -> %s: %s", a, b, exc)
        return math.inf


def sortie_geometry(
    entry: DockEntry, mission: SortieSpec, target_xy: XY, route_length: RouteLength | None
) -> SortieGeometry:
    """The sortie seen from ``entry``'s dock."""
    tx, ty = target_xy
    route = route_m(route_length, (entry.x_m, entry.y_m), target_xy)
    return SortieGeometry(mission, tx - entry.x_m, ty - entry.y_m, route)


def dock_candidate(
    entry: DockEntry, geometry: SortieGeometry, availability: Availability, mission_id: str | None
) -> Candidate:
    rec = entry.record
    return Candidate(
        kind=CandidateKind.DOCK,
        dock_id=entry.dock_id,
        drone_id=entry.drone_id,
        lon_deg=rec.lon_deg,
        lat_deg=rec.lat_deg,
        distance_m=geometry.distance_m,
        availability=availability,
        current_mission_id=mission_id,
    )


def airborne_candidate(
    entry: DockEntry,
    drone: DroneState | None,
    geometry: SortieGeometry,
    target_xy: XY,
    *,
    to_local: ToLocal,
    now_s: float,
    limits: GateLimits,
    route_length: RouteLength | None,
    mission_id: str | None,
    fence: GeofenceStatus | None = None,
) -> Candidate | None:
    """The dock's drone as a re-tasking candidate, if it is flying (by its last live telemetry);
    ``fence``: its on-board geofence status when one is required."""
    if drone is None or drone.restored or not drone.in_air or drone.lon_deg is None or drone.lat_deg is None:
        return None
    x, y = to_local(drone.lon_deg, drone.lat_deg)
    from_route = route_m(route_length, (x, y), target_xy)
    return Candidate(
        kind=CandidateKind.AIRBORNE,
        dock_id=entry.dock_id,
        drone_id=drone.drone_id,
        lon_deg=drone.lon_deg,
        lat_deg=drone.lat_deg,
        rel_alt_m=drone.rel_alt_m,
        distance_m=math.hypot(target_xy[0] - x, target_xy[1] - y),
        availability=airborne_availability(
            entry, drone, (x, y), geometry, now_s, limits, from_route, fence=fence
        ),
        current_mission_id=mission_id,
    )
