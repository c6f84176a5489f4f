"""Alert intake rules, pure: parse and validate a raw alert, convert its position to WGS84, check
that it lies in the district (or that some dock reaches it), deduplicate it against open incidents
and apply the type's policy. The result is an :class:`AlertDecision` the caller stores *before*
acting on it (:mod:`mission.alert_intake`).

Raw alert (JSON object)::

    {"type": "fire_smoke", "lon": 113.77, "lat": 34.76, "crs": "gcj02",
     "id": "VA-2024-0001", "description": "smoke on camera 17", "occurred_at": "2026-12-04T17:00:00Z"}

``type``, ``lon`` and ``lat`` are required; ``crs`` defaults to the source's (``wgs84``, ``gcj02``,
``bd09``, ``cgcs2000``); ``id`` is the source's own id (a re-delivery with the same id is recognised);
``occurred_at`` is ISO 8601 or Unix seconds. Other keys are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from shapely.geometry import Point, Polygon

from geo.crs import CoordinateError, convert
from geo.model import DockSite
from geo.reach import response_time_s
from mission.alert_settings import AlertSettings, LaunchPolicy, TypePolicy
from mission.model import Alert, AlertStatus, AlertType, CoordSystem, Incident, IncidentStatus

MAX_EXTERNAL_ID = 128
MAX_DESCRIPTION = 2000
#: Incident states an alert may join (a resolved case is a new incident if it flares up again).
JOINABLE = (IncidentStatus.OPEN, IncidentStatus.RESPONDING, IncidentStatus.REPORTED)

ToLocal = Callable[[float, float], tuple[float, float]]


class AlertInputError(ValueError):
    """A raw alert that cannot be read; ``field`` names the offending key (HTTP answers 422)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class IntakeAction(StrEnum):
    """What the caller does once the decision is stored."""

    LAUNCH = "launch"  # a new incident; plan and launch a mission
    QUEUE = "queue"  # a new incident waiting for a dispatcher's approval
    JOIN = "join"  # a duplicate that joined an open incident: nothing to launch
    REJECT = "reject"  # stored as rejected, with the reason
    ALREADY_SEEN = "already_seen"  # a re-delivery of an alert stored before: nothing new


@dataclass(frozen=True)
class ParsedAlert:
    """A raw alert, validated, its position converted to WGS84."""

    source: str
    type: AlertType
    lon_deg: float
    lat_deg: float
    original_lon: float
    original_lat: float
    original_crs: CoordSystem
    external_id: str | None = None
    description: str = ""
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class AlertDecision:
    """What intake decided. ``alert`` is always set (rejected ones too, with ``status`` REJECTED and
    a reason); ``incident`` is the new or joined incident; ``incident_is_new`` says which."""

    action: IntakeAction
    alert: Alert
    incident: Incident | None = None
    incident_is_new: bool = False
    reason: str = ""


