"""Everything the console's live stream shows, fed to a :class:`mission.api.live_hub.LiveHub`:

- :class:`LiveStore` wraps the :class:`mission.ports.MissionStore` that every service writes
  through (intake, dispatcher, runner, leads, outbox, callbacks) and publishes each stored
  mission, mission event, alert, incident, lead, grid-outbox message (queued, attempted,
  delivered, dead, retried) and audit entry *after* the write succeeded, as a copy of what was
  written (services change their objects in place afterwards) — so the stream never shows what the
  store does not hold, and no service needs a hook of its own (the live route sends the outbox and
  the audit log to admins only);
- :func:`follow_fleet` publishes the fleet manager's events (dock and drone changes);
- :func:`notify_live` is the executor's ``notify`` hook (``ExecutorDeps.notify``): an operator
  notice becomes a ``mission_event`` of kind ``notify`` (``seq`` 0: it is not in the event log).

Wiring (the composition root)::

    live = LiveHub()
    store = LiveStore(await SqlMissionStore.open(url), live)   # every service gets ``store``
    stop_following = follow_fleet(live, fleet_manager)
    deps = ExecutorDeps(store, ..., notify=notify_live(live))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from fleet.manager import FleetManager
from mission.api.live_hub import LiveHub
from mission.lifecycle_types import Notify
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
)
from mission.ports import MissionStore

#: The ``kind`` of a live-only mission event carrying an executor's notice.
NOTIFY_KIND = "notify"


def follow_fleet(live: LiveHub, fleet: FleetManager) -> Callable[[], None]:
    """Publish every fleet event; returns the function that stops it."""
    return live.follow_fleet(fleet)


def notify_live(live: LiveHub) -> Callable[[str, Notify], None]:
    """The executor's notify hook: each notice goes to the live stream (and the log)."""

    def notify(mission_id: str, notice: Notify) -> None:
        data = {"level": notice.level, "text": notice.text}
        live.publish(MissionEvent(mission_id, 0, NOTIFY_KIND, data=data))

    return notify


class LiveStore:
    """A :class:`MissionStore` that publishes every stored mission-control object to ``live``.
    Reads and the writes the console does not show (decisions, tokens, fleet state) pass straight
    through. A publish never fails a write: the hub does not block or raise."""

    def __init__(self, inner: MissionStore, live: LiveHub) -> None:
        self.inner = inner
        self.live = live

    async def close(self) -> None:
        await self.inner.close()

    # alerts and incidents
    async def add_alert(self, alert: Alert) -> None:
        await self.inner.add_alert(alert)
        self.live.publish(replace(alert))

    async def get_alert(self, alert_id: str) -> Alert:
        return await self.inner.get_alert(alert_id)

    async def find_alert_by_external_id(self, source: str, external_id: str) -> Alert | None:
        return await self.inner.find_alert_by_external_id(source, external_id)

    async def list_alerts(self, status: AlertStatus | None = None, limit: int = 100) -> list[Alert]:
        return await self.inner.list_alerts(status, limit)

    async def update_alert(self, alert: Alert) -> None:
        await self.inner.update_alert(alert)
        self.live.publish(replace(alert))

    async def add_incident(self, incident: Incident) -> None:
        await self.inner.add_incident(incident)
        self.live.publish(replace(incident))

    async def get_incident(self, incident_id: str) -> Incident:
        return await self.inner.get_incident(incident_id)

    async def list_incidents(
        self, statuses: Sequence[IncidentStatus] | None = None, limit: int = 100
    ) -> list[Incident]:
        return await self.inner.list_incidents(statuses, limit)

    async def update_incident(self, incident: Incident) -> None:
        await self.inner.update_incident(incident)
        self.live.publish(replace(incident))

    # missions, their event log and dispatch decisions
    async def add_mission(self, mission: Mission, first_event: MissionEvent) -> None:
        await self.inner.add_mission(mission, first_event)
        self.live.publish(replace(mission))
        self.live.publish(first_event)

    async def get_mission(self, mission_id: str) -> Mission:
        return await self.inner.get_mission(mission_id)

    async def list_missions(self, active_only: bool = False, limit: int = 100) -> list[Mission]:
        return await self.inner.list_missions(active_only, limit)

    async def append_event(self, event: MissionEvent, mission: Mission | None = None) -> None:
        await self.inner.append_event(event, mission)
        if mission is not None:
            self.live.publish(replace(mission))
        self.live.publish(event)

    async def mission_events(self, mission_id: str) -> list[MissionEvent]:
        return await self.inner.mission_events(mission_id)

    async def unfinished_missions(self) -> list[Mission]:
        return await self.inner.unfinished_missions()

    async def add_decision(self, decision: DispatchDecision) -> None:
        await self.inner.add_decision(decision)

    async def get_decision(self, mission_id: str) -> DispatchDecision | None:
        return await self.inner.get_decision(mission_id)

    # leads and the outbox
    async def add_lead(self, lead: Lead, outbox: OutboxMessage | None = None) -> None:
        await self.inner.add_lead(lead, outbox)
        self.live.publish(replace(lead, details=dict(lead.details)))
        self._publish_message(outbox)

    async def get_lead(self, lead_id: str) -> Lead:
        return await self.inner.get_lead(lead_id)

    async def list_leads(
        self, status: LeadStatus | None = None, incident_id: str | None = None, limit: int = 100
    ) -> list[Lead]:
        return await self.inner.list_leads(status, incident_id, limit)

    async def update_lead(self, lead: Lead, outbox: OutboxMessage | None = None) -> None:
        await self.inner.update_lead(lead, outbox)
        self.live.publish(replace(lead, details=dict(lead.details)))
        self._publish_message(outbox)

    def _publish_message(self, message: OutboxMessage | None) -> None:
        if message is not None:
            self.live.publish(replace(message, payload=dict(message.payload)))

    async def enqueue(self, message: OutboxMessage) -> None:
        await self.inner.enqueue(message)
        self._publish_message(message)

    async def due_messages(self, now: datetime, limit: int = 20) -> list[OutboxMessage]:
        return await self.inner.due_messages(now, limit)

    async def update_message(self, message: OutboxMessage) -> None:
        await self.inner.update_message(message)
        self._publish_message(message)

    async def list_messages(self, limit: int = 100) -> list[OutboxMessage]:
        return await self.inner.list_messages(limit)

    # security
    async def add_audit(self, entry: AuditEntry) -> None:
        await self.inner.add_audit(entry)
        self.live.publish(replace(entry, details=dict(entry.details)))

    async def list_audit(self, limit: int = 100) -> list[AuditEntry]:
        return await self.inner.list_audit(limit)

    async def add_token(self, token: ApiToken) -> None:
        await self.inner.add_token(token)

    async def find_token(self, token_hash: str) -> ApiToken | None:
        return await self.inner.find_token(token_hash)

    async def list_tokens(self) -> list[ApiToken]:
        return await self.inner.list_tokens()

    async def revoke_token(self, token_id: str, at: datetime) -> None:
        await self.inner.revoke_token(token_id, at)

    # fleet's last known state
    async def save_fleet_state(self, document: dict[str, Any]) -> None:
        await self.inner.save_fleet_state(document)

    async def load_fleet_state(self) -> dict[str, Any] | None:
        return await self.inner.load_fleet_state()


def _conforms(store: LiveStore) -> MissionStore:
    return store  # mypy checks that LiveStore honours the MissionStore Protocol
