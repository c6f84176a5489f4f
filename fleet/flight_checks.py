"""Pure checks of flight commands, run before anything is sent: finite numbers, WGS84 ranges, the
allowed area, the ceiling. Each failure is an :class:`~fleet.errors.InvalidCommand`."""

from __future__ import annotations

import math
from functools import cache

from shapely.geometry import Point, Polygon, box
from shapely.prepared import PreparedGeometry, prep

from fleet.drone_model import Height, HeightRef, Waypoint
from fleet.errors import InvalidCommand
from fleet.flight_settings import AllowedArea, FlightSettings


def _finite(drone_id: str, command: str, **values: float) -> None:
    for name, value in values.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise InvalidCommand(drone_id, command, f"{name} must be a finite number, got {value!r}")


@cache
def _area_shape(area: AllowedArea) -> PreparedGeometry:
    if area.bbox_lon_lat is not None:
        return prep(box(*area.bbox_lon_lat))
    return prep(Polygon(area.polygon_lon_lat or []))


def check_point(
    drone_id: str, command: str, lat_deg: float, lon_deg: float, settings: FlightSettings
) -> None:
    """A WGS84 point inside the allowed area (when one is configured)."""
    _finite(drone_id, command, lat_deg=lat_deg, lon_deg=lon_deg)
    if not (-90.0 <= lat_deg <= 90.0 and -180.0 <= lon_deg <= 180.0):
        raise InvalidCommand(drone_id, command, f"not a WGS84 point: lat {lat_deg}, lon {lon_deg}")
    if settings.allowed_area is not None and not _area_shape(settings.allowed_area).covers(
        Point(lon_deg, lat_deg)
    ):
        raise InvalidCommand(
            drone_id, command, f"lat {lat_deg:.6f}, lon {lon_deg:.6f} is outside the allowed area"
        )


def check_height(
    drone_id: str, command: str, height: Height, home_amsl_m: float | None, settings: FlightSettings
) -> float:
    """The height above home, between ``min_height_m`` and ``ceiling_m``.

    An AMSL height needs the home altitude; without it (no HOME_POSITION yet) the command is refused.
    """
    _finite(drone_id, command, height_m=height.value_m)
    if height.ref is HeightRef.AMSL:
        if home_amsl_m is None or not math.isfinite(home_amsl_m):
            raise InvalidCommand(drone_id, command, "an AMSL height needs the home altitude, not known yet")
        rel_alt_m = height.rel_alt_m(home_amsl_m)
    else:
        rel_alt_m = height.value_m
    if rel_alt_m > settings.ceiling_m:
        raise InvalidCommand(
            drone_id,
            command,
            f"{rel_alt_m:.1f} m above home is above the ceiling of {settings.ceiling_m:g} m",
        )
    if rel_alt_m < settings.min_height_m:
        raise InvalidCommand(
            drone_id,
            command,
            f"{rel_alt_m:.1f} m above home is below the minimum of {settings.min_height_m:g} m",
        )
    return rel_alt_m


def check_speed(drone_id: str, command: str, speed_mps: float, settings: FlightSettings) -> None:
    _finite(drone_id, command, speed_mps=speed_mps)
    if not 0 < speed_mps <= settings.max_speed_mps:
        raise InvalidCommand(
            drone_id, command, f"speed {speed_mps} m/s is outside (0, {settings.max_speed_mps:g}]"
        )


def check_orbit(
    drone_id: str, radius_m: float, speed_mps: float, settings: FlightSettings, command: str = "orbit"
) -> None:
    _finite(drone_id, command, radius_m=radius_m)
    if not 0 < radius_m <= settings.max_orbit_radius_m:
        raise InvalidCommand(
            drone_id, command, f"radius {radius_m} m is outside (0, {settings.max_orbit_radius_m:g}]"
        )
    check_speed(drone_id, command, speed_mps, settings)


def check_waypoints(
    drone_id: str, waypoints: tuple[Waypoint, ...], home_amsl_m: float | None, settings: FlightSettings
) -> list[float]:
    """Every waypoint of a mission; returns their heights above home."""
    if not waypoints:
        raise InvalidCommand(drone_id, "upload_mission", "a mission needs at least one waypoint")
    heights = []
    for i, wp in enumerate(waypoints):
        command = f"upload_mission[{i}]"
        check_point(drone_id, command, wp.lat_deg, wp.lon_deg, settings)
        heights.append(check_height(drone_id, command, wp.height, home_amsl_m, settings))
        if wp.speed_mps is not None:
            check_speed(drone_id, command, wp.speed_mps, settings)
        _finite(drone_id, command, loiter_s=wp.loiter_s)
        if wp.loiter_s < 0:
            raise InvalidCommand(drone_id, command, f"loiter_s must be >= 0, got {wp.loiter_s}")
        if wp.acceptance_radius_m is not None:
            _finite(drone_id, command, acceptance_radius_m=wp.acceptance_radius_m)
            if wp.acceptance_radius_m <= 0:
                raise InvalidCommand(drone_id, command, "acceptance_radius_m must be > 0")
    return heights


def check_param_name(drone_id: str, command: str, name: str) -> None:
    """PX4/MAVLink parameter names: 1-16 ASCII characters."""
    if not isinstance(name, str) or not 0 < len(name) <= 16 or not name.isascii() or not name.isprintable():
        raise InvalidCommand(drone_id, command, f"not a MAVLink parameter name: {name!r}")
