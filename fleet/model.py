"""The fleet manager's own view of docks and drones, independent of any wire format.

Small mapping functions (:mod:`fleet.dock_mapping`, :mod:`fleet.drone_mapping`) turn dock OSD messages
and DroneLink telemetry into these objects. Times (``*_at_s``) are seconds on the manager's clock;
positions are WGS84 degrees; units are in every field name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from geo.model import Wind


class DockActivity(StrEnum):
    """What a dock is doing, as fleet sees it."""

    IDLE = "idle"
    PREPARING = "preparing"
    LAUNCHING = "launching"
    WORKING = "working"
    RETURNING = "returning"
    CHARGING = "charging"
    MAINTENANCE = "maintenance"
    FAULT = "fault"
    UNKNOWN = "unknown"

    @property
    def busy(self) -> bool:
        """The dock is flying a sortie (from preparation until the drone is back)."""
        return self in _BUSY


_BUSY = frozenset(
    {DockActivity.PREPARING, DockActivity.LAUNCHING, DockActivity.WORKING, DockActivity.RETURNING}
)


class CoverStatus(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    MOVING = "moving"
    FAULT = "fault"
    UNKNOWN = "unknown"


class RainLevel(IntEnum):
    """Rain gauge level (0 none, 1 light, 2 moderate, 3 heavy)."""

    NONE = 0
    LIGHT = 1
    MODERATE = 2
    HEAVY = 3


@dataclass(frozen=True)
class DockWeather:
    """What the dock's own weather station measures; ``None`` when it does not report it."""

    wind_mps: float | None = None
    rain: RainLevel | None = None
    temperature_c: float | None = None


@dataclass(frozen=True)
class DockState:
    """Last known state of one dock. ``osd_at_s`` is when its last telemetry arrived (None: never);
    ``restored`` marks state loaded from the store and not yet confirmed by live telemetry."""

    dock_id: str
    online: bool = False
    activity: DockActivity = DockActivity.UNKNOWN
    cover: CoverStatus = CoverStatus.UNKNOWN
    drone_in_dock: bool | None = None
    battery_pct: float | None = None
    charging: bool = False
    weather: DockWeather = field(default_factory=DockWeather)
    network_quality: int | None = None
    faults: tuple[str, ...] = ()
    alarm: bool = False
    flight_id: str | None = None
    osd_at_s: float | None = None
    status_at_s: float | None = None
    restored: bool = False

    def same_content(self, other: DockState) -> bool:
        """Equal apart from arrival times: an OSD that repeats the last one changes nothing."""
        return _without_times(self) == _without_times(other)


def _without_times(s: DockState) -> tuple[object, ...]:
    battery = None if s.battery_pct is None else round(s.battery_pct, 1)
    return (
        s.online,
        s.activity,
        s.cover,
        s.drone_in_dock,
        battery,
        s.charging,
        s.weather,
        s.network_quality,
        s.faults,
        s.alarm,
        s.flight_id,
        s.restored,
    )


@dataclass(frozen=True)
class DroneState:
    """Last known state of one drone from its DroneLink telemetry."""

    drone_id: str
    lon_deg: float | None = None
    lat_deg: float | None = None
    rel_alt_m: float | None = None
    in_air: bool = False
    armed: bool = False
    battery_pct: float | None = None
    link_ok: bool = False
    flight_mode: str = "unknown"
    telemetry_at_s: float | None = None
    restored: bool = False

    @property
    def has_position(self) -> bool:
        return self.lon_deg is not None and self.lat_deg is not None


class ReasonCode(StrEnum):
    """Why a dock (or an airborne drone) cannot take a mission now."""

    UNKNOWN_STATE = "unknown_state"
    OFFLINE = "offline"
    STALE = "stale"
    MAINTENANCE = "maintenance"
    FAULT = "fault"
    BUSY = "busy"
    NO_DRONE = "no_drone"
    WIND = "wind"
    RAIN = "rain"
    TEMPERATURE = "temperature"
    CHARGING = "charging"
    BATTERY = "battery"
    OUT_OF_RANGE = "out_of_range"
    GEOFENCE = "geofence"


