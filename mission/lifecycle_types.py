"""What moves a mission (events) and what a move asks the world to do (effects).

Events come from the executor (a command finished, telemetry showed arrival, the battery ran low),
from supervision (the watch ended) and from operators (``Abort``, ``Return``, ``Hold``, ``GoToPoint``,
``SpeakCommand``: each with its ``actor``). Effects are carried out by :mod:`mission.executor`, in
order, after the transition has been stored. Both are frozen dataclasses with units in field names;
``name`` is the snake_case word written into the event log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from fleet.drone_model import Height
from mission.model import DispatchDecision


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _Named:
    """``name`` (snake_case class name) and ``as_data()`` for the event log."""

    @property
    def name(self) -> str:
        return _snake(type(self).__name__)

    def as_data(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, Height):
                value = {"value_m": value.value_m, "ref": str(value.ref)}
            out[f.name] = value
        return out


# ---------------------------------------------------------------------------------------------------
# events
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned(_Named):
    """The planner chose a dock/drone (``dock_id`` None: nothing can go at all)."""

    dock_id: str | None
    drone_id: str | None
    eta_s: float | None = None
    promise_breached: bool = False
    airborne: bool = False  # a flying drone re-tasked: no dock preparation, no take-off
    cruise_height_m: float | None = None

    @classmethod
    def from_decision(cls, decision: DispatchDecision, cruise_height_m: float | None = None) -> Planned:
        """The event for a planner's decision (stored separately with its rejected options)."""
        return cls(
            decision.dock_id,
            decision.drone_id,
            decision.eta_s,
            decision.promise_breached,
            decision.airborne,
            cruise_height_m,
        )


@dataclass(frozen=True)
class DockReady(_Named):
    """The dock finished ``flighttask_prepare``: cover open, drone powered."""


@dataclass(frozen=True)
class Airborne(_Named):
    """The drone is in the air at take-off height (or was already, when re-tasked)."""


@dataclass(frozen=True)
class Arrived(_Named):
    """The drone reached the target point."""


@dataclass(frozen=True)
class SceneDone(_Named):
    """The on-scene payload tasks were started (and measurements taken)."""

    findings: int = 0


@dataclass(frozen=True)
class WatchEnded(_Named):
    """Supervision is over: ``reason`` is ``case_handled``, ``time_budget``, ``battery``, ..."""

    reason: str


@dataclass(frozen=True)
class BatteryLow(_Named):
    """The battery reached a threshold: ``must_return`` False asks for relief first, True means now."""

    battery_pct: float
    must_return: bool


@dataclass(frozen=True)
class ReliefArrived(_Named):
    """A relief drone took over the watch."""

    relief_mission_id: str


@dataclass(frozen=True)
class Landed(_Named):
    """The drone is on the ground: in ``dock_id``, or (None) somewhere else."""

    dock_id: str | None


@dataclass(frozen=True)
class DockClosed(_Named):
    """The dock's cover is closed over the landed drone."""


@dataclass(frozen=True)
class EffectFailed(_Named):
    """An effect could not be carried out (``effect`` is its name)."""

    effect: str
    reason: str


@dataclass(frozen=True)
class Retasked(_Named):
    """The drone was handed over in the air to mission ``new_mission_id`` (the dispatcher re-tasked
    it): this mission ends without landing it."""

    new_mission_id: str


@dataclass(frozen=True)
class LinkLost(_Named):
    """The drone's link went silent; the autopilot's failsafe brings it home."""

    reason: str = ""


@dataclass(frozen=True)
class LinkRestored(_Named):
    """The drone's link is back while the autopilot's failsafe flies it home (straight, through any
    keep-out zone): mission control takes the return over again, routed around the zones."""


@dataclass(frozen=True)
class Resumed(_Named):
    """Mission control restarted (:mod:`mission.recovery`): do again what the current state needs."""


@dataclass(frozen=True)
class Abort(_Named):
    """Operator: stop the mission (a flying drone comes home; the mission ends ABORTED)."""

    actor: str
    reason: str = "aborted by operator"


@dataclass(frozen=True)
class Return(_Named):
    """Operator: come home now (the mission ends normally)."""

    actor: str


@dataclass(frozen=True)
class Hold(_Named):
    """Operator: stop and hover where you are."""

    actor: str


@dataclass(frozen=True)
class GoToPoint(_Named):
    """Operator: go to another point (it becomes the mission's target)."""

    actor: str
    lat_deg: float
    lon_deg: float

    def __post_init__(self) -> None:
        if not (-90.0 <= self.lat_deg <= 90.0 and -180.0 <= self.lon_deg <= 180.0):
            raise ValueError(f"go_to: ({self.lat_deg}, {self.lon_deg}) is not a WGS84 position")


