"""The grid platform's callbacks: ``accepted``, ``dispatched``, ``resolved`` (docs/grid.md).

A callback is a signed JSON POST (the same HMAC scheme as our deliveries, with the platform's
``callback_secret``). It is verified, validated, and applied idempotently: a lead only moves
forward (delivered → accepted → dispatched → resolved → verified → closed), so a repeated or late
callback changes nothing. ``resolved`` asks a :class:`VerificationRequester` for a revisit; its
outcome (:meth:`GridCallbacks.verified`) goes back to the platform with before/after snapshots and,
when the scene is clear, closes the lead and — once all its leads are done — the incident.

The HTTP route that calls :meth:`GridCallbacks.handle` belongs to the API; this module does no I/O
besides the store.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mission.grid_payloads import SIGNATURE_HEADER, TIMESTAMP_HEADER, lead_verified_message, signature_ok
from mission.lead_settings import GridSettings
from mission.leads import lead_write_lock
from mission.model import Incident, IncidentStatus, Lead, LeadStatus, utc_now
from mission.ports import MissionStore, NotFound

log = logging.getLogger(__name__)

#: How far a lead has come; callbacks never move it backwards.
RANK: dict[LeadStatus, int] = {
    LeadStatus.APPROVED: 0,
    LeadStatus.DELIVERED: 1,
    LeadStatus.ACCEPTED: 2,
    LeadStatus.DISPATCHED: 3,
    LeadStatus.RESOLVED: 4,
    LeadStatus.VERIFIED: 5,
    LeadStatus.CLOSED: 6,
}
DONE = (LeadStatus.VERIFIED, LeadStatus.CLOSED, LeadStatus.REJECTED)


class CallbackType(StrEnum):
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    RESOLVED = "resolved"

    @property
    def lead_status(self) -> LeadStatus:
        return LeadStatus(self.value)


class CallbackBody(BaseModel):
    """What the platform sends. ``lead_id`` or our ``idempotency_key`` names the lead."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: str = Field(min_length=1, max_length=128)
    type: CallbackType
    lead_id: str | None = Field(None, max_length=64)
    idempotency_key: str | None = Field(None, max_length=128)
    case_id: str | None = Field(None, max_length=128)
    at: datetime | None = None
    note: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def _names_a_lead(self) -> CallbackBody:
        if not self.lead_id and not self.idempotency_key:
            raise ValueError("lead_id or idempotency_key is required")
        return self

    def lead_ref(self) -> str:
        if self.lead_id:
            return self.lead_id
        key = self.idempotency_key or ""
        return key.removeprefix("lead-").split("-", 1)[0]


