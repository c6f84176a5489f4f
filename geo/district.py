"""The district: its boundary, keep-out zones and landmarks in a local metric frame, read from
GeoJSON (WGS84 lon/lat, RFC 7946), and dock sites read the same way.

Bad input is refused with one :class:`GeoInputError` line that says what and where: not GeoJSON,
not a FeatureCollection, no polygon, an invalid (e.g. self-intersecting) polygon, NaN or
out-of-range coordinates, missing or duplicate dock ids, an unknown dock type.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.validation import explain_validity

from geo.crs import CoordinateError, LocalFrame, check_lonlat
from geo.model import DockSite, ReachParams


class GeoInputError(ValueError):
    """A geographic input (GeoJSON, a polygon, a coordinate, a route endpoint) is unusable."""


@dataclass(frozen=True)
class KeepOut:
    """A zone drones must not enter (airport clearance, transport hub, ...), in local metres."""

    id: str
    name: str
    polygon_m: Polygon
    kind: str


@dataclass(frozen=True)
class Landmark:
    """A named place, in both frames."""

    name: str
    x_m: float
    y_m: float
    lon_deg: float
    lat_deg: float


@dataclass(frozen=True)
class District:
    """A district in its local metric frame (x east, y north, metres)."""

    name: str
    frame: LocalFrame
    boundary_m: Polygon
    keepouts: tuple[KeepOut, ...] = ()
    landmarks: tuple[Landmark, ...] = ()

    @property
    def area_km2(self) -> float:
        return float(self.boundary_m.area) / 1e6

    @cached_property
    def boundary_wgs84(self) -> Polygon:
        """The boundary back in WGS84 (lon, lat)."""
        return self.frame.geom_to_wgs84(self.boundary_m)

    @cached_property
    def flyable_m(self) -> Polygon | MultiPolygon:
        """The boundary minus every keep-out zone."""
        if not self.keepouts:
            return self.boundary_m
        zones = shapely.union_all([k.polygon_m for k in self.keepouts])
        result = self.boundary_m.difference(zones)
        if not isinstance(result, Polygon | MultiPolygon):  # e.g. an empty collection
            return Polygon()
        return result


# ---------------------------------------------------------------------------------------------
# GeoJSON reading


def _features(fc: Any, what: str) -> list[Mapping[str, Any]]:
    if not isinstance(fc, Mapping) or "type" not in fc:
        raise GeoInputError(f"{what}: not GeoJSON (expected an object with a 'type')")
    if fc["type"] != "FeatureCollection":
        raise GeoInputError(f"{what}: expected a GeoJSON FeatureCollection, got {fc['type']!r}")
    features = fc.get("features")
    if not isinstance(features, list):
        raise GeoInputError(f"{what}: FeatureCollection without a 'features' list")
    for i, f in enumerate(features):
        if not isinstance(f, Mapping) or f.get("type") != "Feature":
            raise GeoInputError(f"{what}: features[{i}] is not a GeoJSON Feature")
        if f.get("properties") is not None and not isinstance(f["properties"], Mapping):
            raise GeoInputError(f"{what}: features[{i}].properties is not an object")
    return list(features)


def _props(f: Mapping[str, Any]) -> Mapping[str, Any]:
    p = f.get("properties")
    return p if isinstance(p, Mapping) else {}


def _label(what: str, i: int, f: Mapping[str, Any]) -> str:
    p = _props(f)
    name = p.get("id") or p.get("name")
    return f"{what}: features[{i}]" + (f" ({name})" if name else "")


def _geometry(f: Mapping[str, Any], where: str) -> shapely.Geometry | None:
    g = f.get("geometry")
    if g is None:
        return None
    try:
        with warnings.catch_warnings():  # NaN coordinates warn here; they are refused just below
            warnings.simplefilter("ignore", RuntimeWarning)
            geom = shape(g)
    except Exception as exc:  # shapely raises several types for malformed geometry
        raise GeoInputError(f"{where}: malformed geometry: {exc}") from None
    coords = shapely.get_coordinates(geom)
    try:
        check_lonlat(coords[:, 0], coords[:, 1], "coordinate")
    except CoordinateError as exc:
        raise GeoInputError(f"{where}: {exc}") from None
    return geom


def _polygons(geom: shapely.Geometry, where: str) -> list[Polygon]:
    if geom.is_empty:
        raise GeoInputError(f"{where}: empty polygon")
    if not shapely.is_valid(geom):
        raise GeoInputError(f"{where}: invalid polygon: {explain_validity(geom)} (lon lat)")
    if isinstance(geom, Polygon):
        parts = [geom]
    elif isinstance(geom, MultiPolygon):
        parts = list(geom.geoms)
    else:
        return []
    for p in parts:
        if p.area <= 0:
            raise GeoInputError(f"{where}: polygon has no area")
    return parts


def _iter_polygons(features: Sequence[Mapping[str, Any]], what: str) -> Iterator[tuple[int, list[Polygon]]]:
    for i, f in enumerate(features):
        where = _label(what, i, f)
        geom = _geometry(f, where)
        if geom is not None and geom.geom_type in ("Polygon", "MultiPolygon"):
            yield i, _polygons(geom, where)


def _to_local(frame: LocalFrame, geom: Polygon, where: str) -> Polygon:
    try:
        local = frame.geom_to_local(geom)
    except CoordinateError as exc:
        raise GeoInputError(f"{where}: {exc}") from None
    if not local.is_valid:
        raise GeoInputError(f"{where}: polygon becomes invalid in {frame.crs}: {explain_validity(local)}")
    return local


def district_from_geojson(
    boundary_fc: Mapping[str, Any],
    keepout_fc: Mapping[str, Any] | None = None,
    frame: LocalFrame | None = None,
    name: str | None = None,
) -> District:
    """Build a :class:`District` from GeoJSON FeatureCollections in WGS84.

    The boundary is the polygon feature with ``properties.role == "district"``, or the only polygon
    of the collection; Point features with ``role == "landmark"`` become landmarks. Every polygon
    of ``keepout_fc`` becomes a :class:`KeepOut` (``properties``: ``id``, ``name``, ``kind``; a
    MultiPolygon gives one zone per part, ids suffixed ``#1``, ``#2``...). ``frame`` None picks the
    UTM zone at the boundary's centroid.
    """
    features = _features(boundary_fc, "district")
    polys = list(_iter_polygons(features, "district"))
    marked = [(i, p) for i, p in polys if _props(features[i]).get("role") == "district"]
    if len(marked) > 1:
        raise GeoInputError("district: more than one feature has role 'district'")
    chosen = marked or polys
    if not chosen:
        raise GeoInputError("district: no Polygon feature in the FeatureCollection")
    if len(chosen) > 1:
        raise GeoInputError("district: several polygons and none has properties.role == 'district'")
    index, parts = chosen[0]
    where = _label("district", index, features[index])
    if len(parts) != 1:
        raise GeoInputError(f"{where}: the boundary must be one Polygon, not a MultiPolygon")
    boundary = parts[0]
    if frame is None:
        c = boundary.centroid
        frame = LocalFrame.auto(c.x, c.y)
    boundary_m = _to_local(frame, boundary, where)
    landmarks = []
    for i, f in enumerate(features):
        p = _props(f)
        if p.get("role") != "landmark":
            continue
        geom = _geometry(f, _label("district", i, f))
        if not isinstance(geom, Point):
            raise GeoInputError(f"{_label('district', i, f)}: a landmark must be a Point")
        x, y = frame.to_local(geom.x, geom.y)
        landmarks.append(Landmark(str(p.get("name") or f"landmark-{i}"), x, y, geom.x, geom.y))
    keepouts = _keepouts(keepout_fc, frame) if keepout_fc is not None else ()
    title = name or str(_props(features[index]).get("name") or boundary_fc.get("name") or "district")
    return District(title, frame, boundary_m, keepouts, tuple(landmarks))


def _keepouts(fc: Mapping[str, Any], frame: LocalFrame) -> tuple[KeepOut, ...]:
    features = _features(fc, "keep-out")
    zones: list[KeepOut] = []
    seen: set[str] = set()
    for i, parts in _iter_polygons(features, "keep-out"):
        p = _props(features[i])
        where = _label("keep-out", i, features[i])
        base = str(p.get("id") or f"keepout-{i}")
        if base in seen:
            raise GeoInputError(f"{where}: duplicate keep-out id {base!r}")
        seen.add(base)
        for j, poly in enumerate(parts, start=1):
            zid = base if len(parts) == 1 else f"{base}#{j}"
            zones.append(
                KeepOut(
                    zid, str(p.get("name") or zid), _to_local(frame, poly, where), str(p.get("kind") or "")
                )
            )
    return tuple(zones)


def docks_from_geojson(
    fc: Mapping[str, Any],
    frame: LocalFrame,
    reach_by_type: Mapping[str, ReachParams],
    wind_limit_by_type: Mapping[str, float],
    default_type: str,
) -> list[DockSite]:
    """Dock sites from Point features (``properties``: ``id`` unique and required, ``name``,
    ``type`` — a key of ``reach_by_type``, default ``default_type``)."""
    features = _features(fc, "docks")
    docks: list[DockSite] = []
    seen: set[str] = set()
    for i, f in enumerate(features):
        where = _label("docks", i, f)
        p = _props(f)
        geom = _geometry(f, where)
        if not isinstance(geom, Point):
            raise GeoInputError(f"{where}: a dock must be a Point")
        raw_id = p.get("id")
        if raw_id is None or str(raw_id).strip() == "":
            raise GeoInputError(f"{where}: dock without an 'id'")
        dock_id = str(raw_id)
        if dock_id in seen:
            raise GeoInputError(f"{where}: duplicate dock id {dock_id!r}")
        seen.add(dock_id)
        dock_type = str(p.get("type") or default_type)
        if dock_type not in reach_by_type or dock_type not in wind_limit_by_type:
            known = ", ".join(sorted(reach_by_type)) or "none"
            raise GeoInputError(f"{where}: unknown dock type {dock_type!r} (known: {known})")
        x, y = frame.to_local(geom.x, geom.y)
        if not (math.isfinite(x) and math.isfinite(y)):
            raise GeoInputError(f"{where}: position outside the frame {frame.crs}")
        docks.append(DockSite(dock_id, x, y, reach_by_type[dock_type], float(wind_limit_by_type[dock_type])))
    return docks