@dataclass(frozen=True)
class SpeakCommand(_Named):
    """Operator: say ``text`` (TTS) or play the stored ``message`` (a speaker_messages.toml key)."""

    actor: str
    text: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if (self.text is None) == (self.message is None):
            raise ValueError("speak: give exactly one of text or message")
        if self.text is not None and not self.text.strip():
            raise ValueError("speak: text is empty")


MissionInput = (
    Planned
    | DockReady
    | Airborne
    | Arrived
    | SceneDone
    | WatchEnded
    | BatteryLow
    | ReliefArrived
    | Landed
    | DockClosed
    | EffectFailed
    | Retasked
    | LinkLost
    | LinkRestored
    | Resumed
    | Abort
    | Return
    | Hold
    | GoToPoint
    | SpeakCommand
)
OPERATOR_COMMANDS = (Abort, Return, Hold, GoToPoint, SpeakCommand)

# ---------------------------------------------------------------------------------------------------
# effects
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReserveDock(_Named):
    """Fleet manager: the dock (and its drone) serve this mission."""

    dock_id: str
    mission_id: str


@dataclass(frozen=True)
class PrepareDock(_Named):
    """Dock: ``flighttask_prepare`` (opens the cover, powers the drone)."""

    dock_id: str
    flight_id: str


@dataclass(frozen=True)
class ConfirmAirborne(_Named):
    """Check that a re-tasked drone is really flying (then ``Airborne``)."""

    drone_id: str


@dataclass(frozen=True)
class ArmAndTakeOff(_Named):
    drone_id: str
    height: Height


@dataclass(frozen=True)
class GoTo(_Named):
    """Fly to a point at ``height`` (explicit reference), around the keep-out zones; ``Arrived``
    follows when within reach. ``to``: the mission's ``target`` or an operator's ``goto`` point."""

    drone_id: str
    lat_deg: float
    lon_deg: float
    height: Height
    to: str = "target"


@dataclass(frozen=True)
class Orbit(_Named):
    drone_id: str
    lat_deg: float
    lon_deg: float
    height: Height
    radius_m: float
    speed_mps: float


@dataclass(frozen=True)
class Hover(_Named):
    drone_id: str


@dataclass(frozen=True)
class StartPayloadTasks(_Named):
    """The on-scene tasks of the incident's type (:mod:`mission.tasks_by_type`)."""

    drone_id: str
    flight_id: str
    incident_id: str | None


@dataclass(frozen=True)
class StopPayloadTasks(_Named):
    drone_id: str


@dataclass(frozen=True)
class Speak(_Named):
    drone_id: str
    text: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class StartWatch(_Named):
    """Supervision: the watch's time budget and the battery thresholds are counted from now."""

    drone_id: str


@dataclass(frozen=True)
class RequestRelief(_Named):
    """Ask the planner for another drone to take over this watch."""

    mission_id: str
    incident_id: str | None
    lat_deg: float
    lon_deg: float


@dataclass(frozen=True)
class TellRelieved(_Named):
    """Tell the mission this one relieves that its relief has arrived."""

    relieved_mission_id: str
    relief_mission_id: str


@dataclass(frozen=True)
class ReturnToDock(_Named):
    """Fly back and land: to ``preferred_dock_id`` when it can take the drone, else the nearest free
    dock (the executor decides); ``Landed`` follows."""

    drone_id: str
    preferred_dock_id: str | None


@dataclass(frozen=True)
class Land(_Named):
    """Land where the drone is (no dock could be reached)."""

    drone_id: str


@dataclass(frozen=True)
class CloseCover(_Named):
    dock_id: str


@dataclass(frozen=True)
class StartCharging(_Named):
    dock_id: str


@dataclass(frozen=True)
class ReleaseDock(_Named):
    """Fleet manager: the dock is free of this mission."""

    dock_id: str
    mission_id: str


@dataclass(frozen=True)
class Notify(_Named):
    """Tell operators (console, live stream): ``level`` is ``info``, ``warning`` or ``urgent``."""

    level: str
    text: str


Effect = (
    ReserveDock
    | PrepareDock
    | ConfirmAirborne
    | ArmAndTakeOff
    | GoTo
    | Orbit
    | Hover
    | StartPayloadTasks
    | StopPayloadTasks
    | Speak
    | StartWatch
    | RequestRelief
    | TellRelieved
    | ReturnToDock
    | Land
    | CloseCover
    | StartCharging
    | ReleaseDock
    | Notify
)

#: Effects whose failure does not change the mission's course (it is logged and shown).
BEST_EFFORT: frozenset[str] = frozenset(
    {
        "start_payload_tasks",
        "stop_payload_tasks",
        "speak",
        "request_relief",
        "tell_relieved",
        "start_charging",
        "release_dock",
        "notify",
        "start_watch",
    }
)
