"""Pixel ↔ ground ↔ WGS84 for a gimballed camera over flat ground (reference/payload.md §5).

The ray of pixel ``(u, v)`` in the camera frame is ``(x, y, 1)`` with ``x = (u - cx)/f`` (right) and
``y = (v - cy)/f`` (down). In the local North-East-Down frame of the drone it is
``Rz(azimuth) · Ry(pitch) · Rx(roll) · M0 · (x, y, 1)``, ``M0`` mapping camera right → East,
down → Down, forward → North. It meets the ground at ``t = agl / d_D`` (no ground point if
``d_D <= 0``: at or above the horizon). Offsets become WGS84 through the geodesic on the ellipsoid.

>>> from payload.model import CameraModel, CameraPose
>>> cam = CameraModel(1920, 1080, 70.0)
>>> pose = CameraPose(121.4737, 31.2304, 100.0, heading_deg=45.0, pitch_deg=-45.0)
>>> n, e = pixel_to_ned(cam, pose, 1500.0, 300.0)
>>> round(float(n), 2), round(float(e), 2)
(52.98, 148.46)
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from pyproj import Geod

from payload.model import AttitudeErrors, CameraModel, CameraPose, GroundPoint

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | npt.NDArray[np.floating]

_GEOD = Geod(ellps="WGS84")
_M0 = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


class BelowHorizonError(ValueError):
    """The pixel's ray does not meet the ground (at or above the horizon)."""


def camera_to_ned(pose: CameraPose) -> FloatArray:
    """The 3x3 rotation taking a camera-frame ray ``(x, y, 1)`` to North-East-Down."""
    psi = math.radians(pose.azimuth_deg)
    theta = math.radians(pose.pitch_deg)
    phi = math.radians(pose.roll_deg)
    rz = np.array(
        [[math.cos(psi), -math.sin(psi), 0.0], [math.sin(psi), math.cos(psi), 0.0], [0.0, 0.0, 1.0]]
    )
    ry = np.array(
        [[math.cos(theta), 0.0, math.sin(theta)], [0.0, 1.0, 0.0], [-math.sin(theta), 0.0, math.cos(theta)]]
    )
    rx = np.array(
        [[1.0, 0.0, 0.0], [0.0, math.cos(phi), -math.sin(phi)], [0.0, math.sin(phi), math.cos(phi)]]
    )
    result: FloatArray = rz @ ry @ rx @ _M0
    return result


def pixel_rays_ned(camera: CameraModel, pose: CameraPose, u: ArrayLike, v: ArrayLike) -> FloatArray:
    """Unnormalised NED direction of each pixel's ray, shape ``(..., 3)``."""
    u_arr = np.asarray(u, dtype=np.float64)
    v_arr = np.asarray(v, dtype=np.float64)
    x = (u_arr - camera.cx_px) / camera.f_px
    y = (v_arr - camera.cy_px) / camera.f_px
    rays = np.stack([x, y, np.ones_like(x)], axis=-1)
    result: FloatArray = rays @ camera_to_ned(pose).T
    return result


