"""Typed drone telemetry and flight commands: what the DroneLink speaks, independent of MAVSDK.

Heights always say their reference: ``rel_alt_m`` is above the drone's home (take-off point),
``abs_alt_m`` / ``amsl_alt_m`` is above mean sea level. Positions are WGS84 degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class FlightMode(StrEnum):
    """PX4 flight modes as MAVSDK decodes them."""

    UNKNOWN = "unknown"
    READY = "ready"
    TAKEOFF = "takeoff"
    HOLD = "hold"
    MISSION = "mission"
    RETURN_TO_LAUNCH = "return_to_launch"
    LAND = "land"
    OFFBOARD = "offboard"
    FOLLOW_ME = "follow_me"
    MANUAL = "manual"
    ALTCTL = "altctl"
    POSCTL = "posctl"
    ACRO = "acro"
    STABILIZED = "stabilized"
    RATTITUDE = "rattitude"


class LandedState(StrEnum):
    """MAVLink EXTENDED_SYS_STATE landed state."""

    UNKNOWN = "unknown"
    ON_GROUND = "on_ground"
    IN_AIR = "in_air"
    TAKING_OFF = "taking_off"
    LANDING = "landing"


class LinkState(StrEnum):
    """The link's view of a drone: never heard yet, heard recently, silent too long, closed by us."""

    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"
    CLOSED = "closed"


class HeightRef(StrEnum):
    """What a commanded height is measured from."""

    ABOVE_HOME = "above_home"
    AMSL = "amsl"


@dataclass(frozen=True)
class Height:
    """A commanded height with its reference; build it with :meth:`above_home` or :meth:`amsl`."""

    value_m: float
    ref: HeightRef

    @classmethod
    def above_home(cls, rel_alt_m: float) -> Height:
        return cls(rel_alt_m, HeightRef.ABOVE_HOME)

    @classmethod
    def amsl(cls, amsl_alt_m: float) -> Height:
        return cls(amsl_alt_m, HeightRef.AMSL)

    def rel_alt_m(self, home_amsl_m: float) -> float:
        """This height above home, given the home's AMSL altitude."""
        return self.value_m if self.ref is HeightRef.ABOVE_HOME else self.value_m - home_amsl_m

    def amsl_alt_m(self, home_amsl_m: float) -> float:
        """This height above mean sea level, given the home's AMSL altitude."""
        return self.value_m if self.ref is HeightRef.AMSL else home_amsl_m + self.value_m


@dataclass(frozen=True)
class DroneSpec:
    """How to reach one drone: its fleet id, a MAVSDK connection URL and its MAVLink system id.

    URLs: ``udpin://127.0.0.1:14540`` (the vehicle pushes to us, PX4 SITL style),
    ``udpout://127.0.0.1:24601`` (the vehicle listens), ``serial:///dev/ttyUSB0:57600``, ...
    System ids must be unique in a fleet: MAVSDK keys vehicles by system id.
    """

    drone_id: str
    url: str
    system_id: int


@dataclass(frozen=True)
class Position:
    """Global position: ``abs_alt_m`` above mean sea level, ``rel_alt_m`` above home."""

    lat_deg: float
    lon_deg: float
    abs_alt_m: float
    rel_alt_m: float


@dataclass(frozen=True)
class Velocity:
    """Velocity over ground in the local NED frame."""

    north_mps: float
    east_mps: float
    down_mps: float

    @property
    def ground_speed_mps(self) -> float:
        return math.hypot(self.north_mps, self.east_mps)


@dataclass(frozen=True)
class Battery:
    remaining_pct: float
    voltage_v: float


@dataclass(frozen=True)
class Health:
    """Pre-flight health as the autopilot reports it; ``all_ok`` mirrors MAVSDK's ``health_all_ok``."""

    gyro_ok: bool = False
    accel_ok: bool = False
    mag_ok: bool = False
    local_position_ok: bool = False
    global_position_ok: bool = False
    home_position_ok: bool = False
    armable: bool = False

    @property
    def all_ok(self) -> bool:
        return (
            self.gyro_ok
            and self.accel_ok
            and self.mag_ok
            and self.local_position_ok
            and self.global_position_ok
            and self.home_position_ok
        )


@dataclass(frozen=True)
class MissionProgress:
    """``current`` items of ``total`` done (MAVSDK's numbering of the uploaded plan)."""

    current: int
    total: int

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.current >= self.total


@dataclass(frozen=True)
class StatusText:
    severity: str
    text: str


@dataclass(frozen=True)
class DroneTelemetry:
    """The latest known state of one drone. Fields are None until the first message carrying them."""

    drone_id: str
    link: LinkState = LinkState.CONNECTING
    position: Position | None = None
    home: Position | None = None
    velocity: Velocity | None = None
    #: Where the nose points, degrees clockwise from true north (None until known).
    heading_deg: float | None = None
    battery: Battery | None = None
    flight_mode: FlightMode = FlightMode.UNKNOWN
    landed_state: LandedState = LandedState.UNKNOWN
    in_air: bool | None = None
    armed: bool | None = None
    health: Health | None = None
    mission: MissionProgress | None = None
    status_text: StatusText | None = None
    #: Monotonic wall-clock time of the last message from the drone, None before the first.
    last_message_s: float | None = None
    #: How many telemetry messages this snapshot has absorbed since the link was created.
    messages: int = 0


@dataclass(frozen=True)
class LinkEvent:
    """The link to a drone changed state (e.g. ONLINE -> OFFLINE after ``link_loss_s`` of silence)."""

    drone_id: str
    state: LinkState
    previous: LinkState
    reason: str
    at_s: float


#: What a telemetry subscriber receives: snapshots and link events, in order.
DroneUpdate = DroneTelemetry | LinkEvent


@dataclass(frozen=True)
class Waypoint:
    """One mission waypoint; heights above home or AMSL, converted to above-home for upload."""

    lat_deg: float
    lon_deg: float
    height: Height
    speed_mps: float | None = None
    loiter_s: float = 0.0
    fly_through: bool = False
    acceptance_radius_m: float | None = None


@dataclass(frozen=True)
class MissionPlan:
    """Waypoints flown in order; ``return_after`` adds PX4's return-to-launch at the end."""

    waypoints: tuple[Waypoint, ...]
    return_after: bool = True
