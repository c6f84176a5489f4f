"""Battery drain: electrical power as a function of air speed and climb rate, integrated over time.

The power model is relative to level cruise at :data:`REFERENCE_AIRSPEED_MPS`; at that speed a full
battery lasts ``SIM_BAT_ENDUR`` seconds (45 min by default). Hover costs ~10 % less than cruise would
with this fit, fast flight and climbing cost more, idling armed on the ground a little.
"""

from __future__ import annotations

from dataclasses import replace

from sim.vehicle.model import BatteryState

REFERENCE_AIRSPEED_MPS = 10.0
CAPACITY_MAH = 5000.0
IDLE_POWER_REL = 0.1
CLIMB_POWER_REL_PER_MPS = 0.08
DESCENT_POWER_REL_PER_MPS = 0.02


def relative_power(airspeed_mps: float, climb_mps: float, in_air: bool, armed: bool) -> float:
    """Power drawn relative to level cruise at the reference air speed (1.0)."""
    if not armed:
        return 0.0
    if not in_air:
        return IDLE_POWER_REL
    ratio = airspeed_mps / REFERENCE_AIRSPEED_MPS
    p = 0.9 + 0.1 * ratio * ratio
    if climb_mps > 0:
        p += CLIMB_POWER_REL_PER_MPS * climb_mps
    else:
        p -= DESCENT_POWER_REL_PER_MPS * min(-climb_mps, 3.0)
    return p


def drain(
    b: BatteryState,
    dt_s: float,
    airspeed_mps: float,
    climb_mps: float,
    in_air: bool,
    armed: bool,
    endurance_s: float,
    cells: int,
    v_empty: float,
    v_charged: float,
) -> BatteryState:
    """The battery after ``dt_s`` seconds at this power; voltage follows charge linearly with a sag."""
    p = relative_power(airspeed_mps, climb_mps, in_air, armed)
    remaining = max(0.0, b.remaining - p * dt_s / endurance_s)
    cruise_current_a = CAPACITY_MAH / 1000.0 / (endurance_s / 3600.0)
    current_a = p * cruise_current_a
    return replace(
        b,
        remaining=remaining,
        consumed_mah=(1.0 - remaining) * CAPACITY_MAH,
        current_a=current_a,
        voltage_v=voltage_v(remaining, current_a, cells, v_empty, v_charged),
    )


def voltage_v(remaining: float, current_a: float, cells: int, v_empty: float, v_charged: float) -> float:
    """Pack voltage: linear in charge per cell, minus a small sag under load (10 mΩ per cell)."""
    cell = v_empty + (v_charged - v_empty) * remaining - 0.01 * current_a
    return cells * max(cell, 0.0)


def set_level(
    b: BatteryState, remaining: float, cells: int, v_empty: float, v_charged: float
) -> BatteryState:
    """A battery at the given charge (tests: trigger battery failsafes)."""
    r = min(max(remaining, 0.0), 1.0)
    return replace(
        b,
        remaining=r,
        consumed_mah=(1.0 - r) * CAPACITY_MAH,
        voltage_v=voltage_v(r, b.current_a, cells, v_empty, v_charged),
    )
