"""The response-time model of reference/planning.md §5.

``T(x) = dispatch + prep + climb + cruise(x, wind) + descent + settle`` where the cruise leg
accelerates at ``a`` up to the air speed ``v`` and the air mass moves with the wind. Under a steady
wind ``w`` the set reached after ``τ`` seconds of cruise is the disc centred at ``dock + w·τ`` with
radius ``s(τ)``, the air-frame distance flown (``v·(τ − v/a)`` once at speed, ``a·τ²/4`` before).

All functions are vectorised over numpy arrays of offsets and return ``inf`` where a point cannot
be reached (a wind at or above the air speed blowing away from the route).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.model import EnergyParams, ReachParams, Wind

FloatArray = NDArray[np.float64]


def overhead_s(p: ReachParams) -> float:
    """Everything but the horizontal leg: dispatch, dock preparation, climb, descent, settle."""
    climb_s = p.cruise_height_m / p.climb_mps
    descent_s = (p.cruise_height_m - p.on_scene_height_m) / p.descent_mps
    return p.dispatch_s + p.prep_s + climb_s + descent_s + p.settle_s


def cruise_time_s(distance_m: ArrayLike, cruise_mps: float, accel_mps2: float) -> FloatArray:
    """Time to fly ``distance_m`` from rest to rest in still air (accelerate, cruise, decelerate)."""
    d = np.asarray(distance_m, dtype=np.float64)
    v, a = cruise_mps, accel_mps2
    long_leg = d >= v * v / a
    with np.errstate(invalid="ignore"):
        return np.where(long_leg, d / v + v / a, 2.0 * np.sqrt(np.maximum(d, 0.0) / a))


def air_distance_m(cruise_s: ArrayLike, cruise_mps: float, accel_mps2: float) -> FloatArray:
    """Inverse of :func:`cruise_time_s`: the still-air distance covered in ``cruise_s`` seconds."""
    t = np.maximum(np.asarray(cruise_s, dtype=np.float64), 0.0)
    v, a = cruise_mps, accel_mps2
    return np.where(t >= 2.0 * v / a, v * (t - v / a), a * (t / 2.0) ** 2)


def reach_radius_m(p: ReachParams, target_s: float | None = None) -> float:
    """Still-air reach R within the target (planning.md §5): 0 when the overhead eats the budget."""
    budget_s = (p.target_s if target_s is None else target_s) - overhead_s(p)
    if budget_s <= 0:
        return 0.0
    return float(air_distance_m(budget_s, p.cruise_mps, p.accel_mps2))


def reach_disc(p: ReachParams, wind: Wind, target_s: float | None = None) -> tuple[float, float, float]:
    """The shifted disc reached within the target: (centre east offset, north offset, radius), metres.

    Radius 0 means the dock cannot reach anywhere in time.
    """
    budget_s = (p.target_s if target_s is None else target_s) - overhead_s(p)
    if budget_s <= 0:
        return (0.0, 0.0, 0.0)
    wx, wy = wind.vector_mps
    radius = float(air_distance_m(budget_s, p.cruise_mps, p.accel_mps2))
    return (wx * budget_s, wy * budget_s, radius)


def wind_cruise_time_s(
    dx_m: ArrayLike, dy_m: ArrayLike, wind: Wind, cruise_mps: float, accel_mps2: float
) -> FloatArray:
    """Smallest cruise time τ with ``|d − w·τ| ≤ s(τ)``: the time to reach offset d in steady wind.

    Closed form on the constant-speed branch; the (short) acceleration branch is solved by
    bisection on the few points that need it.
    """
    dx = np.asarray(dx_m, dtype=np.float64)
    dy = np.asarray(dy_m, dtype=np.float64)
    dx, dy = np.broadcast_arrays(dx, dy)
    v, a = cruise_mps, accel_mps2
    k = v / a
    if wind.speed_mps == 0.0:
        return cruise_time_s(np.hypot(dx, dy), v, a)
    wx, wy = _wind_field(dx, dy, wind)
    # |d - wτ| = v(τ - k):  (|w|² - v²)τ² + 2(v²k - d·w)τ + |d|² - v²k² = 0
    dw = dx * wx + dy * wy
    d2 = dx * dx + dy * dy
    w2 = wind.speed_mps**2
    qa = w2 - v * v
    qb = 2.0 * (v * v * k - dw)
    qc = d2 - v * v * k * k
    tau = _smallest_root_at_least(qa, qb, qc, 2.0 * k)
    # Points reached before cruise speed: bisection on f(τ) = a τ²/4 − |d − wτ| over [0, 2k].
    short = _reached_while_accelerating(dx, dy, wx, wy, a, 2.0 * k)
    if np.any(short):
        tau = np.where(short, _bisect_accel(dx, dy, wx, wy, a, 2.0 * k, short), tau)
    return tau


def _wind_field(dx: FloatArray, dy: FloatArray, wind: Wind) -> tuple[FloatArray, FloatArray]:
    """The air's velocity per offset: the wind's vector, or for an unknown direction the worst
    case of each offset, its speed blowing straight against the leg (a headwind)."""
    if not wind.unknown:
        wx, wy = wind.vector_mps
        return np.full(dx.shape, wx), np.full(dx.shape, wy)
    dist = np.hypot(dx, dy)
    with np.errstate(invalid="ignore", divide="ignore"):
        ux = np.where(dist > 0, dx / dist, 0.0)
        uy = np.where(dist > 0, dy / dist, 1.0)  # no leg: any direction (a north wind)
    return -wind.speed_mps * ux, -wind.speed_mps * uy


def _smallest_root_at_least(qa: float, qb: FloatArray, qc: FloatArray, floor: float) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        if abs(qa) < 1e-12:
            roots = np.where(np.abs(qb) > 0, -qc / qb, np.inf)
            return np.where(roots >= floor, roots, np.inf)
        disc = qb * qb - 4.0 * qa * qc
        sq = np.sqrt(np.where(disc >= 0, disc, np.nan))
        r1 = (-qb - sq) / (2.0 * qa)
        r2 = (-qb + sq) / (2.0 * qa)
        lo = np.fmin(r1, r2)
        hi = np.fmax(r1, r2)
        out = np.where(lo >= floor, lo, np.where(hi >= floor, hi, np.inf))
        return np.where(np.isnan(out), np.inf, out)


def _reached_while_accelerating(
    dx: FloatArray, dy: FloatArray, wx: FloatArray, wy: FloatArray, a: float, t_end: float
) -> NDArray[np.bool_]:
    s_end = a * (t_end / 2.0) ** 2
    return np.asarray(np.hypot(dx - wx * t_end, dy - wy * t_end) <= s_end)


def _bisect_accel(
    dx: FloatArray,
    dy: FloatArray,
    wx_all: FloatArray,
    wy_all: FloatArray,
    a: float,
    t_end: float,
    mask: NDArray[np.bool_],
) -> FloatArray:
    # Only the masked points are bisected (a few near the dock), not the whole array.
    sx, sy = dx[mask], dy[mask]
    wx, wy = wx_all[mask], wy_all[mask]
    lo = np.zeros(sx.shape)
    hi = np.full(sx.shape, t_end)
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        ok = a * (mid / 2.0) ** 2 >= np.hypot(sx - wx * mid, sy - wy * mid)
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    out = np.full(dx.shape, np.inf)
    out[mask] = hi
    return out


def response_time_s(dx_m: ArrayLike, dy_m: ArrayLike, p: ReachParams, wind: Wind | None = None) -> FloatArray:
    """Response time from a dock to points at offsets (dx, dy) metres on a straight leg."""
    w = wind or Wind.calm()
    return overhead_s(p) + wind_cruise_time_s(dx_m, dy_m, w, p.cruise_mps, p.accel_mps2)


def path_cruise_time_s(path_xy: ArrayLike, p: ReachParams, wind: Wind | None = None) -> float:
    """Cruise time along a polyline (a detour around keep-out zones): each leg flown in the wind,
    one acceleration at the start and one deceleration at the end (turns are not penalised)."""
    pts = np.asarray(path_xy, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 2:
        raise ValueError("a path needs at least two (x, y) points")
    w = wind or Wind.calm()
    legs = np.diff(pts, axis=0)
    # Constant-speed time per leg, plus the acceleration penalty v/a once (as the straight model).
    lengths = np.hypot(legs[:, 0], legs[:, 1])
    if float(lengths.sum()) < p.cruise_mps**2 / p.accel_mps2:
        return float(
            wind_cruise_time_s(pts[-1, 0] - pts[0, 0], pts[-1, 1] - pts[0, 1], w, p.cruise_mps, p.accel_mps2)
        )
    total = float(np.sum(constant_speed_leg_time_s(legs[:, 0], legs[:, 1], w, p.cruise_mps)))
    return total + p.cruise_mps / p.accel_mps2


def constant_speed_leg_time_s(
    dx_m: ArrayLike, dy_m: ArrayLike, wind: Wind, airspeed_mps: float
) -> FloatArray:
    """Time to cover offset d at constant air speed in steady wind (the wind triangle).

    Ground speed along d is ``w·u + sqrt(v² − |w|² + (w·u)²)``; ``inf`` when it is not positive.
    """
    dx = np.asarray(dx_m, dtype=np.float64)
    dy = np.asarray(dy_m, dtype=np.float64)
    dist = np.hypot(dx, dy)
    with np.errstate(invalid="ignore", divide="ignore"):
        ux = np.where(dist > 0, dx / dist, 0.0)
        uy = np.where(dist > 0, dy / dist, 0.0)
        if wind.unknown:  # the worst case of each leg: a headwind
            along = np.full(dist.shape, -wind.speed_mps)
        else:
            wx, wy = wind.vector_mps
            along = wx * ux + wy * uy
        under = airspeed_mps**2 - wind.speed_mps**2 + along**2
        ground = along + np.sqrt(np.where(under >= 0, under, np.nan))
        t = np.where(ground > 0, dist / ground, np.inf)
    return np.where(dist == 0, 0.0, np.where(np.isnan(t), np.inf, t))


def energy_required_pct(
    dx_m: float,
    dy_m: float,
    reach: ReachParams,
    energy: EnergyParams,
    wind: Wind | None = None,
    on_scene_s: float | None = None,
) -> float:
    """Battery (percent) a sortie needs: climb + outbound + on scene + return against the wind +
    descent and landing, plus the return reserve. ``inf`` if the wind makes the trip impossible.

    Power is the same at any ground speed, so only the round trip's flying time depends on the
    wind. With an unknown direction the wind blows along the leg (headwind out, tailwind back):
    at constant air speed V and wind w at angle θ to the leg the round trip takes
    ``2d·sqrt(V² − w²sin²θ)/(V² − w²)``, largest at θ = 0: ``2dV/(V² − w²)``, the worst over all
    directions. On legs shorter than ``2v²/a`` (150 m at 15 m/s, 3 m/s²) the drone never reaches
    cruise speed and the worst direction is slightly off the leg (up to ~0.2 % of the battery):
    there every :data:`SHORT_LEG_DIRECTIONS_DEG` is tried as well (tests/unit/geo)."""
    w = wind or Wind.calm()
    if w.unknown:
        worst = _energy_pct(dx_m, dy_m, reach, energy, w.against(dx_m, dy_m), on_scene_s)
        if math.hypot(dx_m, dy_m) < 2.0 * reach.cruise_mps**2 / reach.accel_mps2:
            for deg in SHORT_LEG_DIRECTIONS_DEG:
                worst = max(worst, _energy_pct(dx_m, dy_m, reach, energy, Wind(w.speed_mps, deg), on_scene_s))
        return worst
    return _energy_pct(dx_m, dy_m, reach, energy, w, on_scene_s)


#: Directions (from, degrees) the energy check also tries on a short leg with an unknown direction.
SHORT_LEG_DIRECTIONS_DEG = tuple(float(d) for d in range(0, 360, 5))


def _energy_pct(
    dx_m: float, dy_m: float, reach: ReachParams, energy: EnergyParams, w: Wind, on_scene_s: float | None
) -> float:
    cruise_pct_s = 100.0 / energy.flight_endurance_s
    hover_pct_s = 100.0 / energy.hover_endurance_s
    out_s = float(wind_cruise_time_s(dx_m, dy_m, w, reach.cruise_mps, reach.accel_mps2))
    back_s = float(wind_cruise_time_s(-dx_m, -dy_m, w, reach.cruise_mps, reach.accel_mps2))
    vertical_s = reach.cruise_height_m / reach.climb_mps + reach.cruise_height_m / reach.descent_mps
    scene_s = energy.on_scene_min_s if on_scene_s is None else on_scene_s
    if not (math.isfinite(out_s) and math.isfinite(back_s)):
        return math.inf
    flying_s = out_s + back_s + vertical_s + energy.landing_s
    return cruise_pct_s * flying_s + hover_pct_s * (scene_s + reach.settle_s) + energy.reserve_pct


def energy_feasible(
    soc_pct: float,
    dx_m: float,
    dy_m: float,
    reach: ReachParams,
    energy: EnergyParams,
    wind: Wind | None = None,
) -> bool:
    """True when a drone at ``soc_pct`` can reach the point, work the minimum time and return with
    its reserve (planning.md §5 energy feasibility)."""
    return soc_pct >= energy_required_pct(dx_m, dy_m, reach, energy, wind)
