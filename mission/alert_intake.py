"""Alert intake as a service: validate a raw alert from a source, decide (:mod:`mission.alerts`),
store the alert and its incident, and say what to do — all before anything is acted on.

No HTTP here: the API and the MQTT subscriber call :meth:`AlertIntake.submit`. Submissions are
serialised by a lock so that two copies of one alert arriving together open one incident.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from mission.alert_settings import AlertSettings
from mission.alerts import (
    JOINABLE,
    AlertArea,
    AlertDecision,
    AlertInputError,
    IntakeAction,
    ParsedAlert,
    decide,
    parse_alert,
)
from mission.geo_config import PlanningInputs
from mission.model import Alert, AlertStatus, Incident, IncidentStatus, utc_now
from mission.ports import MissionStore, NotFound

log = logging.getLogger(__name__)

#: How many open incidents deduplication looks at (the most recent first).
OPEN_INCIDENT_LIMIT = 1000


def alert_area(planning: PlanningInputs, settings: AlertSettings) -> AlertArea:
    """The area alerts are served in: the district, and beyond it what a dock reaches within
    ``outside_reach_s`` (default: the planning target)."""
    reach_s = settings.outside_reach_s if settings.outside_reach_s is not None else planning.target_s
    d = planning.district
    return AlertArea(d.boundary_m, d.frame.to_local, tuple(planning.docks), reach_s)


class ApprovalError(ValueError):
    """An approval or rejection that does not apply (unknown alert, not pending)."""


class AlertIntake:
    """Validates, deduplicates and stores alerts. Raises :class:`AlertInputError` for bad input
    (nothing is stored then).

    Joinable incidents are read from the store at most every ``incident_cache_s`` seconds and kept
    up to date with intake's own decisions in between; a duplicate's incident is always re-read
    before it is joined, so an incident closed meanwhile is not joined and a join never writes
    back a stale copy."""

    def __init__(
        self,
        store: MissionStore,
        settings: AlertSettings,
        area: AlertArea,
        clock: Callable[[], datetime] = utc_now,
        *,
        incident_cache_s: float = 2.0,
    ) -> None:
        self.store = store
        self.settings = settings
        self.area = area
        self._clock = clock
        self._lock = asyncio.Lock()
        self.incident_cache_s = incident_cache_s
        self._incidents: dict[str, Incident] | None = None
        self._incidents_at = 0.0
        #: Counters for metrics: decisions by action, and refused raw alerts.
        self.counts: dict[str, int] = {a.value: 0 for a in IntakeAction}
        self.invalid = 0

    async def submit(self, raw: object, source: str) -> AlertDecision:
        """Take one raw alert from ``source``: the decision returned is already stored."""
        now = self._clock()
        try:
            parsed = parse_alert(raw, source, self.settings, now)
        except AlertInputError:
            self.invalid += 1
            raise
        async with self._lock:
            if parsed.external_id is not None:
                known = await self.store.find_alert_by_external_id(source, parsed.external_id)
                if known is not None:
                    self.counts[IntakeAction.ALREADY_SEEN.value] += 1
                    return AlertDecision(
                        IntakeAction.ALREADY_SEEN, known, None, reason=f"already received as alert {known.id}"
                    )
            decision = await self._decide(parsed, now)
            await self._store(decision)
            self._remember(decision)
        self.counts[decision.action.value] += 1
        log.info(
            "alert %s from %s (%s): %s%s",
            decision.alert.id,
            source,
            parsed.type.value,
            decision.action.value,
            f" incident {decision.incident.id}" if decision.incident else "",
        )
        return decision

    async def _joinable(self) -> dict[str, Incident]:
        """Joinable incidents: from the store, re-read when older than ``incident_cache_s``."""
        if self._incidents is None or time.monotonic() - self._incidents_at > self.incident_cache_s:
            rows = await self.store.list_incidents(JOINABLE, limit=OPEN_INCIDENT_LIMIT)
            self._incidents = {i.id: i for i in rows}
            self._incidents_at = time.monotonic()
        return self._incidents

    async def _decide(self, parsed: ParsedAlert, now: datetime) -> AlertDecision:
        """Decide on the cached incidents; a duplicate's incident is re-read from the store, and
        the join applied to that fresh copy (others may have moved it on, or closed it)."""
        cache = await self._joinable()
        while True:
            decision = decide(parsed, self.settings, self.area, list(cache.values()), now)
            if decision.action is not IntakeAction.JOIN or decision.incident is None:
                return decision
            joined = decision.incident
            try:
                fresh = await self.store.get_incident(joined.id)
            except NotFound:
                fresh = None
            if fresh is not None and fresh.status in JOINABLE:
                incident = replace(
                    fresh, updated_at=joined.updated_at, priority=min(fresh.priority, joined.priority)
                )
                return replace(decision, incident=incident)
            cache.pop(joined.id, None)  # closed meanwhile: decide again without it

    def _remember(self, decision: AlertDecision) -> None:
        if self._incidents is not None and decision.incident is not None:
            self._incidents[decision.incident.id] = decision.incident

    async def _store(self, decision: AlertDecision) -> None:
        if decision.incident is not None and decision.incident_is_new:
            await self.store.add_incident(decision.incident)
        elif decision.incident is not None:
            await self.store.update_incident(decision.incident)
        await self.store.add_alert(decision.alert)

    async def approve(self, alert_id: str, actor: str) -> AlertDecision:
        """A dispatcher approves a pending alert: its incident is to be launched (LAUNCH)."""
        async with self._lock:
            alert = await self._pending(alert_id)
            alert = replace(alert, status=AlertStatus.APPROVED, decided_by=actor)
            if alert.incident_id is None:
                raise ApprovalError(f"alert {alert_id} has no incident")
            incident = await self.store.get_incident(alert.incident_id)
            await self.store.update_alert(alert)
        return AlertDecision(IntakeAction.LAUNCH, alert, incident, reason=f"approved by {actor}")

    async def reject(self, alert_id: str, actor: str, reason: str) -> AlertDecision:
        """A dispatcher rejects a pending alert; its incident is closed if it is still open (no
        mission started for it), duplicates that joined it included."""
        async with self._lock:
            alert = await self._pending(alert_id)
            alert = replace(alert, status=AlertStatus.REJECTED, decided_by=actor, reason=reason)
            incident = None
            if alert.incident_id is not None:
                incident = await self.store.get_incident(alert.incident_id)
                if incident.status is IncidentStatus.OPEN:
                    now = self._clock()
                    incident = replace(incident, status=IncidentStatus.CLOSED, closed_at=now, updated_at=now)
                    await self.store.update_incident(incident)
                    if self._incidents is not None:
                        self._incidents.pop(incident.id, None)
            await self.store.update_alert(alert)
        return AlertDecision(IntakeAction.REJECT, alert, incident, reason=reason)

    async def _pending(self, alert_id: str) -> Alert:
        try:
            alert = await self.store.get_alert(alert_id)
        except NotFound:
            raise ApprovalError(f"no alert {alert_id}") from None
        if alert.status is not AlertStatus.PENDING_APPROVAL:
            raise ApprovalError(f"alert {alert_id} is {alert.status.value}, not pending approval")
        return alert