class CallbackError(Exception):
    """A refused callback; ``status_code`` is the HTTP answer (401, 404, 409, 422)."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(reason)
        self.status_code, self.reason = status_code, reason


@dataclass(frozen=True)
class CallbackResult:
    lead_id: str
    status: LeadStatus
    changed: bool  # False: a repeated or late callback (idempotent no-op)


class VerificationRequester(Protocol):
    """Sends a drone to look again at a lead the platform reports resolved (the mission planner
    implements it). Returns the verification mission's id, or None when nothing can go now (the
    request is then repeated by :meth:`GridCallbacks.pending_verifications`)."""

    async def request_verification(self, lead: Lead) -> str | None: ...


class GridCallbacks:
    def __init__(
        self,
        store: MissionStore,
        grid: GridSettings,
        verifier: VerificationRequester,
        *,
        clock: Callable[[], datetime] = utc_now,
        wall_time: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.grid, self.verifier = store, grid, verifier
        self.clock, self.wall_time = clock, wall_time

    def _verify(self, body: bytes, headers: Mapping[str, str]) -> CallbackBody:
        lower = {k.lower(): v for k, v in headers.items()}
        secret = self.grid.callback_secret.get_secret_value()
        if not secret:
            raise CallbackError(401, "callbacks are refused: no callback_secret configured")
        ts = lower.get(TIMESTAMP_HEADER.lower(), "")
        given = lower.get(SIGNATURE_HEADER.lower(), "")
        if not signature_ok(secret, ts, body, given, self.wall_time(), self.grid.signature_tolerance_s):
            raise CallbackError(401, "bad or missing signature, or a stale timestamp")
        try:
            return CallbackBody.model_validate(json.loads(body))
        except json.JSONDecodeError as exc:
            raise CallbackError(422, f"body is not JSON: {exc.msg}") from None
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(body)"
            raise CallbackError(422, f"{where}: {err['msg']}") from None

    async def handle(self, body: bytes, headers: Mapping[str, str]) -> CallbackResult:
        """Verify and apply one callback; raises :class:`CallbackError` with the HTTP status."""
        cb = self._verify(body, headers)
        async with lead_write_lock(self.store):
            try:
                lead = await self.store.get_lead(cb.lead_ref())
            except NotFound:
                raise CallbackError(404, f"no lead {cb.lead_ref()}") from None
            if lead.status not in RANK:
                raise CallbackError(409, f"lead {lead.id} is {lead.status}: it was never sent")
            history = list(lead.details.get("platform_events", []))
            seen = any(e.get("event_id") == cb.event_id for e in history)
            if seen or RANK[cb.type.lead_status] <= RANK[lead.status]:
                return CallbackResult(lead.id, lead.status, changed=False)
            lead.status = cb.type.lead_status
            if cb.case_id:
                lead.platform_case_id = cb.case_id
            at = (cb.at or self.clock()).isoformat()
            history.append({"event_id": cb.event_id, "type": str(cb.type), "at": at, "note": cb.note})
            lead.details["platform_events"] = history
            await self.store.update_lead(lead)  # stored before acted on
        await self._move_incident(lead, cb.type)
        if cb.type is CallbackType.RESOLVED:
            await self._request_verification(lead)
        log.info("grid callback %s: lead %s is %s", cb.event_id, lead.id, lead.status)
        return CallbackResult(lead.id, lead.status, changed=True)

    async def _incident(self, lead: Lead) -> Incident | None:
        if lead.incident_id is None:
            return None
        try:
            return await self.store.get_incident(lead.incident_id)
        except NotFound:
            return None

    async def _move_incident(self, lead: Lead, kind: CallbackType) -> None:
        incident = await self._incident(lead)
        if incident is None or incident.status is IncidentStatus.CLOSED:
            return
        target = IncidentStatus.RESOLVED if kind is CallbackType.RESOLVED else IncidentStatus.REPORTED
        order = list(IncidentStatus)
        if order.index(target) > order.index(incident.status):
            incident.status, incident.updated_at = target, self.clock()
            await self.store.update_incident(incident)

    async def _request_verification(self, lead: Lead) -> None:
        try:
            mission_id = await self.verifier.request_verification(lead)
        except Exception:  # the callback is stored; pending_verifications() asks again
            log.exception("verification of lead %s could not be requested", lead.id)
            return
        if mission_id is None:
            return
        async with lead_write_lock(self.store):
            fresh = await self.store.get_lead(lead.id)
            fresh.details["verification_mission_id"] = mission_id
            await self.store.update_lead(fresh)

    async def pending_verifications(self) -> int:
        """Ask again for every resolved lead without a verification mission (after a restart, or
        when no drone could go); returns how many were requested."""
        asked = 0
        for lead in await self.store.list_leads(status=LeadStatus.RESOLVED, limit=1000):
            if "verification_mission_id" not in lead.details:
                await self._request_verification(lead)
                asked += 1
        return asked

    async def verified(self, lead_id: str, after_jpeg: bytes | None, cleared: bool) -> Lead:
        """The revisit's outcome. Cleared: the lead is verified and the platform told (before/after
        snapshots); once every lead of the incident is done, leads and incident close. Not cleared:
        the platform is told and the lead goes back to *dispatched* (the case is reopened)."""
        async with lead_write_lock(self.store):
            lead = await self.store.get_lead(lead_id)
            if lead.status is not LeadStatus.RESOLVED:
                raise CallbackError(409, f"lead {lead_id} is {lead.status}, not resolved")
            attempt = int(lead.details.get("verifications", 0)) + 1
            lead.details["verifications"] = attempt
            lead.details["verified_at"] = self.clock().isoformat()
            lead.details["verification_cleared"] = cleared
            if after_jpeg is not None:
                lead.details["after_snapshot_b64"] = base64.b64encode(after_jpeg).decode()
            if not cleared:  # the next "resolved" asks for a new revisit
                lead.details.pop("verification_mission_id", None)
            incident = await self._incident(lead)
            message = lead_verified_message(
                lead, incident, lead.snapshot_jpeg, after_jpeg, cleared, self.grid, attempt, self.clock()
            )
            lead.status = LeadStatus.VERIFIED if cleared else LeadStatus.DISPATCHED
            await self.store.update_lead(lead, message)
            if cleared:
                await self._close_if_done(lead, incident)
            return await self.store.get_lead(lead_id)

    async def _close_if_done(self, lead: Lead, incident: Incident | None) -> None:
        siblings = (
            [lead] if incident is None else await self.store.list_leads(incident_id=incident.id, limit=1000)
        )
        if any(x.status not in DONE for x in siblings):
            return
        for x in siblings:
            if x.status is LeadStatus.VERIFIED:
                x.status = LeadStatus.CLOSED
                await self.store.update_lead(x)
        if incident is not None and incident.status is not IncidentStatus.CLOSED:
            now = self.clock()
            incident.status, incident.updated_at, incident.closed_at = IncidentStatus.CLOSED, now, now
            await self.store.update_incident(incident)
