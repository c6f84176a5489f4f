"""Battery drain model: endurance at cruise, costs of speed and climb, voltage."""

from __future__ import annotations

import pytest

from sim.vehicle import battery
from sim.vehicle.model import BatteryState

CELLS, V_EMPTY, V_FULL = 4, 3.5, 4.2


def fly(seconds: float, airspeed: float, climb: float = 0.0, endurance: float = 2700.0) -> BatteryState:
    b = BatteryState()
    for _ in range(int(seconds)):
        b = battery.drain(b, 1.0, airspeed, climb, True, True, endurance, CELLS, V_EMPTY, V_FULL)
    return b


def test_full_battery_lasts_the_endurance_at_reference_cruise() -> None:
    b = fly(2700, battery.REFERENCE_AIRSPEED_MPS)
    assert b.remaining == pytest.approx(0.0, abs=1e-6)
    half = fly(1350, battery.REFERENCE_AIRSPEED_MPS)
    assert half.remaining == pytest.approx(0.5, abs=1e-3)


def test_speed_and_climb_cost_more_than_hover() -> None:
    hover = battery.relative_power(0.0, 0.0, True, True)
    fast = battery.relative_power(15.0, 0.0, True, True)
    climbing = battery.relative_power(0.0, 3.0, True, True)
    descending = battery.relative_power(0.0, -1.5, True, True)
    assert descending < hover < fast
    assert hover < climbing
    assert battery.relative_power(10.0, 0.0, False, False) == 0.0
    assert 0 < battery.relative_power(0.0, 0.0, False, True) < hover


def test_voltage_and_consumption_follow_the_charge() -> None:
    start = fly(1, 10.0)
    later = fly(600, 10.0)
    assert later.voltage_v < start.voltage_v
    assert later.consumed_mah > start.consumed_mah > 0
    assert later.current_a > 0


def test_set_level_clamps() -> None:
    b = battery.set_level(BatteryState(), 1.5, CELLS, V_EMPTY, V_FULL)
    assert b.remaining == 1.0 and b.voltage_v == pytest.approx(CELLS * V_FULL)
    b = battery.set_level(BatteryState(), -1.0, CELLS, V_EMPTY, V_FULL)
    assert b.remaining == 0.0 and b.consumed_mah == battery.CAPACITY_MAH


def test_disarmed_vehicle_does_not_drain() -> None:
    b = battery.drain(BatteryState(), 100.0, 0.0, 0.0, False, False, 2700.0, CELLS, V_EMPTY, V_FULL)
    assert b.remaining == 1.0