class FenceState(StrEnum):
    """Where a drone's on-board keep-out geofence stands (:func:`fleet.geofence_sync.keep_geofence`)."""

    PENDING = "pending"  # not confirmed on board since the link last came up (being uploaded, or not online)
    UPLOADED = "uploaded"
    FAILED = "failed"


@dataclass(frozen=True)
class GeofenceStatus:
    """Where one drone's fence stands; ``detail`` says why it failed."""

    drone_id: str
    state: FenceState
    detail: str = ""
    at_s: float = 0.0  # time.monotonic()


@dataclass(frozen=True)
class Reason:
    """One blocking reason: a code for programs, a short text for people, and the numbers behind it."""

    code: ReasonCode
    text: str
    value: float | None = None
    limit: float | None = None

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class SortieSpec:
    """What a mission asks of a drone: fly to a WGS84 point, work ``on_scene_s`` (None: the policy
    minimum) and come back, in the given wind (None: calm)."""

    lon_deg: float
    lat_deg: float
    on_scene_s: float | None = None
    wind: Wind | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lon_deg) and -180 <= self.lon_deg <= 180):
            raise ValueError(f"longitude must be within [-180, 180], got {self.lon_deg!r}")
        if not (math.isfinite(self.lat_deg) and -90 <= self.lat_deg <= 90):
            raise ValueError(f"latitude must be within [-90, 90], got {self.lat_deg!r}")
        if self.on_scene_s is not None and not (math.isfinite(self.on_scene_s) and self.on_scene_s >= 0):
            raise ValueError(f"on_scene_s must be a finite number >= 0, got {self.on_scene_s!r}")


@dataclass(frozen=True)
class Availability:
    """Whether a dock can launch now (for a given sortie, or for its reference sortie), and why not.

    ``needed_pct`` is the battery the sortie needs (reserve included), ``margin_pct`` what is left
    above it, ``ready_in_s`` the predicted wait while charging. ``notes`` are non-blocking remarks.
    """

    dock_id: str
    available: bool
    reasons: tuple[Reason, ...] = ()
    battery_pct: float | None = None
    needed_pct: float | None = None
    margin_pct: float | None = None
    ready_in_s: float | None = None
    notes: tuple[str, ...] = ()
    evaluated_at_s: float = 0.0

    @property
    def codes(self) -> tuple[ReasonCode, ...]:
        return tuple(r.code for r in self.reasons)

    @property
    def summary(self) -> str:
        """``available`` or the reasons joined, e.g. ``wind 11 m/s > 8; rain: moderate``."""
        return "available" if self.available else "; ".join(r.text for r in self.reasons)


class CandidateKind(StrEnum):
    DOCK = "dock"
    AIRBORNE = "airborne"


@dataclass(frozen=True)
class Candidate:
    """One way to serve a sortie: a dock launch, or an airborne drone re-tasked from where it is
    (planning.md §5: no preparation, current position and battery)."""

    kind: CandidateKind
    dock_id: str
    drone_id: str
    lon_deg: float
    lat_deg: float
    distance_m: float
    availability: Availability
    rel_alt_m: float | None = None
    current_mission_id: str | None = None

    @property
    def available(self) -> bool:
        return self.availability.available


class FleetEventKind(StrEnum):
    DOCK_STATE = "dock_state"
    DRONE_STATE = "drone_state"
    AVAILABILITY = "availability"


@dataclass(frozen=True)
class FleetEvent:
    """A change others may react to. ``availability`` is set for AVAILABILITY events (and carries the
    reasons), ``dock``/``drone`` for state events."""

    kind: FleetEventKind
    at_s: float
    dock_id: str | None = None
    drone_id: str | None = None
    dock: DockState | None = None
    drone: DroneState | None = None
    availability: Availability | None = None


@dataclass(frozen=True)
class FleetSnapshot:
    """Everything the manager persists so a restart does not forget the fleet."""

    docks: dict[str, DockState] = field(default_factory=dict)
    drones: dict[str, DroneState] = field(default_factory=dict)
    assignments: dict[str, str] = field(default_factory=dict)
    maintenance: dict[str, str] = field(default_factory=dict)
    saved_at_s: float = 0.0
