"""What the HTTP console needs from the running system, as one Protocol.

The composition root implements :class:`ConsoleBackend` over the real services (fleet manager,
alert intake, planner, executor, lead review); tests implement it over a fed
:class:`fleet.manager.FleetManager` and an in-memory store. Durable things (alerts, incidents,
missions, leads, tokens, the audit log) are read straight from ``backend.store``
(:class:`mission.ports.MissionStore`); everything that *acts* goes through a method here, so that
the API never bypasses the rules of the services behind it.

Errors a backend raises, and what the API answers: :class:`mission.ports.NotFound` → 404,
:class:`CommandRejected`, :class:`mission.alert_intake.ApprovalError`,
:class:`mission.leads.LeadError`, :class:`mission.lifecycle.InvalidTransition` and
:class:`mission.runner.UnknownMission` → 409,
:class:`mission.alerts.AlertInputError` → 422 naming the field, :class:`SourceRefused` → 401.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from docks.protocol.payload import LiveFrame
from fleet.model import Availability, DockState, DroneState, FleetEvent
from mission.alerts import AlertDecision
from mission.model import (
    Alert,
    AuditEntry,
    DispatchDecision,
    Incident,
    Lead,
    Mission,
    MissionEvent,
    OutboxMessage,
)
from mission.ports import MissionStore


class CommandRejected(Exception):
    """The command cannot be carried out now; the message says why (e.g. "mission is closed")."""


class SourceRefused(Exception):
    """An alert source's credentials or webhook signature did not check out."""


@dataclass(frozen=True)
class DockView:
    """One registered dock with its live state (None: never heard from) and availability."""

    dock_id: str
    name: str
    dock_type: str
    lon_deg: float
    lat_deg: float
    drone_id: str
    state: DockState | None
    availability: Availability
    mission_id: str | None = None
    maintenance_note: str | None = None


@dataclass(frozen=True)
class DroneView:
    """One drone with its last telemetry (None: never heard from) and its home dock."""

    drone_id: str
    dock_id: str
    state: DroneState | None
    mission_id: str | None = None


@dataclass(frozen=True)
class CoverageNow:
    """geo's coverage report for the docks available now, in WGS84 for the console."""

    k: int
    target_s: float
    wind_speed_mps: float
    wind_from_deg: float
    available: tuple[str, ...]
    unavailable: Mapping[str, str]  # dock id -> why (availability summary)
    grounded: tuple[str, ...]
    demand_area_km2: float
    covered_fraction: float
    uncovered_area_km2: float
    worst_response_s: float | None  # None: some point is never reached
    worst_point_lon_lat: tuple[float, float] | None
    guarantee_holds: bool
    uncovered_geojson: dict[str, Any] | None = None
    # False: the docks report no direction; wind_from_deg is then the worst direction evaluated
    wind_direction_known: bool = True


class CommandKind(StrEnum):
    """Operator commands (ARCHITECTURE.md §4: at any time)."""

    LAUNCH = "launch"  # a new mission to a point
    ABORT = "abort"
    RETURN = "return"  # to its own or the nearest free dock
    HOLD = "hold"
    GOTO = "goto"
    SPEAK = "speak"


@dataclass(frozen=True)
class OperatorCommand:
    """A command from a dispatcher. ``mission_id`` is None only for LAUNCH; positions are WGS84."""

    kind: CommandKind
    actor: str
    mission_id: str | None = None
    lon_deg: float | None = None
    lat_deg: float | None = None
    incident_id: str | None = None
    text: str | None = None
    message: str | None = None  # a stored speaker message (speaker_messages.toml key)
    reason: str | None = None


#: What the live stream carries: fleet changes and mission-control objects as they change (the
#: outbox and the audit log go to admins only: ``mission.api.live_messages.visible_to``).
LiveItem = FleetEvent | Mission | MissionEvent | Alert | Incident | Lead | OutboxMessage | AuditEntry


class LiveSubscription(Protocol):
    """An async iterator of live items; ``close()`` ends it."""

    def __aiter__(self) -> AsyncIterator[LiveItem]: ...

    def close(self) -> None: ...


class ConsoleBackend(Protocol):
    """Everything the API needs from the running system. See the module docstring."""

    @property
    def store(self) -> MissionStore: ...

    # fleet
    def docks(self) -> Sequence[DockView]: ...
    def drones(self) -> Sequence[DroneView]: ...
    async def coverage_now(self, k: int = 1) -> CoverageNow:
        """Coverage of the district by the docks available now, in the current wind."""
        ...

    # alerts
    async def authenticate_source(self, source: str, headers: Mapping[str, str], body: bytes) -> None:
        """Check a source's credentials and webhook signature; raise :class:`SourceRefused`."""
        ...

    async def submit_alert(self, raw: Mapping[str, Any], source: str) -> AlertDecision:
        """Validate, convert, deduplicate and store an alert (``mission.alert_intake.AlertIntake``),
        then act on the stored decision (plan and launch when it says LAUNCH); raise
        :class:`mission.alerts.AlertInputError` for bad input."""
        ...

    async def decide_alert(self, alert_id: str, approve: bool, actor: str, note: str = "") -> AlertDecision:
        """A dispatcher's decision on an alert waiting for approval (launch on approval)."""
        ...

    # missions and leads
    async def preview_launch(self, lon_deg: float, lat_deg: float) -> DispatchDecision:
        """What the planner would decide for a launch to (lon, lat) now — dock, drone, ETA and every
        rejected option — without storing, reserving or launching anything (``mission_id`` is
        ``"preview"``)."""
        ...

    async def command(self, command: OperatorCommand) -> Mission:
        """Carry out an operator command; the launched or commanded mission comes back."""
        ...

    async def review_lead(self, lead_id: str, approve: bool, actor: str, note: str = "") -> Lead:
        """A dispatcher approves (→ outbox) or rejects a lead waiting for review."""
        ...

    async def retry_message(self, message_id: str, actor: str) -> OutboxMessage:
        """An operator retries a dead grid-platform message (``OutboxWorker.requeue``)."""
        ...

    # supervision
    def subscribe_live(self, maxsize: int = 1000) -> LiveSubscription: ...
    def live_view(self, drone_id: str, camera: str) -> AbstractAsyncContextManager[asyncio.Queue[LiveFrame]]:
        """The drone's camera frames while the context lasts (``mission.live_view_relay``); raises
        :class:`mission.ports.NotFound` for an unknown drone and
        :class:`mission.live_view_relay.LiveViewError` when the stream cannot start."""
        ...

    async def health(self) -> Mapping[str, bool]:
        """Each component's health (e.g. store, broker, fleet); all True is healthy."""
        ...
