"""What the executor's parts share: the ports a run works through (:class:`ExecutorDeps`), the view
of one run its effect code gets (:class:`RunContext`) and the error a refused effect raises."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from docks.ports import DockLink
from fleet.clock import Clock, MonotonicClock
from fleet.manager import FleetManager
from fleet.ports import DroneLink
from mission import lifecycle_types as fx
from mission.flight_routes import FlightRoutes
from mission.lifecycle_types import MissionInput
from mission.model import Mission
from mission.payload_client import PayloadClient
from mission.ports import MissionStore
from mission.supervision import ExecutorSettings

NotifyFn = Callable[[str, fx.Notify], None]
ReliefFn = Callable[[Mission, fx.RequestRelief], Awaitable[None]]
TellFn = Callable[[str, MissionInput], bool]


class EffectError(Exception):
    """A device refused or could not do what an effect asked (the message says which and why)."""


@dataclass
class ExecutorDeps:
    """The ports a mission run works through (shared by all runs of a :class:`MissionRunner`)."""

    store: MissionStore
    fleet: FleetManager
    drones: Callable[[str], DroneLink]  # FleetLink.drone
    docks: DockLink
    payload: PayloadClient
    settings: ExecutorSettings = field(default_factory=ExecutorSettings)
    clock: Clock = field(default_factory=MonotonicClock)
    notify: NotifyFn | None = None
    request_relief: ReliefFn | None = None
    tell: TellFn | None = None  # post an event to another mission (set by the runner)
    routes: FlightRoutes | None = None  # around the keep-out zones (None: no zones, fly straight)


class RunContext(Protocol):
    """One mission run as its effects see it (:class:`mission.executor.MissionRun`)."""

    deps: ExecutorDeps
    #: Another dock reserved (cover opened) to land in; freed at the end if never landed in.
    foreign_dock: str | None
    relief_requested: bool

    @property
    def mission(self) -> Mission: ...

    def post(self, event: MissionInput) -> None:
        """Queue an event for the run's loop."""

    async def note(
        self, kind: str, data: dict[str, Any], change: Callable[[Mission], Mission] | None = None
    ) -> None:
        """Store a log entry that changes no state; ``change`` gives the mission row stored with it
        from the mission at that moment (e.g. a new route)."""


def why(exc: BaseException) -> str:
    """An exception as the reason stored in an event."""
    return str(exc) or type(exc).__name__
