"""Helpers for the sim vehicle's unit tests: a hand-driven clock and a vehicle that never opens a socket."""

from __future__ import annotations

import math

from sim.clock import SimClock
from sim.vehicle.commands import Command, run_command
from sim.vehicle.vehicle import Vehicle, VehicleConfig
from sim.weather import Weather

HOME_LAT, HOME_LON, HOME_ALT = 47.37, 8.54, 400.0
NAN = math.nan


class ManualClock(SimClock):
    """Sim time that only moves when the test says so."""

    def __init__(self) -> None:
        super().__init__(speed=1.0)
        self.t_s = 0.0

    def now_s(self) -> float:
        return self.t_s


def make_vehicle(weather: Weather | None = None, **config: object) -> tuple[Vehicle, ManualClock]:
    """A vehicle at (HOME_LON, HOME_LAT, HOME_ALT); its endpoint stays closed, so sends are dropped."""
    clock = ManualClock()
    cfg = VehicleConfig(HOME_LAT, HOME_LON, HOME_ALT, **config)  # type: ignore[arg-type]
    return Vehicle(cfg, clock, weather), clock


def advance(v: Vehicle, clock: ManualClock, seconds: float, step_s: float = 0.1) -> None:
    """Run the vehicle for ``seconds`` sim seconds in ``step_s`` ticks."""
    end = clock.t_s + seconds
    while clock.t_s < end - 1e-9:
        clock.t_s = min(clock.t_s + step_s, end)
        v.tick()


def run_until(v: Vehicle, clock: ManualClock, cond: object, limit_s: float, step_s: float = 0.1) -> float:
    """Tick until ``cond()`` holds; return the sim seconds it took (AssertionError after ``limit_s``)."""
    assert callable(cond)
    start = clock.t_s
    while not cond():
        if clock.t_s - start > limit_s:
            raise AssertionError(f"condition not met within {limit_s} sim s")
        clock.t_s += step_s
        v.tick()
    return clock.t_s - start


def command(
    v: Vehicle, cmd: int, p1: float = NAN, p2: float = NAN, p3: float = NAN, p4: float = NAN,
    lat: float = NAN, lon: float = NAN, alt: float = NAN, is_int: bool = False, frame: int = 0,
) -> int | None:  # fmt: skip
    """Run a COMMAND_LONG/INT as MAVSDK would send it; returns the MAV_RESULT."""
    return run_command(v, Command(cmd, p1, p2, p3, p4, lat, lon, alt, is_int, frame))


def healthy_armed(weather: Weather | None = None, **config: object) -> tuple[Vehicle, ManualClock]:
    v, clock = make_vehicle(weather, **config)
    advance(v, clock, v.config.health_delay_s + 0.5)
    assert command(v, 400, 1.0) == 0
    return v, clock


def airborne(weather: Weather | None = None, **config: object) -> tuple[Vehicle, ManualClock]:
    """Armed, taken off to MIS_TAKEOFF_ALT and in HOLD."""
    v, clock = healthy_armed(weather, **config)
    assert command(v, 22) == 0
    run_until(v, clock, lambda: v.state.mode.name == "HOLD", 120)
    return v, clock


def distance_from_home_m(v: Vehicle) -> float:
    m, h = v.state.motion, v.state.home
    return math.hypot(m.north_m - h.north_m, m.east_m - h.east_m)
