"""The sim's weather: wind (a pluggable model), rain and temperature, as functions of place and time.

Positions are WGS84 (lon, lat) so vehicles and docks ask the same model; wind is reported as
(east, north) air-mass velocity in m/s plus the meteorological speed/direction a dock anemometer shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol


class Rainfall(IntEnum):
    """Dock rain gauge levels (DJI Cloud API ``rainfall`` enum)."""

    NONE = 0
    LIGHT = 1
    MODERATE = 2
    HEAVY = 3


@dataclass(frozen=True)
class WindSample:
    """Air-mass velocity; ``east_mps``/``north_mps`` point where the wind blows *to*."""

    east_mps: float
    north_mps: float

    @property
    def speed_mps(self) -> float:
        return math.hypot(self.east_mps, self.north_mps)

    @property
    def from_deg(self) -> float:
        """Meteorological direction the wind comes from, clockwise from north."""
        return math.degrees(math.atan2(-self.east_mps, -self.north_mps)) % 360.0

    @classmethod
    def from_speed(cls, speed_mps: float, from_deg: float) -> WindSample:
        rad = math.radians(from_deg)
        return cls(-speed_mps * math.sin(rad), -speed_mps * math.cos(rad))


class WindModel(Protocol):
    """Anything that tells the wind at a place and sim time."""

    def wind_at(self, lon_deg: float, lat_deg: float, alt_m: float, t_s: float) -> WindSample: ...


@dataclass(frozen=True)
class SteadyWind:
    """The same wind everywhere, always (the planner's model)."""

    speed_mps: float = 0.0
    from_deg: float = 0.0

    def wind_at(self, lon_deg: float, lat_deg: float, alt_m: float, t_s: float) -> WindSample:
        return WindSample.from_speed(self.speed_mps, self.from_deg)


@dataclass(frozen=True)
class GustyWind:
    """A mean wind with deterministic gusts (sum of sines) and a slow veer; reproducible for tests."""

    mean_speed_mps: float
    from_deg: float
    gust_mps: float = 2.0
    gust_period_s: float = 17.0
    veer_deg: float = 10.0
    veer_period_s: float = 600.0

    def wind_at(self, lon_deg: float, lat_deg: float, alt_m: float, t_s: float) -> WindSample:
        phase = (lon_deg * 7919.0 + lat_deg * 104729.0) % (2 * math.pi)
        gust = self.gust_mps * (
            0.6 * math.sin(2 * math.pi * t_s / self.gust_period_s + phase)
            + 0.4 * math.sin(2 * math.pi * t_s / (self.gust_period_s * 0.37) + 2 * phase)
        )
        speed = max(0.0, self.mean_speed_mps + gust)
        direction = self.from_deg + self.veer_deg * math.sin(2 * math.pi * t_s / self.veer_period_s)
        return WindSample.from_speed(speed, direction)


@dataclass
class Weather:
    """The whole sim weather: a wind model, rain and air temperature, changeable at run time
    (tests and scenarios set a storm or a calm)."""

    wind: WindModel = field(default_factory=SteadyWind)
    rainfall: Rainfall = Rainfall.NONE
    temperature_c: float = 20.0

    def wind_at(self, lon_deg: float, lat_deg: float, alt_m: float, t_s: float) -> WindSample:
        return self.wind.wind_at(lon_deg, lat_deg, alt_m, t_s)
