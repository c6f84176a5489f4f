"""An in-memory :class:`mission.ports.MissionStore` for unit tests of pure mission logic.

It honours the Protocol's contract where tests rely on it: copies in and out (callers cannot change
stored rows behind its back), :class:`NotFound` for unknown ids, append-only events with the next
``seq``. The SQL store is tested against real databases elsewhere."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from mission.model import (
    Alert,
    AlertStatus,
    ApiToken,
    AuditEntry,
    DispatchDecision,
    Incident,
    IncidentStatus,
    Lead,
    LeadStatus,
    Mission,
    MissionEvent,
    OutboxMessage,
    OutboxStatus,
)
from mission.ports import MissionStore, NotFound, StoreError

T = TypeVar("T")


def _get(table: dict[str, T], key: str, what: str) -> T:
    try:
        return copy.deepcopy(table[key])
    except KeyError:
        raise NotFound(f"no {what} {key}") from None


def _latest(rows: list[T], limit: int) -> list[T]:
    return [copy.deepcopy(r) for r in reversed(rows)][:limit]


class FakeStore:
    """Dictionaries behind the MissionStore Protocol."""

    def __init__(self) -> None:
        self.alerts: dict[str, Alert] = {}
        self.incidents: dict[str, Incident] = {}
        self.missions: dict[str, Mission] = {}
        self.events: dict[str, list[MissionEvent]] = {}
        self.decisions: dict[str, DispatchDecision] = {}
        self.leads: dict[str, Lead] = {}
        self.messages: dict[str, OutboxMessage] = {}
        self.audit: list[AuditEntry] = []
        self.tokens: dict[str, ApiToken] = {}
        self.fleet_state: dict[str, Any] | None = None
        self.closed = False

    async def close(self) -> None:
        self.closed = True

    async def add_alert(self, alert: Alert) -> None:
        if alert.id in self.alerts:
            raise StoreError(f"alert {alert.id} exists")
        self.alerts[alert.id] = copy.deepcopy(alert)

    async def get_alert(self, alert_id: str) -> Alert:
        return _get(self.alerts, alert_id, "alert")

    async def find_alert_by_external_id(self, source: str, external_id: str) -> Alert | None:
        for a in self.alerts.values():
            if a.source == source and a.external_id == external_id:
                return copy.deepcopy(a)
        return None

    async def list_alerts(self, status: AlertStatus | None = None, limit: int = 100) -> list[Alert]:
        return _latest([a for a in self.alerts.values() if status is None or a.status is status], limit)

    async def update_alert(self, alert: Alert) -> None:
        _get(self.alerts, alert.id, "alert")
        self.alerts[alert.id] = copy.deepcopy(alert)

    async def add_incident(self, incident: Incident) -> None:
        if incident.id in self.incidents:
            raise StoreError(f"incident {incident.id} exists")
        self.incidents[incident.id] = copy.deepcopy(incident)

    async def get_incident(self, incident_id: str) -> Incident:
        return _get(self.incidents, incident_id, "incident")

    async def list_incidents(
        self, statuses: Sequence[IncidentStatus] | None = None, limit: int = 100
    ) -> list[Incident]:
        rows = [i for i in self.incidents.values() if statuses is None or i.status in statuses]
        return _latest(rows, limit)

    async def update_incident(self, incident: Incident) -> None:
        _get(self.incidents, incident.id, "incident")
        self.incidents[incident.id] = copy.deepcopy(incident)

    async def add_mission(self, mission: Mission, first_event: MissionEvent) -> None:
        if mission.id in self.missions:
            raise StoreError(f"mission {mission.id} exists")
        self.missions[mission.id] = copy.deepcopy(mission)
        self.events[mission.id] = [first_event]

    async def get_mission(self, mission_id: str) -> Mission:
        return _get(self.missions, mission_id, "mission")

    async def list_missions(self, active_only: bool = False, limit: int = 100) -> list[Mission]:
        rows = [m for m in self.missions.values() if not (active_only and m.state.terminal)]
        return _latest(rows, limit)

    async def append_event(self, event: MissionEvent, mission: Mission | None = None) -> None:
        log = self.events.get(event.mission_id)
        if log is None:
            raise NotFound(f"no mission {event.mission_id}")
        if event.seq != len(log) + 1:
            raise StoreError(f"event seq {event.seq} is not the next one ({len(log) + 1})")
        log.append(event)
        if mission is not None:
            self.missions[mission.id] = copy.deepcopy(mission)

    async def mission_events(self, mission_id: str) -> list[MissionEvent]:
        return list(self.events.get(mission_id, []))

    async def unfinished_missions(self) -> list[Mission]:
        return [copy.deepcopy(m) for m in self.missions.values() if not m.state.terminal]

    async def add_decision(self, decision: DispatchDecision) -> None:
        self.decisions[decision.mission_id] = decision

    async def get_decision(self, mission_id: str) -> DispatchDecision | None:
        return self.decisions.get(mission_id)

    async def add_lead(self, lead: Lead, outbox: OutboxMessage | None = None) -> None:
        self.leads[lead.id] = copy.deepcopy(lead)
        if outbox is not None:
            await self.enqueue(outbox)

    async def get_lead(self, lead_id: str) -> Lead:
        return _get(self.leads, lead_id, "lead")

    async def list_leads(
        self, status: LeadStatus | None = None, incident_id: str | None = None, limit: int = 100
    ) -> list[Lead]:
        rows = [
            lead
            for lead in self.leads.values()
            if (status is None or lead.status is status)
            and (incident_id is None or lead.incident_id == incident_id)
        ]
        return _latest(rows, limit)

    async def update_lead(self, lead: Lead, outbox: OutboxMessage | None = None) -> None:
        _get(self.leads, lead.id, "lead")
        self.leads[lead.id] = copy.deepcopy(lead)
        if outbox is not None:
            await self.enqueue(outbox)

    async def enqueue(self, message: OutboxMessage) -> None:
        if any(m.idempotency_key == message.idempotency_key for m in self.messages.values()):
            return
        self.messages[message.id] = copy.deepcopy(message)

    async def due_messages(self, now: datetime, limit: int = 20) -> list[OutboxMessage]:
        due = [
            m for m in self.messages.values() if m.status is OutboxStatus.PENDING and m.next_attempt_at <= now
        ]
        due.sort(key=lambda m: m.next_attempt_at)
        return [copy.deepcopy(m) for m in due[:limit]]

    async def update_message(self, message: OutboxMessage) -> None:
        _get(self.messages, message.id, "outbox message")
        self.messages[message.id] = copy.deepcopy(message)

    async def list_messages(self, limit: int = 100) -> list[OutboxMessage]:
        return _latest(list(self.messages.values()), limit)

    async def add_audit(self, entry: AuditEntry) -> None:
        self.audit.append(entry)

    async def list_audit(self, limit: int = 100) -> list[AuditEntry]:
        return _latest(self.audit, limit)

    async def add_token(self, token: ApiToken) -> None:
        self.tokens[token.id] = token

    async def find_token(self, token_hash: str) -> ApiToken | None:
        return next((t for t in self.tokens.values() if t.token_hash == token_hash), None)

    async def list_tokens(self) -> list[ApiToken]:
        return list(self.tokens.values())

    async def revoke_token(self, token_id: str, at: datetime) -> None:
        token = _get(self.tokens, token_id, "token")
        self.tokens[token_id] = replace(token, revoked_at=at)

    async def save_fleet_state(self, document: dict[str, Any]) -> None:
        self.fleet_state = copy.deepcopy(document)

    async def load_fleet_state(self) -> dict[str, Any] | None:
        return copy.deepcopy(self.fleet_state)


def _conforms(store: FakeStore) -> MissionStore:
    """mypy checks that the fake honours the Protocol."""
    return store