def _number(raw: Mapping[str, Any], key: str) -> float:
    value = raw.get(key)
    if value is None:
        raise AlertInputError(key, "required")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise AlertInputError(key, f"must be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except ValueError:
        raise AlertInputError(key, f"must be a number, got {value!r:.40}") from None
    if not math.isfinite(number):
        raise AlertInputError(key, "must be a finite number")
    return number


def _text(raw: Mapping[str, Any], key: str, limit: int) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise AlertInputError(key, f"must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise AlertInputError(key, f"longer than {limit} characters")
    return value.strip()


def _time(raw: Mapping[str, Any], now: datetime) -> datetime | None:
    value = raw.get("occurred_at")
    if value is None:
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            at = datetime.fromtimestamp(float(value), UTC)
        elif isinstance(value, str):
            at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        else:
            raise TypeError
    except (TypeError, ValueError, OverflowError, OSError):
        raise AlertInputError("occurred_at", "must be ISO 8601 or Unix seconds") from None
    if at.tzinfo is None:
        raise AlertInputError("occurred_at", "needs a time zone (e.g. 'Z' or '+08:00')")
    if at - now > timedelta(minutes=5):
        raise AlertInputError("occurred_at", "lies in the future")
    return at.astimezone(UTC)


def parse_alert(raw: object, source: str, settings: AlertSettings, now: datetime) -> ParsedAlert:
    """Validate a raw alert from ``source``; raise :class:`AlertInputError` saying what is wrong.

    The source must be configured and enabled and allowed to send this type."""
    if not isinstance(raw, Mapping):
        raise AlertInputError("body", "must be a JSON object")
    src = settings.sources.get(source)
    if src is None or not src.enabled:
        raise AlertInputError("source", f"unknown or disabled source {source!r}")
    type_text = raw.get("type")
    try:
        alert_type = AlertType(str(type_text).strip().lower()) if type_text is not None else None
    except ValueError:
        alert_type = None
    if alert_type is None:
        allowed = ", ".join(t.value for t in AlertType)
        raise AlertInputError("type", f"must be one of {allowed}, got {type_text!r:.40}")
    if src.types is not None and alert_type not in src.types:
        raise AlertInputError("type", f"source {source!r} may not send {alert_type.value} alerts")
    crs_text = raw.get("crs")
    try:
        crs = src.crs if crs_text is None else CoordSystem(str(crs_text).strip().lower().replace("-", ""))
    except ValueError:
        allowed = ", ".join(c.value for c in CoordSystem)
        raise AlertInputError("crs", f"must be one of {allowed}, got {crs_text!r:.40}") from None
    lon, lat = _number(raw, "lon"), _number(raw, "lat")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise AlertInputError("lon/lat", f"({lon}, {lat}) is not a longitude/latitude in degrees")
    try:
        wlon, wlat = convert(lon, lat, crs.value, "wgs84")
    except CoordinateError as exc:
        raise AlertInputError("lon/lat", str(exc)) from None
    occurred = _time(raw, now)
    if occurred is not None and (now - occurred).total_seconds() > settings.max_age_s:
        raise AlertInputError("occurred_at", f"older than {settings.max_age_s:.0f} s")
    return ParsedAlert(
        source=source,
        type=alert_type,
        lon_deg=float(wlon),
        lat_deg=float(wlat),
        original_lon=lon,
        original_lat=lat,
        original_crs=crs,
        external_id=_text(raw, "id", MAX_EXTERNAL_ID) or None,
        description=_text(raw, "description", MAX_DESCRIPTION) or "",
        occurred_at=occurred,
    )


@dataclass(frozen=True)
class AlertArea:
    """Where alerts are served: inside ``boundary_m`` (local metres), or outside it where some dock
    reaches the point within ``reach_s`` (calm air, straight line)."""

    boundary_m: Polygon
    to_local: ToLocal
    docks: Sequence[DockSite] = ()
    reach_s: float = 300.0

    def refusal(self, lon_deg: float, lat_deg: float) -> str | None:
        """None when the point is served, else why not."""
        x, y = self.to_local(lon_deg, lat_deg)
        if self.boundary_m.covers(Point(x, y)):
            return None
        best = math.inf
        for d in self.docks:
            best = min(best, float(response_time_s(x - d.x_m, y - d.y_m, d.reach)))
        gap_m = self.boundary_m.exterior.distance(Point(x, y))
        if best <= self.reach_s:
            return None
        nearest = "no dock" if not math.isfinite(best) else f"the nearest dock needs {best:.0f} s"
        return (
            f"outside the district ({gap_m / 1000:.1f} km beyond its boundary) and out of reach: "
            f"{nearest}, the limit is {self.reach_s:.0f} s"
        )


def distance_m(area: AlertArea, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two WGS84 points in the area's local frame."""
    ax, ay = area.to_local(*a)
    bx, by = area.to_local(*b)
    return math.hypot(ax - bx, ay - by)


def find_duplicate(
    parsed: ParsedAlert, policy: TypePolicy, incidents: Sequence[Incident], area: AlertArea, now: datetime
) -> Incident | None:
    """The nearest joinable incident of the same type within the policy's radius that was updated
    within its window, or None."""
    if policy.dedup_radius_m <= 0 or policy.dedup_window_s <= 0:
        return None
    window = timedelta(seconds=policy.dedup_window_s)
    # a cheap box in degrees (twice the radius) before the exact distance in the local frame
    dlat = 2.0 * policy.dedup_radius_m / 111_000.0
    dlon = dlat / max(math.cos(math.radians(parsed.lat_deg)), 0.01)
    best: tuple[float, Incident] | None = None
    for inc in incidents:
        if inc.type is not parsed.type or inc.status not in JOINABLE or now - inc.updated_at > window:
            continue
        if abs(inc.lat_deg - parsed.lat_deg) > dlat or abs(inc.lon_deg - parsed.lon_deg) > dlon:
            continue
        d = distance_m(area, (parsed.lon_deg, parsed.lat_deg), (inc.lon_deg, inc.lat_deg))
        if d <= policy.dedup_radius_m and (best is None or d < best[0]):
            best = (d, inc)
    return None if best is None else best[1]


def _alert(parsed: ParsedAlert, priority: int, status: AlertStatus, now: datetime) -> Alert:
    return Alert(
        source=parsed.source,
        type=parsed.type,
        lon_deg=parsed.lon_deg,
        lat_deg=parsed.lat_deg,
        original_lon=parsed.original_lon,
        original_lat=parsed.original_lat,
        original_crs=parsed.original_crs,
        priority=priority,
        status=status,
        external_id=parsed.external_id,
        description=parsed.description,
        received_at=now,
    )


def decide(
    parsed: ParsedAlert,
    settings: AlertSettings,
    area: AlertArea,
    open_incidents: Sequence[Incident],
    now: datetime,
) -> AlertDecision:
    """Apply the area check, deduplication and the type's policy to a parsed alert."""
    policy = settings.policy(parsed.type)
    refusal = area.refusal(parsed.lon_deg, parsed.lat_deg)
    if refusal is not None:
        alert = _alert(parsed, policy.priority, AlertStatus.REJECTED, now)
        alert.reason = refusal
        return AlertDecision(IntakeAction.REJECT, alert, reason=refusal)
    dup = find_duplicate(parsed, policy, open_incidents, area, now)
    if dup is not None:
        alert = _alert(parsed, policy.priority, AlertStatus.JOINED, now)
        alert.incident_id = dup.id
        joined = replace(dup, updated_at=now, priority=min(dup.priority, policy.priority))
        d = distance_m(area, (parsed.lon_deg, parsed.lat_deg), (dup.lon_deg, dup.lat_deg))
        alert.reason = f"joined incident {dup.id} ({d:.0f} m away)"
        return AlertDecision(IntakeAction.JOIN, alert, joined, reason=alert.reason)
    incident = Incident(
        type=parsed.type,
        lon_deg=parsed.lon_deg,
        lat_deg=parsed.lat_deg,
        priority=policy.priority,
        opened_at=now,
        updated_at=now,
    )
    auto = policy.launch is LaunchPolicy.AUTO
    status = AlertStatus.ACCEPTED if auto else AlertStatus.PENDING_APPROVAL
    alert = _alert(parsed, policy.priority, status, now)
    alert.incident_id = incident.id
    action = IntakeAction.LAUNCH if auto else IntakeAction.QUEUE
    why = "policy: launch automatically" if auto else "policy: a dispatcher approves the launch"
    alert.reason = why
    return AlertDecision(action, alert, incident, incident_is_new=True, reason=why)