def pixel_to_ned(
    camera: CameraModel, pose: CameraPose, u: ArrayLike, v: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Ground offsets (north_m, east_m) from the drone of pixels (u, v); NaN where above the horizon."""
    d = pixel_rays_ned(camera, pose, u, v)
    down = d[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(down > 1e-9, pose.agl_m / down, np.nan)
    return d[..., 0] * t, d[..., 1] * t


def ned_to_pixel(
    camera: CameraModel, pose: CameraPose, north_m: ArrayLike, east_m: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Pixel (u, v) of ground offsets from the drone; NaN where the point is behind the camera."""
    n = np.asarray(north_m, dtype=np.float64)
    e = np.asarray(east_m, dtype=np.float64)
    ned = np.stack([n, e, np.full_like(n, pose.agl_m)], axis=-1)
    cam = ned @ camera_to_ned(pose)  # inverse rotation = transpose
    z = cam[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(z > 1e-9, camera.cx_px + camera.f_px * cam[..., 0] / z, np.nan)
        v = np.where(z > 1e-9, camera.cy_px + camera.f_px * cam[..., 1] / z, np.nan)
    return u, v


def offset_to_wgs84(
    lon0_deg: float, lat0_deg: float, north_m: ArrayLike, east_m: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """WGS84 (lon, lat) of points ``north_m``/``east_m`` from (lon0, lat0), along the geodesic."""
    n = np.atleast_1d(np.asarray(north_m, dtype=np.float64))
    e = np.atleast_1d(np.asarray(east_m, dtype=np.float64))
    az = np.degrees(np.arctan2(e, n))
    dist = np.hypot(n, e)
    lon, lat, _ = _GEOD.fwd(np.full_like(n, lon0_deg), np.full_like(n, lat0_deg), az, dist)
    shape = np.shape(np.asarray(north_m))
    return np.asarray(lon, dtype=np.float64).reshape(shape), np.asarray(lat, dtype=np.float64).reshape(shape)


def wgs84_to_offset(
    lon0_deg: float, lat0_deg: float, lon_deg: ArrayLike, lat_deg: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """(north_m, east_m) of WGS84 points from (lon0, lat0), along the geodesic."""
    lon = np.atleast_1d(np.asarray(lon_deg, dtype=np.float64))
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=np.float64))
    az, _, dist = _GEOD.inv(np.full_like(lon, lon0_deg), np.full_like(lat, lat0_deg), lon, lat)
    az_rad = np.radians(np.asarray(az, dtype=np.float64))
    d = np.asarray(dist, dtype=np.float64)
    shape = np.shape(np.asarray(lon_deg))
    return (d * np.cos(az_rad)).reshape(shape), (d * np.sin(az_rad)).reshape(shape)


def _perturbed(pose: CameraPose, **delta: float) -> CameraPose:
    return CameraPose(
        pose.lon_deg,
        pose.lat_deg,
        max(pose.agl_m + delta.get("agl_m", 0.0), 0.1),
        pose.heading_deg + delta.get("yaw_deg", 0.0),
        max(min(pose.pitch_deg + delta.get("pitch_deg", 0.0), 90.0), -180.0),
        pose.gimbal_yaw_deg,
        pose.roll_deg + delta.get("roll_deg", 0.0),
    )


def uncertainty_m(
    camera: CameraModel,
    pose: CameraPose,
    u: float,
    v: float,
    errors: AttitudeErrors | None = None,
    extra_m: float = 0.0,
) -> float:
    """Radius around the ground point of (u, v) from the attitude, height and GNSS error bounds.

    Each error moves the ground point; the moves (the larger of the + and - perturbation) add in
    quadrature with the GNSS error and ``extra_m`` (e.g. half the object's size). ``inf`` when a
    perturbation tips the ray above the horizon.
    """
    err = errors or AttitudeErrors()
    n0, e0 = pixel_to_ned(camera, pose, u, v)
    terms = [err.gnss_m**2, extra_m**2]
    for name, size in (
        ("pitch_deg", err.pitch_deg),
        ("yaw_deg", err.yaw_deg),
        ("roll_deg", err.roll_deg),
        ("agl_m", err.agl_m),
    ):
        if size == 0:
            continue
        worst = 0.0
        for sign in (1.0, -1.0):
            n1, e1 = pixel_to_ned(camera, _perturbed(pose, **{name: sign * size}), u, v)
            worst = max(worst, float(np.hypot(n1 - n0, e1 - e0)))
        terms.append(worst**2)
    total = math.sqrt(sum(terms))
    return total if math.isfinite(total) else math.inf


def pixel_to_ground(
    camera: CameraModel,
    pose: CameraPose,
    u: float,
    v: float,
    errors: AttitudeErrors | None = None,
    extra_m: float = 0.0,
) -> GroundPoint:
    """The WGS84 ground point of pixel (u, v); raises :class:`BelowHorizonError` above the horizon."""
    n_arr, e_arr = pixel_to_ned(camera, pose, u, v)
    n, e = float(n_arr), float(e_arr)
    if not (math.isfinite(n) and math.isfinite(e)):
        raise BelowHorizonError(f"pixel ({u:g}, {v:g}) is at or above the horizon")
    lon, lat = offset_to_wgs84(pose.lon_deg, pose.lat_deg, n, e)
    slant = math.sqrt(n * n + e * e + pose.agl_m**2)
    unc = uncertainty_m(camera, pose, u, v, errors, extra_m)
    return GroundPoint(float(lon), float(lat), n, e, slant, unc)


def wgs84_to_pixel(
    camera: CameraModel, pose: CameraPose, lon_deg: ArrayLike, lat_deg: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Pixel (u, v) where a WGS84 ground point appears (may fall outside the image; NaN if behind)."""
    n, e = wgs84_to_offset(pose.lon_deg, pose.lat_deg, lon_deg, lat_deg)
    return ned_to_pixel(camera, pose, n, e)


def gsd_m(
    camera: CameraModel, pose: CameraPose, u: float | None = None, v: float | None = None
) -> tuple[float, float]:
    """Ground sample distance (across, along) in metres per pixel at (u, v) (default: image centre).

    Nadir: ``2·agl·tan(hfov/2)/W`` both ways; oblique: measured between neighbouring pixels.
    """
    uu = camera.cx_px if u is None else u
    vv = camera.cy_px if v is None else v
    n, e = pixel_to_ned(camera, pose, np.array([uu, uu + 1.0, uu]), np.array([vv, vv, vv + 1.0]))
    across = float(np.hypot(n[1] - n[0], e[1] - e[0]))
    along = float(np.hypot(n[2] - n[0], e[2] - e[0]))
    return across, along


def footprint_area_m2(camera: CameraModel, pose: CameraPose) -> float:
    """Ground area seen by the whole image (inf when the top of the image is above the horizon)."""
    w, h = camera.width_px, camera.height_px
    n, e = pixel_to_ned(camera, pose, np.array([0.0, w, w, 0.0]), np.array([0.0, 0.0, h, h]))
    if not np.all(np.isfinite(n)):
        return math.inf
    return float(0.5 * abs(np.dot(e, np.roll(n, 1)) - np.dot(n, np.roll(e, 1))))
