"""The store's tables (SQLAlchemy Core metadata); the Alembic migrations must agree with them.

Column names equal the :mod:`mission.model` field names, so rows map onto dataclasses by name.
Enums are stored as their string values, dict fields and the rejected options as JSON, snapshots as
binary, datetimes as timezone-aware UTC (:class:`~mission.store.types.UtcDateTime`).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

from mission.store.types import UtcDateTime

#: Constraint names are explicit so that migrations and error messages are stable on both backends.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

ID = 64  # identifiers: UUID hex by default, caller-supplied ones up to 64 characters
ENUM = 32

alerts = Table(
    "alerts",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("source", String(64), nullable=False),
    Column("type", String(ENUM), nullable=False),
    Column("lon_deg", Float, nullable=False),
    Column("lat_deg", Float, nullable=False),
    Column("original_lon", Float, nullable=False),
    Column("original_lat", Float, nullable=False),
    Column("original_crs", String(ENUM), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("status", String(ENUM), nullable=False),
    Column("external_id", String(128), nullable=True),
    Column("description", Text, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("incident_id", String(ID), nullable=True),
    Column("decided_by", String(128), nullable=True),
    Column("reason", Text, nullable=True),
    # A source's own id is unique per source: a webhook retried by the source cannot store twice.
    UniqueConstraint("source", "external_id"),
    Index(None, "status", "received_at"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("type", String(ENUM), nullable=False),
    Column("lon_deg", Float, nullable=False),
    Column("lat_deg", Float, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("status", String(ENUM), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Index(None, "status", "opened_at"),
)

missions = Table(
    "missions",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("incident_id", String(ID), nullable=True, index=True),
    Column("lon_deg", Float, nullable=False),
    Column("lat_deg", Float, nullable=False),
    Column("kind", String(ENUM), nullable=False),
    Column("state", String(ENUM), nullable=False, index=True),
    Column("dock_id", String(ID), nullable=True),
    Column("drone_id", String(ID), nullable=True),
    Column("cruise_height_m", Float, nullable=True),
    Column("eta_s", Float, nullable=True),
    Column("promise_breached", Boolean, nullable=False),
    Column("requested_by", String(128), nullable=False),
    Column("reason", Text, nullable=True),
    Column("relieves_mission_id", String(ID), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("end_state", String(ENUM), nullable=True),
    Column("return_dock_id", String(ID), nullable=True),
    Column("route", JSON, nullable=True),
)

# Append-only: rows are inserted, never updated or deleted. The primary key (mission_id, seq) is
# the uniqueness rule that makes a concurrent duplicate append fail.
mission_events = Table(
    "mission_events",
    metadata,
    Column("mission_id", String(ID), ForeignKey("missions.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(ENUM), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("from_state", String(ENUM), nullable=True),
    Column("to_state", String(ENUM), nullable=True),
    Column("actor", String(128), nullable=False),
    Column("data", JSON, nullable=False),
)

# Every decision is kept (a re-plan adds one); the latest is the mission's current decision.
dispatch_decisions = Table(
    "dispatch_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mission_id", String(ID), ForeignKey("missions.id"), nullable=False, index=True),
    Column("dock_id", String(ID), nullable=True),
    Column("drone_id", String(ID), nullable=True),
    Column("eta_s", Float, nullable=True),
    Column("target_s", Float, nullable=False),
    Column("promise_breached", Boolean, nullable=False),
    Column("airborne", Boolean, nullable=False),
    Column("rejected", JSON, nullable=False),
    Column("wind_speed_mps", Float, nullable=False),
    Column("wind_from_deg", Float, nullable=False),
    Column("wind_direction_known", Boolean, nullable=False, server_default=true()),
    Column("decided_at", UtcDateTime, nullable=False),
)

leads = Table(
    "leads",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("mission_id", String(ID), nullable=True, index=True),
    Column("incident_id", String(ID), nullable=True, index=True),
    Column("drone_id", String(ID), nullable=False),
    Column("class_name", String(64), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("lon_deg", Float, nullable=False),
    Column("lat_deg", Float, nullable=False),
    Column("uncertainty_m", Float, nullable=False),
    Column("status", String(ENUM), nullable=False, index=True),
    Column("detected_at", UtcDateTime, nullable=False),
    Column("frames_confirmed", Integer, nullable=False),
    Column("snapshot_jpeg", LargeBinary, nullable=True),
    Column("platform_case_id", String(128), nullable=True),
    Column("reviewed_by", String(128), nullable=True),
    Column("details", JSON, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("topic", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("status", String(ENUM), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("lead_id", String(ID), nullable=True, index=True),
    Index(None, "status", "next_attempt_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("actor", String(128), nullable=False),
    Column("role", String(ENUM), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(256), nullable=False),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("details", JSON, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("role", String(ENUM), nullable=False),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)

# One row (id 1): the fleet manager's last snapshot as fleet.snapshot_codec's JSON document.
fleet_state = Table(
    "fleet_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("document", JSON, nullable=False),
    Column("saved_at", UtcDateTime, nullable=False),
)
