"""Request and response schemas of the mission-control routes (alerts, incidents, missions, leads,
commands, tokens, audit). Requests forbid unknown fields, so a misspelt field is a 422 that names
it rather than a silently ignored value."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mission.model import (
    AlertStatus,
    AlertType,
    CoordSystem,
    IncidentStatus,
    LeadStatus,
    MissionKind,
    MissionState,
    OutboxStatus,
    Role,
)

Lon = Annotated[float, Field(ge=-180, le=180, description="longitude, degrees")]
Lat = Annotated[float, Field(ge=-90, le=90, description="latitude, degrees")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- requests --------------------------------------------------------------------------------------


class AlertIn(_In):
    """An alert from a source (or a dispatcher): a type and a point in one of four systems.
    Without ``crs`` the source's configured system applies (WGS84 for the console)."""

    type: AlertType
    lon: Lon
    lat: Lat
    crs: CoordSystem | None = None
    id: str | None = Field(None, min_length=1, max_length=128, description="the source's own id (dedup)")
    description: str = Field("", max_length=2000)
    occurred_at: datetime | None = Field(None, description="when it happened (ISO 8601 with a zone)")


class DecisionIn(_In):
    """Approve or reject an alert waiting for approval, or a lead waiting for review."""

    approve: bool
    note: str = Field("", max_length=2000)


class LaunchIn(_In):
    """Launch a new mission to a WGS84 point (a dispatcher's click on the map)."""

    lon_deg: Lon
    lat_deg: Lat
    incident_id: str | None = None
    note: str = Field("", max_length=2000)


class AbortIn(_In):
    command: Literal["abort"]
    reason: str = Field(..., min_length=1, max_length=500)


class ReturnIn(_In):
    command: Literal["return"]


class HoldIn(_In):
    command: Literal["hold"]


class GotoIn(_In):
    """Go to another point at the mission's cruise height (it becomes the mission's target)."""

    command: Literal["goto"]
    lon_deg: Lon
    lat_deg: Lat


class SpeakIn(_In):
    """Say ``text`` (text to speech) or play a stored ``message`` (a speaker_messages.toml key)."""

    command: Literal["speak"]
    text: str | None = Field(None, min_length=1, max_length=500)
    message: str | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one_of(self) -> SpeakIn:
        if (self.text is None) == (self.message is None):
            raise ValueError("give exactly one of text or message")
        return self


MissionCommandIn = Annotated[AbortIn | ReturnIn | HoldIn | GotoIn | SpeakIn, Field(discriminator="command")]


class TokenIn(_In):
    name: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role


# --- responses -------------------------------------------------------------------------------------


class AlertOut(_Out):
    id: str
    source: str
    type: AlertType
    lon_deg: float
    lat_deg: float
    original_lon: float
    original_lat: float
    original_crs: CoordSystem
    priority: int
    status: AlertStatus
    external_id: str | None
    description: str
    received_at: datetime
    incident_id: str | None
    decided_by: str | None


class AlertReceiptOut(BaseModel):
    """What intake decided: ``launch`` (a mission is planned), ``queue`` (waits for a dispatcher),
    ``join`` (a duplicate joined an open incident), ``already_seen`` (a re-delivery), ``reject``."""

    action: str
    reason: str
    alert: AlertOut
    incident: IncidentOut | None


class IncidentOut(_Out):
    id: str
    type: AlertType
    lon_deg: float
    lat_deg: float
    priority: int
    status: IncidentStatus
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class MissionOut(_Out):
    id: str
    incident_id: str | None
    kind: MissionKind
    state: MissionState
    lon_deg: float
    lat_deg: float
    dock_id: str | None
    drone_id: str | None
    cruise_height_m: float | None
    eta_s: float | None
    promise_breached: bool
    requested_by: str
    reason: str | None
    relieves_mission_id: str | None
    created_at: datetime
    updated_at: datetime
    route: list[list[float]] | None = Field(
        None,
        description="the route last flown around the keep-out zones, [[lon_deg, lat_deg], ...] (WGS84) "
        "from where the drone was to its destination; null: none flown (draw the straight line)",
    )


class MissionEventOut(_Out):
    seq: int
    kind: str
    at: datetime
    from_state: MissionState | None
    to_state: MissionState | None
    actor: str
    data: dict[str, Any]


class RejectedOut(_Out):
    dock_id: str
    drone_id: str | None
    reason_code: str
    reason: str
    eta_s: float | None


class DecisionOut(_Out):
    dock_id: str | None
    drone_id: str | None
    eta_s: float | None
    target_s: float
    promise_breached: bool
    airborne: bool
    rejected: list[RejectedOut]
    wind_speed_mps: float
    wind_from_deg: float | None  # None: the direction is unknown, ETAs are the worst case
    wind_direction_known: bool
    decided_at: datetime

    @model_validator(mode="after")
    def _no_made_up_direction(self) -> DecisionOut:
        if not self.wind_direction_known and self.wind_speed_mps > 0:
            self.wind_from_deg = None
        return self


class MissionDetailOut(BaseModel):
    """A mission with its event timeline and the planner's decision (with every rejected dock)."""

    mission: MissionOut
    events: list[MissionEventOut]
    decision: DecisionOut | None


class IncidentDetailOut(BaseModel):
    """An incident with the alerts that joined it, its missions and its leads."""

    incident: IncidentOut
    alerts: list[AlertOut]
    missions: list[MissionOut]
    leads: list[LeadOut]


class LeadOut(_Out):
    id: str
    mission_id: str | None
    incident_id: str | None
    drone_id: str
    class_name: str
    confidence: float
    lon_deg: float
    lat_deg: float
    uncertainty_m: float
    status: LeadStatus
    detected_at: datetime
    frames_confirmed: int
    platform_case_id: str | None
    reviewed_by: str | None
    details: dict[str, Any]
    snapshot_url: str | None = Field(None, description="JPEG snapshot, when the lead has one")
    after_snapshot_url: str | None = Field(None, description="the latest verification revisit's picture")


class OutboxOut(_Out):
    """A message to the grid platform and how its delivery is going."""

    id: str
    topic: str
    idempotency_key: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    last_error: str | None
    lead_id: str | None
    payload: dict[str, Any]


class TokenOut(_Out):
    id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None


class TokenCreatedOut(BaseModel):
    """A new token: ``token`` is shown this once; only its hash is stored."""

    token: str
    info: TokenOut


class AuditOut(_Out):
    id: str
    at: datetime
    actor: str
    role: Role
    action: str
    target: str
    details: dict[str, Any]


class ProblemOut(BaseModel):
    """Every error: what went wrong, for people and programs."""

    detail: Any
