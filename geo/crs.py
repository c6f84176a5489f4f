"""Coordinate systems: WGS84, a local metric frame, GCJ-02, BD-09 and CGCS2000.

Conventions: longitude/latitude in degrees, ``x`` east and ``y`` north in metres, always in
that order (pyproj transformers are built with ``always_xy=True`` and cached). Every function is
vectorised over numpy arrays; scalars in give floats out.

- **WGS84** (EPSG:4326): drones, MAVLink, the DJI Cloud API. Everything inside Skyloop.
- **Local frame** (:class:`LocalFrame`): a projected metric CRS for distances and areas. The
  reference district uses EPSG:4547 (CGCS2000 / 3-degree Gauss-Krüger CM 114E, scale error ≈ 9 ppm
  over the district); elsewhere :meth:`LocalFrame.auto` picks the WGS84 UTM zone.
- **GCJ-02** (Amap, Tencent) and **BD-09** (Baidu): the obfuscated web-map systems of China, with
  the standard published constants (reference/planning.md §3.4). Outside China GCJ-02 is the
  identity. The GCJ-02 → WGS84 inverse iterates to sub-millimetre accuracy.
- **CGCS2000** (EPSG:4490): Chinese surveying; see :func:`cgcs2000_to_wgs84` for its accuracy.

>>> lon, lat = wgs84_to_gcj02(113.7730, 34.7601)
>>> back = gcj02_to_wgs84(lon, lat)
>>> round(back[0], 9), round(back[1], 9)
(113.773, 34.7601)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast, overload

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

FloatArray = NDArray[np.float64]
G = TypeVar("G", bound=shapely.Geometry)

#: Krasovsky 1940 semi-major axis used by GCJ-02 (metres) and its squared eccentricity.
GCJ_A_M = 6378245.0
GCJ_EE = 0.00669342162296594323
#: BD-09 constants: x_pi and the final offsets (degrees).
BD_X_PI = math.pi * 3000.0 / 180.0
BD_DLON_DEG = 0.0065
BD_DLAT_DEG = 0.006
#: The iterative inverses stop when the step is below this (degrees; 1e-10° ≈ 0.01 mm).
INVERSE_TOL_DEG = 1e-10
_INVERSE_MAX_ITER = 30
#: :func:`convert` refuses points further than this outside a projected CRS's area of use.
AREA_OF_USE_MARGIN_DEG = 1.0

WGS84 = "EPSG:4326"
CGCS2000 = "EPSG:4490"
CGCS2000_GK_CM114 = "EPSG:4547"

#: Names accepted by :func:`convert` (plus ``epsg:N``).
SYSTEMS = ("wgs84", "gcj02", "bd09", "cgcs2000")


class CoordinateError(ValueError):
    """A coordinate is not a number, out of range, or names an unknown system."""


# ---------------------------------------------------------------------------------------------
# validation and array plumbing


def _as_arrays(a: ArrayLike, b: ArrayLike) -> tuple[FloatArray, FloatArray, bool]:
    try:
        x = np.asarray(a, dtype=np.float64)
        y = np.asarray(b, dtype=np.float64)
        x, y = np.broadcast_arrays(x, y)
    except (TypeError, ValueError) as exc:
        raise CoordinateError(f"coordinates must be numbers: {exc}") from None
    return x, y, x.ndim == 0


def _out(x: FloatArray, y: FloatArray, scalar: bool) -> tuple[Any, Any]:
    if scalar:
        return float(x), float(y)
    return x, y


def _first_bad(mask: NDArray[np.bool_], x: FloatArray, y: FloatArray) -> str:
    i = int(np.flatnonzero(mask.ravel())[0])
    return f"({float(x.ravel()[i])!r}, {float(y.ravel()[i])!r})"


def check_lonlat(lon: ArrayLike, lat: ArrayLike, what: str = "coordinate") -> None:
    """Raise :class:`CoordinateError` for NaN/inf, longitude outside [-180, 180] or latitude
    outside [-90, 90]; the message names the first offending pair."""
    x, y, _ = _as_arrays(lon, lat)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        raise CoordinateError(f"{what} is not a finite number: lon, lat = {_first_bad(bad, x, y)}")
    bad = (x < -180.0) | (x > 180.0)
    if bad.any():
        raise CoordinateError(f"{what} longitude outside [-180, 180]: lon, lat = {_first_bad(bad, x, y)}")
    bad = (y < -90.0) | (y > 90.0)
    if bad.any():
        raise CoordinateError(f"{what} latitude outside [-90, 90]: lon, lat = {_first_bad(bad, x, y)}")


def check_xy(x_m: ArrayLike, y_m: ArrayLike, what: str = "coordinate") -> None:
    """Raise :class:`CoordinateError` unless every projected coordinate is finite."""
    x, y, _ = _as_arrays(x_m, y_m)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        raise CoordinateError(f"{what} is not a finite number: x, y = {_first_bad(bad, x, y)}")


@lru_cache(maxsize=64)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def _project(src: str, dst: str, a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray]:
    x, y = _transformer(src, dst).transform(a, b)
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    bad = ~(np.isfinite(xa) & np.isfinite(ya))
    if bad.any():
        raise CoordinateError(
            f"{src} -> {dst}: coordinate outside the projection's domain: {_first_bad(bad, a, b)}"
        )
    return xa, ya


# ---------------------------------------------------------------------------------------------
# the local metric frame


@dataclass(frozen=True)
class LocalFrame:
    """A projected metric CRS (``crs`` like ``"EPSG:4547"``): x east, y north, metres."""

    crs: str

    def __post_init__(self) -> None:
        parsed = _parse_crs(self.crs)
        if not parsed.is_projected:
            raise CoordinateError(f"{self.crs} is not a projected (metric) CRS")
        unit = parsed.axis_info[0].unit_name if parsed.axis_info else ""
        if unit not in ("metre", "meter"):
            raise CoordinateError(f"{self.crs} is not in metres (unit {unit!r})")

    @classmethod
    def from_epsg(cls, code: int | str) -> LocalFrame:
        """``4547``, ``"4547"``, ``"EPSG:4547"`` or ``"epsg:4547"``."""
        text = str(code).strip()
        m = re.fullmatch(r"(?i)(?:epsg:)?(\d+)", text)
        if not m:
            raise CoordinateError(f"not an EPSG code: {code!r}")
        return cls(f"EPSG:{int(m.group(1))}")

    @classmethod
    def auto(cls, lon_deg: float, lat_deg: float) -> LocalFrame:
        """The WGS84 UTM zone (north or south) containing the point."""
        check_lonlat(lon_deg, lat_deg)
        zone = min(int((float(lon_deg) + 180.0) // 6.0) + 1, 60)
        return cls(f"EPSG:{(32600 if lat_deg >= 0 else 32700) + zone}")

    @overload
    def to_local(self, lon_deg: float, lat_deg: float) -> tuple[float, float]: ...
    @overload
    def to_local(self, lon_deg: ArrayLike, lat_deg: ArrayLike) -> tuple[Any, Any]: ...
    def to_local(self, lon_deg: ArrayLike, lat_deg: ArrayLike) -> tuple[Any, Any]:
        """WGS84 degrees -> local (x east, y north) metres."""
        lon, lat, scalar = _as_arrays(lon_deg, lat_deg)
        check_lonlat(lon, lat)
        return _out(*_project(WGS84, self.crs, lon, lat), scalar)

    @overload
    def to_wgs84(self, x_m: float, y_m: float) -> tuple[float, float]: ...
    @overload
    def to_wgs84(self, x_m: ArrayLike, y_m: ArrayLike) -> tuple[Any, Any]: ...
    def to_wgs84(self, x_m: ArrayLike, y_m: ArrayLike) -> tuple[Any, Any]:
        """Local (x east, y north) metres -> WGS84 degrees."""
        x, y, scalar = _as_arrays(x_m, y_m)
        check_xy(x, y)
        lon, lat = _project(self.crs, WGS84, x, y)
        check_lonlat(lon, lat, "projected coordinate")
        return _out(lon, lat, scalar)

    def geom_to_local(self, geom: G) -> G:
        """A shapely geometry in WGS84 (lon, lat) -> the same geometry in local metres."""
        return cast(G, shapely.transform(geom, lambda c: np.column_stack(self.to_local(c[:, 0], c[:, 1]))))

    def geom_to_wgs84(self, geom: G) -> G:
        """A shapely geometry in local metres -> WGS84 (lon, lat)."""
        return cast(G, shapely.transform(geom, lambda c: np.column_stack(self.to_wgs84(c[:, 0], c[:, 1]))))


@lru_cache(maxsize=64)
def _parse_crs(text: str) -> CRS:
    try:
        return CRS.from_user_input(text)
    except CRSError:
        raise CoordinateError(f"unknown coordinate system {text!r} (not in the EPSG database)") from None


# ---------------------------------------------------------------------------------------------
# GCJ-02 and BD-09


def out_of_china(lon_deg: ArrayLike, lat_deg: ArrayLike) -> NDArray[np.bool_]:
    """The standard bounding-box rule: outside it GCJ-02 equals WGS84."""
    lon = np.asarray(lon_deg, dtype=np.float64)
    lat = np.asarray(lat_deg, dtype=np.float64)
    return np.asarray((lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271))


def _gcj_delta(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 offset (degrees) at a WGS84 point, zero outside China."""
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    sx = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = lat / 180.0 * pi
    magic = 1.0 - GCJ_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((GCJ_A_M * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (GCJ_A_M / sqrt_magic * np.cos(rad) * pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _gcj_forward(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def wgs84_to_gcj02(lon_deg: ArrayLike, lat_deg: ArrayLike) -> tuple[Any, Any]:
    """WGS84 -> GCJ-02 (Amap, Tencent); the identity outside China."""
    lon, lat, scalar = _as_arrays(lon_deg, lat_deg)
    check_lonlat(lon, lat)
    return _out(*_gcj_forward(lon, lat), scalar)


def gcj02_to_wgs84_one_step(lon_deg: ArrayLike, lat_deg: ArrayLike) -> tuple[Any, Any]:
    """The common one-step inverse (subtract the offset at the GCJ point). Metres off: kept only
    to show why :func:`gcj02_to_wgs84` iterates."""
    lon, lat, scalar = _as_arrays(lon_deg, lat_deg)
    check_lonlat(lon, lat)
    dlon, dlat = _gcj_delta(lon, lat)
    return _out(lon - dlon, lat - dlat, scalar)


def _invert(forward: Any, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Fixed-point inverse of a small-offset map: w <- w - (forward(w) - target).

    At the edge of China's box GCJ-02 jumps from an offset of hundreds of metres to none, so a
    few targets there have no preimage and the iteration cannot settle: they get the iterate
    whose image came nearest (never an exception)."""
    wx, wy = lon.copy(), lat.copy()
    best_x, best_y, best_err = wx.copy(), wy.copy(), np.full(wx.shape, np.inf)
    for _ in range(_INVERSE_MAX_ITER):
        fx, fy = forward(wx, wy)
        ex, ey = fx - lon, fy - lat
        if (
            float(np.max(np.abs(ex), initial=0.0)) < INVERSE_TOL_DEG
            and float(np.max(np.abs(ey), initial=0.0)) < INVERSE_TOL_DEG
        ):
            return wx - ex, wy - ey
        err = np.hypot(ex, ey)
        better = err < best_err
        best_x, best_y, best_err = (
            np.where(better, wx, best_x),
            np.where(better, wy, best_y),
            np.minimum(err, best_err),
        )
        wx, wy = wx - ex, wy - ey
    return best_x, best_y


def gcj02_to_wgs84(lon_deg: ArrayLike, lat_deg: ArrayLike) -> tuple[Any, Any]:
    """GCJ-02 -> WGS84 by fixed-point iteration (converges to < 0.01 mm in a few steps)."""
    lon, lat, scalar = _as_arrays(lon_deg, lat_deg)
    check_lonlat(lon, lat)
    return _out(*_invert(_gcj_forward, lon, lat), scalar)


def _bd_forward(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * BD_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * BD_X_PI)
    return z * np.cos(theta) + BD_DLON_DEG, z * np.sin(theta) + BD_DLAT_DEG


def gcj02_to_bd09(lon_deg: ArrayLike, lat_deg: ArrayLike) -> tuple[Any, Any]:
    """GCJ-02 -> BD-09 (Baidu)."""
    lon, lat, scalar = _as_arrays(lon_deg, lat_deg)
    check_lonlat(lon, lat)
    return _out(*_bd_forward(lon, lat), scalar)


def bd09_to_gcj02(lon_deg: ArrayLike, lat_deg: ArrayLike) -> tuple[Any, Any]:
    """BD-09 -> GCJ-02: the published closed form, refined by iteration to an exact inverse."""
    lon, lat, scalar = _as_arrays(lon_deg, lat_deg)
    check_lonlat(lon, lat)
    return _out(*_invert(_bd_forward, lon, lat), scalar)


def wgs84_to_bd09(lon_deg: ArrayLike, lat_deg: ArrayLike) -> tuple[Any, Any]:
    """WGS84 -> BD-09 (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon_deg, lat_deg))


def bd09_to_wgs84(lon_deg: ArrayLike, lat_deg: ArrayLike) -> tuple[Any, Any]:
    """BD-09 -> WGS84 (through GCJ-02, both inverses iterative)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon_deg, lat_deg))


# ---------------------------------------------------------------------------------------------
# CGCS2000


def cgcs2000_to_wgs84(lon_deg: ArrayLike, lat_deg: ArrayLike) -> tuple[Any, Any]:
    """CGCS2000 (EPSG:4490) -> WGS84 (EPSG:4326) through pyproj.

    pyproj has no published transformation between the two and uses a *ballpark* (null)
    one: the numbers come back unchanged. That is right to the few centimetres by which the two
    realisations differ today (both are ITRF-aligned; CGCS2000 is fixed at epoch 2000.0, so the
    gap grows by plate motion, a few cm per year) — ample for flight and planning, not for
    survey-grade work, which needs an epoch-aware transformation.
    """
    lon, lat, scalar = _as_arrays(lon_deg, lat_deg)
    check_lonlat(lon, lat)
    return _out(*_project(CGCS2000, WGS84, lon, lat), scalar)


def wgs84_to_cgcs2000(lon_deg: ArrayLike, lat_deg: ArrayLike) -> tuple[Any, Any]:
    """WGS84 -> CGCS2000; the same ballpark (null) transformation as :func:`cgcs2000_to_wgs84`."""
    lon, lat, scalar = _as_arrays(lon_deg, lat_deg)
    check_lonlat(lon, lat)
    return _out(*_project(WGS84, CGCS2000, lon, lat), scalar)


# ---------------------------------------------------------------------------------------------
# one entry point for any pair of systems


@dataclass(frozen=True)
class _System:
    name: str
    crs: str | None  # None for the obfuscated systems (gcj02, bd09)
    projected: bool


def parse_system(name: str) -> _System:
    """``wgs84 | gcj02 | bd09 | cgcs2000 | epsg:N`` (case-insensitive) -> a system description."""
    key = name.strip().lower().replace("-", "").replace("_", "")
    if key in ("wgs84", "gcj02", "bd09", "cgcs2000"):
        crs = {"wgs84": WGS84, "cgcs2000": CGCS2000}.get(key)
        return _System(key, crs, False)
    m = re.fullmatch(r"epsg:(\d+)", key)
    if not m:
        raise CoordinateError(
            f"unknown coordinate system {name!r} (use wgs84, gcj02, bd09, cgcs2000 or epsg:N)"
        )
    crs = f"EPSG:{int(m.group(1))}"
    parsed = _parse_crs(crs)
    if not (parsed.is_projected or parsed.is_geographic):
        raise CoordinateError(f"{crs} is neither a geographic nor a projected 2-D CRS")
    return _System(crs.lower(), crs, parsed.is_projected)


def _to_wgs84(a: FloatArray, b: FloatArray, s: _System) -> tuple[FloatArray, FloatArray]:
    if s.projected:
        check_xy(a, b, "input")
    else:
        check_lonlat(a, b, "input")
    if s.name == "gcj02":
        return _invert(_gcj_forward, a, b)
    if s.name == "bd09":
        return _invert(_gcj_forward, *_invert(_bd_forward, a, b))
    assert s.crs is not None
    if s.crs == WGS84:
        return a, b
    lon, lat = _project(s.crs, WGS84, a, b)
    check_lonlat(lon, lat, "input")
    return lon, lat


def _from_wgs84(lon: FloatArray, lat: FloatArray, s: _System) -> tuple[FloatArray, FloatArray]:
    if s.name == "gcj02":
        return _gcj_forward(lon, lat)
    if s.name == "bd09":
        return _bd_forward(*_gcj_forward(lon, lat))
    assert s.crs is not None
    if s.crs == WGS84:
        return lon, lat
    return _project(WGS84, s.crs, lon, lat)


def _check_area_of_use(lon: FloatArray, lat: FloatArray, s: _System) -> None:
    """Refuse points more than a degree outside a projected system's area of use (a
    Gauss-Krüger zone far from its central meridian gives large, silently wrong numbers)."""
    area = _parse_crs(s.crs).area_of_use if s.crs else None
    if area is None or not s.projected:
        return
    m = AREA_OF_USE_MARGIN_DEG
    bad = (lon < area.west - m) | (lon > area.east + m) | (lat < area.south - m) | (lat > area.north + m)
    if np.any(bad):
        raise CoordinateError(
            f"lon, lat = {_first_bad(bad, lon, lat)} lies outside the area of use of {s.crs} "
            f"(lon {area.west:g}..{area.east:g}, lat {area.south:g}..{area.north:g})"
        )


def convert(a: ArrayLike, b: ArrayLike, src: str, dst: str) -> tuple[Any, Any]:
    """Convert coordinates between any two systems. Geographic systems take and give
    (lon, lat) degrees; projected ``epsg:N`` ones (x east, y north) metres. A projected system
    refuses points more than a degree outside its area of use.

    >>> x, y = convert(113.7730, 34.7601, "wgs84", "epsg:4547")
    >>> round(x), round(y)
    (479217, 3848002)
    """
    s_src, s_dst = parse_system(src), parse_system(dst)
    x, y, scalar = _as_arrays(a, b)
    lon, lat = _to_wgs84(x, y, s_src)
    _check_area_of_use(lon, lat, s_src)
    _check_area_of_use(lon, lat, s_dst)
    return _out(*_from_wgs84(lon, lat, s_dst), scalar)


def is_projected(system: str) -> bool:
    """Whether ``system`` (as for :func:`convert`) takes and gives metres."""
    return parse_system(system).projected
