"""State of one simulated vehicle: plain dataclasses and enums, SI units in every name.

Positions live in a local flat-earth frame (north/east/up metres from an origin on the ground at the
vehicle's first home); :class:`LocalFrame` converts to and from WGS84 latitude/longitude and AMSL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum

from sim.vehicle.flight_modes import Px4Mode

EARTH_RADIUS_M = 6_378_137.0


class LandedState(IntEnum):
    """MAV_LANDED_STATE."""

    UNDEFINED = 0
    ON_GROUND = 1
    IN_AIR = 2
    TAKEOFF = 3
    LANDING = 4


@dataclass(frozen=True)
class LocalFrame:
    """Equirectangular projection around an origin (accurate to centimetres over tens of km)."""

    lat0_deg: float
    lon0_deg: float
    alt0_amsl_m: float

    def to_local(self, lat_deg: float, lon_deg: float) -> tuple[float, float]:
        """(north_m, east_m) of a WGS84 point."""
        north_m = math.radians(lat_deg - self.lat0_deg) * EARTH_RADIUS_M
        east_m = (
            math.radians(lon_deg - self.lon0_deg) * EARTH_RADIUS_M * math.cos(math.radians(self.lat0_deg))
        )
        return north_m, east_m

    def to_global(self, north_m: float, east_m: float) -> tuple[float, float]:
        """(lat_deg, lon_deg) of a local point."""
        lat = self.lat0_deg + math.degrees(north_m / EARTH_RADIUS_M)
        lon = self.lon0_deg + math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(self.lat0_deg))))
        return lat, lon


@dataclass
class Motion:
    """Kinematic state in the local frame; ``up_m`` is height above the frame's ground."""

    north_m: float = 0.0
    east_m: float = 0.0
    up_m: float = 0.0
    v_north_mps: float = 0.0
    v_east_mps: float = 0.0
    v_up_mps: float = 0.0
    heading_deg: float = 0.0

    @property
    def ground_speed_mps(self) -> float:
        return math.hypot(self.v_north_mps, self.v_east_mps)


@dataclass
class Home:
    """Home in the local frame (and the AMSL altitude MAVLink reports)."""

    north_m: float = 0.0
    east_m: float = 0.0
    up_m: float = 0.0


@dataclass
class BatteryState:
    """Remaining charge as a fraction 0..1, and what has been drawn."""

    remaining: float = 1.0
    consumed_mah: float = 0.0
    current_a: float = 0.0
    voltage_v: float = 16.8


@dataclass
class Health:
    """Sensor health as SYS_STATUS reports it; all False until the health delay passed."""

    sensors_ok: bool = False
    gps_ok: bool = False

    @property
    def armable(self) -> bool:
        return self.sensors_ok and self.gps_ok


@dataclass
class VehicleState:
    """Everything that changes while a vehicle runs."""

    motion: Motion = field(default_factory=Motion)
    home: Home = field(default_factory=Home)
    battery: BatteryState = field(default_factory=BatteryState)
    health: Health = field(default_factory=Health)
    armed: bool = False
    mode: Px4Mode = Px4Mode.HOLD
    landed_state: LandedState = LandedState.ON_GROUND
    armed_at_s: float = 0.0
    landed_at_s: float = 0.0
    took_off: bool = False

    @property
    def in_air(self) -> bool:
        return self.landed_state in (LandedState.IN_AIR, LandedState.TAKEOFF, LandedState.LANDING)
