"""Model objects with every field set away from its default, for round-trip tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from mission.model import (
    Alert,
    AlertStatus,
    AlertType,
    ApiToken,
    AuditEntry,
    CoordSystem,
    DispatchDecision,
    Incident,
    IncidentStatus,
    Lead,
    LeadStatus,
    Mission,
    MissionEvent,
    MissionKind,
    MissionState,
    OutboxMessage,
    OutboxStatus,
    RejectedOption,
    Role,
)

#: A time given in Beijing time with microseconds: it must come back as the same instant in UTC.
T0 = datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def alert(**kw: object) -> Alert:
    values: dict[str, object] = dict(
        source="video-ai",
        type=AlertType.FIRE_SMOKE,
        lon_deg=113.7730123456789,
        lat_deg=34.7601987654321,
        original_lon=113.779157,
        original_lat=34.759093,
        original_crs=CoordSystem.GCJ02,
        priority=1,
        status=AlertStatus.PENDING_APPROVAL,
        external_id="cam-17/evt-42",
        description="smoke over the roof, 烟雾",
        received_at=at(1),
        incident_id="inc-1",
        decided_by="alice",
        reason="outside working hours",
    )
    values.update(kw)
    return Alert(**values)  # type: ignore[arg-type]


def incident(**kw: object) -> Incident:
    values: dict[str, object] = dict(
        type=AlertType.PERSON_NEAR_WATER,
        lon_deg=113.755,
        lat_deg=34.8,
        priority=2,
        status=IncidentStatus.REPORTED,
        opened_at=at(2),
        updated_at=at(3),
        closed_at=at(4),
    )
    values.update(kw)
    return Incident(**values)  # type: ignore[arg-type]


def mission(**kw: object) -> Mission:
    values: dict[str, object] = dict(
        incident_id="inc-1",
        lon_deg=113.76,
        lat_deg=34.78,
        kind=MissionKind.RELIEF,
        state=MissionState.SUPERVISING,
        dock_id="D03",
        drone_id="U03",
        cruise_height_m=95.5,
        eta_s=251.25,
        promise_breached=True,
        requested_by="bob",
        reason="battery low on scene",
        relieves_mission_id="m-0",
        created_at=at(5),
        updated_at=at(6),
        end_state=MissionState.ABORTED,
        return_dock_id="D04",
        route=[[113.76, 34.75], [113.7712345678901, 34.7687654321098], [113.76, 34.78]],
    )
    values.update(kw)
    return Mission(**values)  # type: ignore[arg-type]


def event(mission_id: str, seq: int, **kw: object) -> MissionEvent:
    values: dict[str, object] = dict(
        mission_id=mission_id,
        seq=seq,
        kind="state",
        at=at(10 + seq),
        from_state=MissionState.ON_SCENE,
        to_state=MissionState.SUPERVISING,
        actor="carol",
        data={"why": "lead sent", "n": seq, "nested": {"list": [1, 2.5, None, "x"]}},
    )
    values.update(kw)
    return MissionEvent(**values)  # type: ignore[arg-type]


def decision(mission_id: str, **kw: object) -> DispatchDecision:
    values: dict[str, object] = dict(
        mission_id=mission_id,
        dock_id="D03",
        drone_id="U03",
        eta_s=312.5,
        target_s=300.0,
        promise_breached=True,
        airborne=True,
        rejected=(
            RejectedOption("D01", "U01", "busy", "on mission m-7", 180.0),
            RejectedOption("D02", None, "weather", "wind 11.2 m/s over the 8 m/s limit"),
        ),
        wind_speed_mps=6.5,
        wind_from_deg=275.0,
        decided_at=at(7),
    )
    values.update(kw)
    return DispatchDecision(**values)  # type: ignore[arg-type]


def lead(**kw: object) -> Lead:
    values: dict[str, object] = dict(
        mission_id="m-1",
        incident_id="inc-1",
        drone_id="U03",
        class_name="fire",
        confidence=0.87,
        lon_deg=113.7601,
        lat_deg=34.7702,
        uncertainty_m=6.5,
        status=LeadStatus.PENDING_REVIEW,
        detected_at=at(8),
        frames_confirmed=5,
        snapshot_jpeg=bytes(range(256)) * 4,
        platform_case_id="case-99",
        reviewed_by="dave",
        details={"bbox_px": [10, 20, 30, 40], "hot_c": 412.5},
    )
    values.update(kw)
    return Lead(**values)  # type: ignore[arg-type]


def message(key: str, **kw: object) -> OutboxMessage:
    values: dict[str, object] = dict(
        topic="lead.created",
        payload={"lead": "l-1", "where": [113.76, 34.77]},
        idempotency_key=key,
        status=OutboxStatus.DEAD,
        attempts=7,
        next_attempt_at=at(9),
        created_at=at(1),
        delivered_at=at(10),
        last_error="HTTP 503",
        lead_id="l-1",
    )
    values.update(kw)
    return OutboxMessage(**values)  # type: ignore[arg-type]


def audit(**kw: object) -> AuditEntry:
    values: dict[str, object] = dict(
        actor="erin",
        role=Role.DISPATCHER,
        action="mission.abort",
        target="m-1",
        at=at(11),
        details={"reason": "false alarm"},
    )
    values.update(kw)
    return AuditEntry(**values)  # type: ignore[arg-type]


def token(**kw: object) -> ApiToken:
    values: dict[str, object] = dict(
        name="console", role=Role.ADMIN, token_hash="ab" * 32, created_at=at(12), revoked_at=at(13)
    )
    values.update(kw)
    return ApiToken(**values)  # type: ignore[arg-type]


def assert_utc(value: datetime | None) -> None:
    assert value is not None and value.tzinfo is not None and value.utcoffset() == timedelta(0)
    assert value.tzinfo == UTC
