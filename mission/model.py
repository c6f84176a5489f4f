"""Mission control's domain objects: alerts, incidents, missions and their event log, dispatch
decisions, leads, the grid-platform outbox, the audit log and API tokens.

Plain dataclasses with units in names; positions are WGS84 degrees (converted on entry), times are
timezone-aware UTC datetimes. Identifiers are strings (UUID4 hex unless a caller supplies one).
The store (:mod:`mission.ports`) persists exactly these objects.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


def new_id() -> str:
    """A fresh identifier."""
    return uuid.uuid4().hex


def utc_now() -> datetime:
    return datetime.now(UTC)


class AlertType(StrEnum):
    """What an alert is about (the city's platforms and the dispatcher console)."""

    FIRE_SMOKE = "fire_smoke"
    CROWD = "crowd"
    PERSON_NEAR_WATER = "person_near_water"
    STREET_VENDOR = "street_vendor"
    ROAD_OCCUPATION = "road_occupation"
    MANUAL = "manual"  # a dispatcher's point on the map
    OTHER = "other"


class CoordSystem(StrEnum):
    """Coordinate systems alerts may arrive in (see geo.crs)."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"
    CGCS2000 = "cgcs2000"


class AlertStatus(StrEnum):
    ACCEPTED = "accepted"  # stored, a new incident was opened and acted on
    JOINED = "joined"  # a duplicate: joined an open incident
    PENDING_APPROVAL = "pending_approval"  # policy: waits for a dispatcher
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass
class Alert:
    """An alert as accepted: position converted to WGS84, the original kept for the record."""

    source: str
    type: AlertType
    lon_deg: float
    lat_deg: float
    original_lon: float
    original_lat: float
    original_crs: CoordSystem
    priority: int
    status: AlertStatus
    id: str = field(default_factory=new_id)
    external_id: str | None = None
    description: str = ""
    received_at: datetime = field(default_factory=utc_now)
    incident_id: str | None = None
    decided_by: str | None = None  # who approved/rejected
    reason: str | None = None  # why it was rejected (or a note on how it was accepted)


class IncidentStatus(StrEnum):
    OPEN = "open"  # known, no drone yet (e.g. waiting for approval)
    RESPONDING = "responding"  # a mission is under way
    REPORTED = "reported"  # a lead went to the grid platform
    RESOLVED = "resolved"  # the platform says it was handled; verification may follow
    CLOSED = "closed"


@dataclass
class Incident:
    """One thing happening at one place; alerts of the same type nearby join it."""

    type: AlertType
    lon_deg: float
    lat_deg: float
    priority: int
    id: str = field(default_factory=new_id)
    status: IncidentStatus = IncidentStatus.OPEN
    opened_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)
    closed_at: datetime | None = None


class MissionState(StrEnum):
    """ARCHITECTURE.md §4: requested → planned → launching → en_route → on_scene → supervising →
    returning → landed → closed, or aborted / failed (with a reason) from any active state."""

    REQUESTED = "requested"
    PLANNED = "planned"
    LAUNCHING = "launching"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    SUPERVISING = "supervising"
    RETURNING = "returning"
    LANDED = "landed"
    CLOSED = "closed"
    ABORTED = "aborted"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        return self in (MissionState.CLOSED, MissionState.ABORTED, MissionState.FAILED)


class MissionKind(StrEnum):
    RESPONSE = "response"  # answer an incident
    RELIEF = "relief"  # take over a watch from another drone
    VERIFY = "verify"  # revisit after the platform reports the case resolved


@dataclass
class Mission:
    """One sortie of one drone for one incident. ``state`` mirrors the last state event."""

    incident_id: str | None
    lon_deg: float
    lat_deg: float
    id: str = field(default_factory=new_id)
    kind: MissionKind = MissionKind.RESPONSE
    state: MissionState = MissionState.REQUESTED
    dock_id: str | None = None
    drone_id: str | None = None
    cruise_height_m: float | None = None
    eta_s: float | None = None  # planned response time
    promise_breached: bool = False  # eta_s > target: nothing could reach in time
    requested_by: str = "system"
    reason: str | None = None  # why it was aborted or failed
    relieves_mission_id: str | None = None
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)
    #: ABORTED or FAILED once decided while the drone still has to come home (None: ends CLOSED).
    end_state: MissionState | None = None
    #: The dock the drone is returning to / landed at (its own or the nearest free one).
    return_dock_id: str | None = None
    #: The route last flown around the keep-out zones, ``[[lon_deg, lat_deg], ...]`` from where the
    #: drone was to where it went (None: no route flown, or no zones configured).
    route: list[list[float]] | None = None


@dataclass(frozen=True)
class MissionEvent:
    """One entry of a mission's append-only log. ``seq`` is 1, 2, ... per mission.

    ``kind`` is ``state`` for a transition (from_state → to_state) or another word for what happened
    (``command`` from an operator, ``effect`` carried out, ``effect_failed``, ``telemetry``, ``note``).
    """

    mission_id: str
    seq: int
    kind: str
    at: datetime = field(default_factory=utc_now)
    from_state: MissionState | None = None
    to_state: MissionState | None = None
    actor: str = "system"
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RejectedOption:
    """A dock or airborne drone the planner did not choose, and why (fleet reason codes or
    ``slower``, ``keep_out``, ``out_of_range``)."""

    dock_id: str
    drone_id: str | None
    reason_code: str
    reason: str
    eta_s: float | None = None


@dataclass(frozen=True)
class DispatchDecision:
    """The planner's choice for a mission, stored with the reasons every other option was rejected."""

    mission_id: str
    dock_id: str | None  # None: nothing can go at all
    drone_id: str | None
    eta_s: float | None
    target_s: float
    promise_breached: bool
    airborne: bool = False
    rejected: tuple[RejectedOption, ...] = ()
    wind_speed_mps: float = 0.0
    wind_from_deg: float = 0.0
    wind_direction_known: bool = True  # False: only the speed was known, ETAs are worst case
    decided_at: datetime = field(default_factory=utc_now)


class LeadStatus(StrEnum):
    NEW = "new"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"  # by a dispatcher or by policy; queued in the outbox
    REJECTED = "rejected"
    DELIVERED = "delivered"  # the grid platform acknowledged it
    ACCEPTED = "accepted"  # platform callbacks from here on
    DISPATCHED = "dispatched"
    RESOLVED = "resolved"
    VERIFIED = "verified"
    CLOSED = "closed"


@dataclass
class Lead:
    """A finding of a drone's payload: what, where (with uncertainty), how sure, and a snapshot."""

    mission_id: str | None
    incident_id: str | None
    drone_id: str
    class_name: str
    confidence: float
    lon_deg: float
    lat_deg: float
    uncertainty_m: float
    id: str = field(default_factory=new_id)
    status: LeadStatus = LeadStatus.NEW
    detected_at: datetime = field(default_factory=utc_now)
    frames_confirmed: int = 1
    snapshot_jpeg: bytes | None = None
    platform_case_id: str | None = None
    reviewed_by: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"  # gave up after the maximum attempts; shown to operators, can be retried


@dataclass
class OutboxMessage:
    """A message to the grid platform, stored before any delivery attempt."""

    topic: str  # e.g. "lead.created", "lead.verified"
    payload: dict[str, Any]
    idempotency_key: str
    id: str = field(default_factory=new_id)
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime = field(default_factory=utc_now)
    created_at: datetime = field(default_factory=utc_now)
    delivered_at: datetime | None = None
    last_error: str | None = None
    lead_id: str | None = None


class Role(StrEnum):
    VIEWER = "viewer"
    DISPATCHER = "dispatcher"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        """Admin ⊇ dispatcher ⊇ viewer."""
        order = (Role.VIEWER, Role.DISPATCHER, Role.ADMIN)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class ApiToken:
    """A bearer token; only its hash is stored."""

    name: str
    role: Role
    token_hash: str
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utc_now)
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class AuditEntry:
    """Who did what, when: every operator command and every approval."""

    actor: str
    role: Role
    action: str
    target: str
    id: str = field(default_factory=new_id)
    at: datetime = field(default_factory=utc_now)
    details: dict[str, Any] = field(default_factory=dict)
