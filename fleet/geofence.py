"""The keep-out zones as an autopilot geofence: exclusion polygons in WGS84 plus PX4's breach parameters.

:func:`plan_from_keepouts` turns the district's keep-out zones (local metres, :class:`geo.district.KeepOut`)
into a :class:`GeofencePlan` that :meth:`fleet.ports.DroneLink.upload_geofence` sends: MAVLink fence items
(``MAV_MISSION_TYPE_FENCE``, ``MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION``) and the ``GF_*`` parameters
from :class:`GeofenceSettings` (``[geofence]`` in skyloop.toml, docs/flight.md "Geofence").

PX4 semantics (v1.16, ``src/modules/navigator/geofence_params``, ``commander/failsafe``):
``GF_ACTION`` 0 none, 1 warn, 2 hold, 3 return, 4 terminate, 5 land (PX4 default 2). ``GF_PREDICT`` 1
triggers on the point one braking distance ahead and holds short of the fence (experimental in PX4,
default 0, gone in PX4's main branch); with 0 the breach is seen only once the drone is inside, where it
holds. ``GF_SOURCE`` 0 estimator, 1 raw GPS.
``GF_MAX_HOR_DIST`` (m from home, 0 off). When several failsafes are active PX4 flies the most severe
action (hold < return < land): a hold on breach does not interrupt PX4's own link-loss or battery
*return*; only land (5) does. See docs/flight.md.

>>> p = FencePolygon("z", ((113.76, 34.75), (113.78, 34.75), (113.78, 34.76)))
>>> p.ring_lon_lat[0], p.inclusion
((113.76, 34.75), False)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

from geo.crs import LocalFrame
from geo.district import KeepOut

LonLat = tuple[float, float]
#: Two fences are the same when every vertex matches to this many degrees (~1 cm; degE7 on the wire).
SAME_VERTEX_DEG = 1e-7 * 1.5


class GeofenceError(ValueError):
    """A polygon that cannot be a fence (fewer than 3 vertices, not WGS84, not finite)."""


@dataclass(frozen=True)
class FencePolygon:
    """One fence polygon: ``ring_lon_lat`` in order, WGS84 degrees, the closing vertex left out;
    ``inclusion`` False = an exclusion zone (the drone must stay outside)."""

    zone_id: str
    ring_lon_lat: tuple[LonLat, ...]
    inclusion: bool = False

    def __post_init__(self) -> None:
        ring = list(self.ring_lon_lat)
        if len(ring) > 1 and ring[0] == ring[-1]:
            ring.pop()
        for lon, lat in ring:
            if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
                raise GeofenceError(f"fence {self.zone_id}: ({lon}, {lat}) is not a WGS84 lon/lat")
        if len(set(ring)) < 3:
            raise GeofenceError(f"fence {self.zone_id}: a polygon needs at least 3 distinct vertices")
        object.__setattr__(self, "ring_lon_lat", tuple((float(lon), float(lat)) for lon, lat in ring))


@dataclass(frozen=True)
class GeofencePlan:
    """What one upload sends: the polygons and the ``GF_*`` parameters to set (name, value)."""

    polygons: tuple[FencePolygon, ...]
    params: tuple[tuple[str, int | float], ...] = ()


class GeofenceSettings(BaseModel):
    """``[geofence]`` in skyloop.toml: the keep-out zones uploaded to every autopilot as exclusion fences."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="upload the keep-out zones to each drone when it connects")
    required: bool = Field(
        True,
        description="a drone whose fence is not confirmed on board (failed, or uploading) is not dispatched",
    )
    action: int = Field(2, ge=0, le=5, description="GF_ACTION: 0 none, 1 warn, 2 hold, 3 return, 5 land")
    predict: int | None = Field(1, ge=0, le=1, description="GF_PREDICT (None: leave the autopilot's)")
    source: int | None = Field(None, ge=0, le=1, description="GF_SOURCE: 0 estimator, 1 GPS (None: leave)")
    max_hor_dist_m: float | None = Field(
        None, ge=0, le=10000, description="GF_MAX_HOR_DIST from home, 0 off (None: leave)"
    )

    @field_validator("action")
    @classmethod
    def _no_termination(cls, value: int) -> int:
        if value == 4:
            raise ValueError("GF_ACTION 4 (terminate) stops the motors over the city: not allowed here")
        return value

    def params(self) -> tuple[tuple[str, int | float], ...]:
        """The parameters to set, in order (``GF_ACTION`` last, once the others are in place)."""
        out: list[tuple[str, int | float]] = []
        if self.predict is not None:
            out.append(("GF_PREDICT", self.predict))
        if self.source is not None:
            out.append(("GF_SOURCE", self.source))
        if self.max_hor_dist_m is not None:
            out.append(("GF_MAX_HOR_DIST", float(self.max_hor_dist_m)))
        out.append(("GF_ACTION", self.action))
        return tuple(out)


def polygons_from_keepouts(zones: Sequence[KeepOut], frame: LocalFrame) -> tuple[FencePolygon, ...]:
    """Each zone's outline (its exterior ring) back in WGS84, as an exclusion polygon."""
    out: list[FencePolygon] = []
    for zone in zones:
        xs, ys = zone.polygon_m.exterior.coords.xy
        lon, lat = frame.to_wgs84(list(xs), list(ys))
        out.append(FencePolygon(zone.id, tuple(zip(map(float, lon), map(float, lat), strict=True))))
    return tuple(out)


def plan_from_keepouts(
    zones: Sequence[KeepOut], frame: LocalFrame, settings: GeofenceSettings
) -> GeofencePlan:
    """The plan every drone gets: the zones as exclusions and the settings' parameters."""
    return GeofencePlan(polygons_from_keepouts(zones, frame), settings.params())


def same_polygons(sent: Sequence[FencePolygon], stored: Sequence[FencePolygon]) -> bool:
    """Whether a downloaded fence holds the sent polygons (same order, kind and vertices to ~1 cm)."""
    if len(sent) != len(stored):
        return False
    for a, b in zip(sent, stored, strict=True):
        if a.inclusion != b.inclusion or len(a.ring_lon_lat) != len(b.ring_lon_lat):
            return False
        for (alon, alat), (blon, blat) in zip(a.ring_lon_lat, b.ring_lon_lat, strict=True):
            if abs(alon - blon) > SAME_VERTEX_DEG or abs(alat - blat) > SAME_VERTEX_DEG:
                return False
    return True
