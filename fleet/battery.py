"""The battery model: state of charge to flight time, energy a sortie needs, time until charged.

Energy comes from :mod:`geo.reach` (planning.md §5 energy feasibility), so the planner and the fleet
manager agree to the percent. Charging uses the same curve as the simulated dock
(:class:`docks.charging.ChargingCurve`), calibrated per dock type by ``charge_20_90_s``.

>>> from geo.model import EnergyParams
>>> remaining_flight_s(75.0, EnergyParams(flight_endurance_s=3000.0, reserve_pct=25.0))
1500.0
"""

from __future__ import annotations

import math
from functools import lru_cache

from docks.charging import ChargingCurve
from geo.model import EnergyParams, ReachParams, Wind
from geo.reach import energy_required_pct, reach_radius_m, wind_cruise_time_s


def remaining_flight_s(soc_pct: float, energy: EnergyParams, keep_reserve: bool = True) -> float:
    """Seconds of cruise flight left at ``soc_pct`` (down to the reserve unless ``keep_reserve`` is off)."""
    floor = energy.reserve_pct if keep_reserve else 0.0
    return max(0.0, soc_pct - floor) / 100.0 * energy.flight_endurance_s


def remaining_hover_s(soc_pct: float, energy: EnergyParams, keep_reserve: bool = True) -> float:
    """Seconds of hover left at ``soc_pct`` (down to the reserve unless ``keep_reserve`` is off)."""
    floor = energy.reserve_pct if keep_reserve else 0.0
    return max(0.0, soc_pct - floor) / 100.0 * energy.hover_endurance_s


def sortie_energy_pct(
    dx_m: float,
    dy_m: float,
    reach: ReachParams,
    energy: EnergyParams,
    wind: Wind | None = None,
    on_scene_s: float | None = None,
) -> float:
    """Battery a dock-launched sortie to offset (dx, dy) needs, reserve included (``inf``: impossible)."""
    return energy_required_pct(dx_m, dy_m, reach, energy, wind, on_scene_s)


@lru_cache(maxsize=1024)
def reference_energy_pct(reach: ReachParams, energy: EnergyParams) -> float:
    """Battery for the dock's reference sortie: the edge of its still-air 5-minute disc, the policy
    minimum on scene, and back. A dock below this is not *ready* even before a mission is named.
    Cached: it depends on the dock type only, and every OSD re-evaluates it."""
    return energy_required_pct(reach_radius_m(reach), 0.0, reach, energy)


def airborne_energy_pct(
    from_dx_m: float,
    from_dy_m: float,
    home_dx_m: float,
    home_dy_m: float,
    reach: ReachParams,
    energy: EnergyParams,
    wind: Wind | None = None,
    on_scene_s: float | None = None,
) -> float:
    """Battery an airborne drone needs to be re-tasked: from where it is (offset of the target from
    the drone) to the target, work there, then home (offset of its dock from the target), descend
    and land, with the reserve. Already at cruise height, so no climb (planning.md §5)."""
    w = wind or Wind.calm()
    out_s = float(wind_cruise_time_s(from_dx_m, from_dy_m, w, reach.cruise_mps, reach.accel_mps2))
    back_s = float(wind_cruise_time_s(home_dx_m, home_dy_m, w, reach.cruise_mps, reach.accel_mps2))
    if not (math.isfinite(out_s) and math.isfinite(back_s)):
        return math.inf
    scene_s = energy.on_scene_min_s if on_scene_s is None else on_scene_s
    flying_s = out_s + back_s + reach.cruise_height_m / reach.descent_mps + energy.landing_s
    cruise_pct_s = 100.0 / energy.flight_endurance_s
    hover_pct_s = 100.0 / energy.hover_endurance_s
    return cruise_pct_s * flying_s + hover_pct_s * (scene_s + reach.settle_s) + energy.reserve_pct


@lru_cache(maxsize=64)
def charging_curve(charge_20_90_s: float) -> ChargingCurve:
    """The dock's charging curve for a dock type (shared with the simulated dock)."""
    return ChargingCurve(charge_20_90_s=charge_20_90_s)


def time_to_charge_s(start_pct: float, target_pct: float, charge_20_90_s: float) -> float:
    """Seconds of charging from ``start_pct`` until ``target_pct`` (0 if already there, inf at 100 %+)."""
    if target_pct > 100.0:
        return math.inf
    return charging_curve(charge_20_90_s).time_to_pct(start_pct, target_pct)


def pct_after_charging(start_pct: float, duration_s: float, charge_20_90_s: float) -> float:
    """State of charge after ``duration_s`` seconds on the charger."""
    return charging_curve(charge_20_90_s).pct_after(start_pct, duration_s)
