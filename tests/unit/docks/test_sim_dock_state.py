"""The sim dock's state without a broker: charging along the shared curve, hooks, faults."""

from __future__ import annotations

import asyncio

import pytest

from docks.broker_url import BrokerUrl
from docks.charging import ChargingCurve
from docks.model import ChargeState, CoverState, DockFault, DockMode
from sim.clock import SimClock
from sim.dock import SimDock, SimDockConfig
from sim.weather import Rainfall, SteadyWind, Weather


class ManualClock(SimClock):
    """Sim time that moves only when the test says so."""

    def __init__(self) -> None:
        super().__init__(1.0)
        self.t_s = 0.0

    def now_s(self) -> float:
        return self.t_s

    async def sleep(self, sim_s: float) -> None:
        self.t_s += max(sim_s, 0.0)
        await asyncio.sleep(0)


def make(battery_pct: float = 20.0) -> tuple[SimDock, ManualClock]:
    clock = ManualClock()
    config = SimDockConfig(
        sn="D01",
        longitude_deg=113.77,
        latitude_deg=34.76,
        battery_pct=battery_pct,
        charging=ChargingCurve(1920.0),
    )
    weather = Weather(SteadyWind(5.0, 270.0), Rainfall.LIGHT, temperature_c=12.0)
    return SimDock(config, BrokerUrl("127.0.0.1", 1), clock, weather), clock


def test_charges_along_the_shared_curve() -> None:
    dock, clock = make(20.0)
    assert dock.osd().mode is DockMode.CHARGING
    clock.t_s = 1920.0
    osd = dock.osd()
    assert osd.drone_battery_pct == pytest.approx(90.0, abs=0.01)
    assert osd.charge_state is ChargeState.CHARGING
    clock.t_s = 100_000.0
    full = dock.osd()
    assert full.charge_state is ChargeState.FULL and full.mode is DockMode.IDLE


def test_weather_comes_from_the_weather_model() -> None:
    dock, _ = make()
    osd = dock.osd()
    assert osd.wind_speed_mps == pytest.approx(5.0) and osd.wind_from_deg == pytest.approx(270.0)
    assert osd.rainfall == 1 and osd.environment_temperature_c == 12.0


async def test_drone_away_and_back_with_its_battery() -> None:
    dock, clock = make(80.0)
    dock.drone_took_off()
    away = dock.osd()
    assert not away.drone_in_dock and away.drone_battery_pct is None and away.mode is DockMode.WORKING
    clock.t_s = 1200.0
    dock.drone_returning()
    assert dock.osd().mode is DockMode.RETURNING
    for _ in range(5):
        await asyncio.sleep(0)
    assert dock.cover is CoverState.OPEN  # opened for the landing
    dock.drone_landed(battery_pct=35.0)
    for _ in range(5):
        await asyncio.sleep(0)
    back = dock.osd()
    assert back.drone_battery_pct == pytest.approx(35.0) and back.drone_in_dock  # charging starts when closed
    assert back.cover_state is CoverState.CLOSED and back.mode is DockMode.CHARGING
    with pytest.raises(ValueError):
        dock.drone_landed(battery_pct=120.0)


def test_charger_failure_stops_charging_and_is_reported() -> None:
    dock, clock = make(30.0)
    dock.client.publish_event = _no_publish  # type: ignore[method-assign]
    dock._spawn = lambda coro: coro.close()  # type: ignore[method-assign]
    dock.inject(charger_failure=True)
    clock.t_s = 600.0
    osd = dock.osd()
    assert osd.charge_state is ChargeState.FAULT and DockFault.CHARGER in osd.faults
    assert osd.drone_battery_pct == pytest.approx(30.0)
    dock.inject(charger_failure=False)
    clock.t_s = 1200.0
    assert dock.osd().drone_battery_pct == pytest.approx(
        ChargingCurve(1920.0).pct_after(30.0, 600.0), abs=0.01
    )
    with pytest.raises(ValueError, match="unknown fault"):
        dock.inject(meteor_strike=True)


async def _no_publish(*args: object, **kwargs: object) -> bool:
    return True
