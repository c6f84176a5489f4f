"""Plain value objects of the planning maths. Units are in every name; x is east, y is north,
both in metres of the local metric frame (see :mod:`geo.crs`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReachParams:
    """Parameters of the response-time model (reference/planning.md §5, defaults from §7).

    ``target_s`` is the promise T*; the rest describe one dock and its aircraft.
    """

    dispatch_s: float = 30.0
    prep_s: float = 60.0
    cruise_height_m: float = 100.0
    on_scene_height_m: float = 100.0
    climb_mps: float = 5.0
    descent_mps: float = 4.0
    cruise_mps: float = 15.0
    accel_mps2: float = 3.0
    settle_s: float = 10.0
    target_s: float = 300.0

    def __post_init__(self) -> None:
        positive = ("climb_mps", "descent_mps", "cruise_mps", "accel_mps2", "target_s")
        for name in positive:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive finite number, got {value!r}")
        for name in ("dispatch_s", "prep_s", "cruise_height_m", "on_scene_height_m", "settle_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.on_scene_height_m > self.cruise_height_m:
            raise ValueError("on_scene_height_m must not exceed cruise_height_m")


@dataclass(frozen=True)
class EnergyParams:
    """What a sortie may spend: endurance at cruise and in hover, minimum time on scene, reserve."""

    flight_endurance_s: float = 3000.0
    hover_endurance_s: float = 2700.0
    on_scene_min_s: float = 900.0
    reserve_pct: float = 25.0
    landing_s: float = 30.0

    def __post_init__(self) -> None:
        if not (self.flight_endurance_s > 0 and self.hover_endurance_s > 0):
            raise ValueError("endurance must be positive")
        if not (0 <= self.reserve_pct < 100):
            raise ValueError("reserve_pct must be within [0, 100)")
        if self.on_scene_min_s < 0 or self.landing_s < 0:
            raise ValueError("times must be >= 0")


@dataclass(frozen=True)
class Wind:
    """A steady wind. ``from_deg`` is the meteorological direction it blows *from*, clockwise from
    north (a north wind, 0°, pushes aircraft south).

    ``direction_known=False`` (:meth:`unknown_direction`): only the speed is known (the docks'
    weather stations report no direction). Then ``from_deg`` means nothing and the response-time
    model takes the worst case per leg: the wind blows against it (:mod:`geo.reach`);
    :attr:`vector_mps` refuses, use :meth:`against` for the worst concrete wind of one leg.
    """

    speed_mps: float = 0.0
    from_deg: float = 0.0
    direction_known: bool = True

    def __post_init__(self) -> None:
        if not (math.isfinite(self.speed_mps) and self.speed_mps >= 0):
            raise ValueError(f"wind speed must be a finite number >= 0, got {self.speed_mps!r}")
        if not math.isfinite(self.from_deg):
            raise ValueError(f"wind direction must be finite, got {self.from_deg!r}")

    @property
    def unknown(self) -> bool:
        """True when the direction is unknown and the wind is not calm (calm has no direction)."""
        return not self.direction_known and self.speed_mps > 0

    @property
    def vector_mps(self) -> tuple[float, float]:
        """(east, north) velocity of the air mass, i.e. where the wind blows *to*."""
        if self.unknown:
            raise ValueError("the wind's direction is unknown: it has no vector (use against())")
        rad = math.radians(self.from_deg)
        return (-self.speed_mps * math.sin(rad), -self.speed_mps * math.cos(rad))

    def against(self, dx_m: float, dy_m: float) -> Wind:
        """The worst concrete wind for a leg along (dx, dy): this speed blowing from where the leg
        goes (a headwind). A known direction is returned unchanged."""
        if not self.unknown or (dx_m == 0.0 and dy_m == 0.0):
            return self if not self.unknown else Wind(self.speed_mps, 0.0)
        return Wind(self.speed_mps, math.degrees(math.atan2(dx_m, dy_m)) % 360.0)

    @classmethod
    def calm(cls) -> Wind:
        return cls(0.0, 0.0)

    @classmethod
    def unknown_direction(cls, speed_mps: float) -> Wind:
        """A wind of known speed from an unknown direction: plan with the worst case per option."""
        return cls(speed_mps, 0.0, direction_known=False)


@dataclass(frozen=True)
class DockSite:
    """A dock's position in the local frame and its own reach parameters."""

    id: str
    x_m: float
    y_m: float
    reach: ReachParams = field(default_factory=ReachParams)
    launch_wind_limit_mps: float = 8.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.x_m) and math.isfinite(self.y_m)):
            raise ValueError(f"dock {self.id!r} has a non-finite position")
