"""The SQL implementation of :class:`mission.ports.MissionStore` (SQLAlchemy 2, async).

Every method is one transaction. The mission event log is append-only: :meth:`append_event` checks
that ``seq`` is the next number, inserts the event and saves the mission row in the same transaction,
and a concurrent append of the same ``seq`` fails on the (mission_id, seq) primary key. Database
errors come out as :class:`~mission.ports.StoreError` (or :class:`~mission.ports.NotFound`) with a
one-line reason; nothing is half-written.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

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
    MissionState,
    OutboxMessage,
    OutboxStatus,
    utc_now,
)
from mission.ports import MissionStore, NotFound, StoreError
from mission.store import tables as t
from mission.store.codec import from_row, to_row
from mission.store.engine import create_store_engine, display_url
from mission.store.migrate import current_revision, head_revision, upgrade

M = TypeVar("M")
_TERMINAL = [s.value for s in MissionState if s.terminal]
_FLEET_ROW = 1


def _reason(exc: BaseException) -> str:
    """The driver's message, on one line."""
    orig = getattr(exc, "orig", None) or exc.__cause__ or exc
    return " ".join(str(orig).split())[:500]


class SqlMissionStore:
    """Mission control's durable state in SQLite or PostgreSQL. Open with :meth:`open`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.backend = engine.dialect.name

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True, echo: bool = False) -> SqlMissionStore:
        """Connect to ``url``. With ``migrate`` the schema is first brought up to the newest revision;
        without, a database at another revision is refused (run ``skyloop db upgrade``)."""
        if migrate:
            revision = await asyncio.to_thread(upgrade, url)
        else:
            revision = await asyncio.to_thread(current_revision, url)
        if revision != head_revision():
            raise StoreError(
                f"{display_url(url)}: schema revision {revision or 'none'}, this build needs "
                f"{head_revision()}: run `skyloop db upgrade`"
            )
        return cls(create_store_engine(url, echo=echo))

    async def close(self) -> None:
        await self._engine.dispose()

    @asynccontextmanager
    async def _tx(self, what: str) -> AsyncIterator[AsyncConnection]:
        """One transaction; database errors become StoreError naming ``what`` was attempted."""
        try:
            async with self._engine.begin() as conn:
                yield conn
        except StoreError:
            raise
        except IntegrityError as exc:
            raise StoreError(f"{what}: refused by a constraint: {_reason(exc)}") from exc
        except StatementError as exc:
            if isinstance(exc, DBAPIError):
                raise StoreError(f"{what}: database error: {_reason(exc)}") from exc
            raise StoreError(f"{what}: bad value: {_reason(exc)}") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"{what}: {_reason(exc)}") from exc
        except (TypeError, ValueError) as exc:  # a value the driver cannot encode (e.g. not JSON)
            raise StoreError(f"{what}: bad value: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"{what}: {exc}") from exc

    async def _insert(self, table: Table, obj: Any, what: str) -> None:
        async with self._tx(what) as conn:
            await conn.execute(insert(table), [to_row(obj)])

    async def _get(self, table: Table, cls: type[M], key: str, what: str) -> M:
        async with self._tx(what) as conn:
            row = (await conn.execute(select(table).where(table.c.id == key))).mappings().first()
        if row is None:
            raise NotFound(f"{what}: no {table.name} row with id {key!r}")
        return from_row(cls, row)

    async def _update(self, conn: AsyncConnection, table: Table, obj: Any, what: str) -> None:
        row = to_row(obj)
        result = await conn.execute(update(table).where(table.c.id == row["id"]).values(row))
        if result.rowcount == 0:
            raise NotFound(f"{what}: no {table.name} row with id {row['id']!r}")

    async def _list(self, cls: type[M], query: Any, what: str) -> list[M]:
        async with self._tx(what) as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [from_row(cls, row) for row in rows]

    # alerts and incidents

    async def add_alert(self, alert: Alert) -> None:
        await self._insert(t.alerts, alert, f"add alert {alert.id}")

    async def get_alert(self, alert_id: str) -> Alert:
        return await self._get(t.alerts, Alert, alert_id, "get alert")

    async def find_alert_by_external_id(self, source: str, external_id: str) -> Alert | None:
        q = select(t.alerts).where(t.alerts.c.source == source, t.alerts.c.external_id == external_id)
        found = await self._list(Alert, q, "find alert")
        return found[0] if found else None

    async def list_alerts(self, status: AlertStatus | None = None, limit: int = 100) -> list[Alert]:
        """Newest first."""
        q = select(t.alerts).order_by(t.alerts.c.received_at.desc(), t.alerts.c.id).limit(limit)
        if status is not None:
            q = q.where(t.alerts.c.status == status.value)
        return await self._list(Alert, q, "list alerts")

    async def update_alert(self, alert: Alert) -> None:
        async with self._tx(f"update alert {alert.id}") as conn:
            await self._update(conn, t.alerts, alert, "update alert")

    async def add_incident(self, incident: Incident) -> None:
        await self._insert(t.incidents, incident, f"add incident {incident.id}")

    async def get_incident(self, incident_id: str) -> Incident:
        return await self._get(t.incidents, Incident, incident_id, "get incident")

    async def list_incidents(
        self, statuses: Sequence[IncidentStatus] | None = None, limit: int = 100
    ) -> list[Incident]:
        """Newest first."""
        q = select(t.incidents).order_by(t.incidents.c.opened_at.desc(), t.incidents.c.id).limit(limit)
        if statuses is not None:
            q = q.where(t.incidents.c.status.in_([s.value for s in statuses]))
        return await self._list(Incident, q, "list incidents")

    async def update_incident(self, incident: Incident) -> None:
        async with self._tx(f"update incident {incident.id}") as conn:
            await self._update(conn, t.incidents, incident, "update incident")

    # missions, their append-only event log and dispatch decisions

    async def add_mission(self, mission: Mission, first_event: MissionEvent) -> None:
        """Insert a mission with its first event (seq 1) in one transaction."""
        what = f"add mission {mission.id}"
        if first_event.mission_id != mission.id or first_event.seq != 1:
            raise StoreError(f"{what}: the first event must be seq 1 of this mission")
        async with self._tx(what) as conn:
            await conn.execute(insert(t.missions), [to_row(mission)])
            await conn.execute(insert(t.mission_events), [to_row(first_event)])

    async def get_mission(self, mission_id: str) -> Mission:
        return await self._get(t.missions, Mission, mission_id, "get mission")

    async def list_missions(self, active_only: bool = False, limit: int = 100) -> list[Mission]:
        """Newest first; ``active_only`` leaves out closed, aborted and failed missions."""
        q = select(t.missions).order_by(t.missions.c.created_at.desc(), t.missions.c.id).limit(limit)
        if active_only:
            q = q.where(t.missions.c.state.not_in(_TERMINAL))
        return await self._list(Mission, q, "list missions")

    async def append_event(self, event: MissionEvent, mission: Mission | None = None) -> None:
        """Append one event (seq must be the last + 1) and, if given, save the mission row with it."""
        what = f"append event {event.seq} of mission {event.mission_id}"
        if mission is not None and mission.id != event.mission_id:
            raise StoreError(f"{what}: the mission row given is {mission.id}")
        async with self._tx(what) as conn:
            last = await conn.scalar(
                select(func.max(t.mission_events.c.seq)).where(
                    t.mission_events.c.mission_id == event.mission_id
                )
            )
            if last is None:
                raise NotFound(f"{what}: no such mission")
            if event.seq != last + 1:
                raise StoreError(f"{what}: out of order, the next seq is {last + 1}")
            await conn.execute(insert(t.mission_events), [to_row(event)])
            if mission is not None:
                await self._update(conn, t.missions, mission, what)

    async def mission_events(self, mission_id: str) -> list[MissionEvent]:
        """The mission's log in order (empty for an unknown mission)."""
        q = select(t.mission_events).where(t.mission_events.c.mission_id == mission_id)
        return await self._list(MissionEvent, q.order_by(t.mission_events.c.seq), "mission events")

    async def unfinished_missions(self) -> list[Mission]:
        """Missions not yet closed, aborted or failed, oldest first (to rebuild after a restart)."""
        q = select(t.missions).where(t.missions.c.state.not_in(_TERMINAL))
        q = q.order_by(t.missions.c.created_at, t.missions.c.id)
        return await self._list(Mission, q, "unfinished missions")

    async def add_decision(self, decision: DispatchDecision) -> None:
        """Keep a decision; a re-plan adds another and the newest is the mission's decision."""
        await self._insert(t.dispatch_decisions, decision, f"add decision for {decision.mission_id}")

    async def get_decision(self, mission_id: str) -> DispatchDecision | None:
        d = t.dispatch_decisions
        q = select(d).where(d.c.mission_id == mission_id).order_by(d.c.id.desc()).limit(1)
        found = await self._list(DispatchDecision, q, "get decision")
        return found[0] if found else None

    # leads and the grid-platform outbox

    async def add_lead(self, lead: Lead, outbox: OutboxMessage | None = None) -> None:
        async with self._tx(f"add lead {lead.id}") as conn:
            await conn.execute(insert(t.leads), [to_row(lead)])
            if outbox is not None:
                await conn.execute(insert(t.outbox), [to_row(outbox)])

    async def get_lead(self, lead_id: str) -> Lead:
        return await self._get(t.leads, Lead, lead_id, "get lead")

    async def list_leads(
        self, status: LeadStatus | None = None, incident_id: str | None = None, limit: int = 100
    ) -> list[Lead]:
        """Newest first."""
        q = select(t.leads).order_by(t.leads.c.detected_at.desc(), t.leads.c.id).limit(limit)
        if status is not None:
            q = q.where(t.leads.c.status == status.value)
        if incident_id is not None:
            q = q.where(t.leads.c.incident_id == incident_id)
        return await self._list(Lead, q, "list leads")

    async def update_lead(self, lead: Lead, outbox: OutboxMessage | None = None) -> None:
        async with self._tx(f"update lead {lead.id}") as conn:
            await self._update(conn, t.leads, lead, "update lead")
            if outbox is not None:
                await conn.execute(insert(t.outbox), [to_row(outbox)])

    async def enqueue(self, message: OutboxMessage) -> None:
        await self._insert(t.outbox, message, f"enqueue {message.topic} {message.idempotency_key}")

    async def due_messages(self, now: datetime, limit: int = 20) -> list[OutboxMessage]:
        """Pending messages with ``next_attempt_at <= now``, the earliest first (for one worker)."""
        o = t.outbox
        q = select(o).where(o.c.status == OutboxStatus.PENDING.value, o.c.next_attempt_at <= now)
        return await self._list(OutboxMessage, q.order_by(o.c.next_attempt_at, o.c.id).limit(limit), "due")

    async def claim_due_messages(self, now: datetime, lease_s: float, limit: int = 20) -> list[OutboxMessage]:
        """Like :meth:`due_messages`, for several workers: the messages returned are leased to the
        caller (their ``next_attempt_at`` moves ``lease_s`` ahead), so another worker does not pick them
        up unless this one dies. On PostgreSQL rows another worker is claiming are skipped
        (``FOR UPDATE SKIP LOCKED``); SQLite serialises writers anyway."""
        o = t.outbox
        q = select(o).where(o.c.status == OutboxStatus.PENDING.value, o.c.next_attempt_at <= now)
        q = q.order_by(o.c.next_attempt_at, o.c.id).limit(limit)
        if self.backend == "postgresql":
            q = q.with_for_update(skip_locked=True)
        async with self._tx("claim due messages") as conn:
            rows = (await conn.execute(q)).mappings().all()
            ids = [row["id"] for row in rows]
            if ids:
                lease_until = now + timedelta(seconds=lease_s)
                await conn.execute(update(o).where(o.c.id.in_(ids)).values(next_attempt_at=lease_until))
        return [from_row(OutboxMessage, row) for row in rows]

    async def update_message(self, message: OutboxMessage) -> None:
        async with self._tx(f"update message {message.id}") as conn:
            await self._update(conn, t.outbox, message, "update message")

    async def list_messages(self, limit: int = 100) -> list[OutboxMessage]:
        """Newest first."""
        q = select(t.outbox).order_by(t.outbox.c.created_at.desc(), t.outbox.c.id).limit(limit)
        return await self._list(OutboxMessage, q, "list messages")

    # security

    async def add_audit(self, entry: AuditEntry) -> None:
        await self._insert(t.audit_log, entry, f"add audit entry {entry.action}")

    async def list_audit(self, limit: int = 100) -> list[AuditEntry]:
        """Newest first."""
        q = select(t.audit_log).order_by(t.audit_log.c.at.desc(), t.audit_log.c.id).limit(limit)
        return await self._list(AuditEntry, q, "list audit")

    async def add_token(self, token: ApiToken) -> None:
        await self._insert(t.api_tokens, token, f"add token {token.name}")

    async def find_token(self, token_hash: str) -> ApiToken | None:
        """The token with this hash, revoked or not (the caller checks ``revoked_at``)."""
        q = select(t.api_tokens).where(t.api_tokens.c.token_hash == token_hash)
        found = await self._list(ApiToken, q, "find token")
        return found[0] if found else None

    async def list_tokens(self) -> list[ApiToken]:
        """Oldest first."""
        q = select(t.api_tokens).order_by(t.api_tokens.c.created_at, t.api_tokens.c.id)
        return await self._list(ApiToken, q, "list tokens")

    async def revoke_token(self, token_id: str, at: datetime) -> None:
        """Mark a token revoked at ``at`` (a token revoked earlier keeps its first time)."""
        tk = t.api_tokens
        async with self._tx(f"revoke token {token_id}") as conn:
            row = (await conn.execute(select(tk.c.revoked_at).where(tk.c.id == token_id))).first()
            if row is None:
                raise NotFound(f"revoke token: no token with id {token_id!r}")
            if row.revoked_at is None:
                await conn.execute(update(tk).where(tk.c.id == token_id).values(revoked_at=at))

    # fleet's last known state

    async def save_fleet_state(self, document: dict[str, Any]) -> None:
        fs = t.fleet_state
        async with self._tx("save fleet state") as conn:
            await conn.execute(delete(fs).where(fs.c.id == _FLEET_ROW))
            await conn.execute(insert(fs), [{"id": _FLEET_ROW, "document": document, "saved_at": utc_now()}])

    async def load_fleet_state(self) -> dict[str, Any] | None:
        fs = t.fleet_state
        async with self._tx("load fleet state") as conn:
            document = await conn.scalar(select(fs.c.document).where(fs.c.id == _FLEET_ROW))
        if document is not None and not isinstance(document, dict):
            raise StoreError(f"load fleet state: stored document is a {type(document).__name__}")
        return document


def _conforms(store: SqlMissionStore) -> MissionStore:
    """Never called: mypy checks here that the class implements the port."""
    return store
