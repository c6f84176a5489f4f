"""Leads: payload ``ai_detection`` events become :class:`~mission.model.Lead` objects.

A detection is a *sighting*. Sightings of the same class within the larger of the two uncertainty
radii (never less than ``dedup_min_radius_m``) and within ``dedup_window_s`` of the lead's last
sighting merge into one lead, across frames and across drones; the lead keeps the best confidence
(with its snapshot) and the most certain position. A lead is stored before anything else happens;
policy (:meth:`mission.lead_settings.LeadSettings.auto_send`) then either queues it in the outbox in
the same transaction or leaves it waiting for a dispatcher (:meth:`LeadIntake.approve`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from docks.protocol.payload import AiDetection, Detection
from mission.grid_payloads import lead_created_message
from mission.lead_settings import LeadSettings
from mission.model import Incident, Lead, LeadStatus, utc_now
from mission.ports import MissionStore, NotFound

log = logging.getLogger(__name__)

EARTH_RADIUS_M = 6_371_008.8
#: Statuses of a lead that new sightings may still merge into.
OPEN_STATUSES = (
    LeadStatus.NEW,
    LeadStatus.PENDING_REVIEW,
    LeadStatus.APPROVED,
    LeadStatus.DELIVERED,
    LeadStatus.ACCEPTED,
    LeadStatus.DISPATCHED,
)


_LOCKS: weakref.WeakKeyDictionary[MissionStore, asyncio.Lock] = weakref.WeakKeyDictionary()


def lead_write_lock(store: MissionStore) -> asyncio.Lock:
    """The one lock every read-modify-write of a lead holds (intake, outbox, callbacks), so that none
    of them saves a stale copy over another's change. One per store object, hence per process."""
    lock = _LOCKS.get(store)
    if lock is None:
        lock = _LOCKS[store] = asyncio.Lock()
    return lock


class LeadError(Exception):
    """A review action that is not possible (unknown lead, wrong status)."""


@dataclass(frozen=True)
class Sighting:
    """One georeferenced detection of one frame from one drone."""

    drone_id: str
    class_name: str
    confidence: float
    lon_deg: float
    lat_deg: float
    uncertainty_m: float
    at: datetime
    source_key: str  # drone + payload track: frames_confirmed of one track is cumulative
    frames_confirmed: int = 1
    snapshot_jpeg: bytes | None = None
    details: dict[str, Any] = field(default_factory=dict)


def distance_m(lon1_deg: float, lat1_deg: float, lon2_deg: float, lat2_deg: float) -> float:
    """Great-circle distance (haversine), metres.

    >>> round(distance_m(113.75, 34.80, 113.75, 34.81))
    1112
    """
    p1, p2 = math.radians(lat1_deg), math.radians(lat2_deg)
    dp, dl = p2 - p1, math.radians(lon2_deg - lon1_deg)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _snapshot(event: AiDetection) -> bytes | None:
    if not event.snapshot_jpeg_b64:
        return None
    try:
        return base64.b64decode(event.snapshot_jpeg_b64, validate=True)
    except (binascii.Error, ValueError):
        log.warning("ai_detection: snapshot is not valid base64; lead kept without it")
        return None


def _details(d: Detection, event: AiDetection) -> dict[str, Any]:
    keep = ("source", "camera", "t_peak_c", "area_m2", "count", "near_water_m", "track_id", "lead_id")
    out: dict[str, Any] = {k: getattr(d, k) for k in keep if getattr(d, k) is not None}
    out["frame_timestamp_ms"] = event.frame_timestamp_ms
    if event.flight_id:
        out["flight_id"] = event.flight_id
    return out


def sightings(drone_id: str, event: AiDetection, at: datetime) -> list[Sighting]:
    """The georeferenced detections of one event (those without a ground position are skipped)."""
    snapshot = _snapshot(event)
    found: list[Sighting] = []
    for d in event.detections:
        if d.latitude_deg is None or d.longitude_deg is None:
            continue
        track = d.lead_id or (
            f"track-{d.track_id}" if d.track_id is not None else f"{event.frame_timestamp_ms}"
        )
        found.append(
            Sighting(
                drone_id=drone_id,
                class_name=d.label,
                confidence=d.confidence,
                lon_deg=d.longitude_deg,
                lat_deg=d.latitude_deg,
                uncertainty_m=d.uncertainty_m or 0.0,
                at=at,
                source_key=f"{drone_id}/{track}",
                frames_confirmed=d.frames_confirmed or 1,
                snapshot_jpeg=snapshot,
                details=_details(d, event),
            )
        )
    return found


def last_seen(lead: Lead) -> datetime:
    text = lead.details.get("last_seen_at")
    return datetime.fromisoformat(text) if isinstance(text, str) else lead.detected_at


def matches(lead: Lead, s: Sighting, window_s: float, min_radius_m: float) -> bool:
    """Same class, close in time, and within the larger of the two uncertainty radii."""
    if lead.class_name != s.class_name or lead.status not in OPEN_STATUSES:
        return False
    if abs((s.at - last_seen(lead)).total_seconds()) > window_s:
        return False
    radius_m = max(lead.uncertainty_m, s.uncertainty_m, min_radius_m)
    return distance_m(lead.lon_deg, lead.lat_deg, s.lon_deg, s.lat_deg) <= radius_m


def new_lead(s: Sighting, mission_id: str | None, incident_id: str | None) -> Lead:
    return Lead(
        mission_id=mission_id,
        incident_id=incident_id,
        drone_id=s.drone_id,
        class_name=s.class_name,
        confidence=s.confidence,
        lon_deg=s.lon_deg,
        lat_deg=s.lat_deg,
        uncertainty_m=s.uncertainty_m,
        detected_at=s.at,
        frames_confirmed=s.frames_confirmed,
        snapshot_jpeg=s.snapshot_jpeg,
        details={
            **s.details,
            "drones": [s.drone_id],
            "sources": {s.source_key: s.frames_confirmed},
            "sightings": 1,
            "last_seen_at": s.at.isoformat(),
        },
    )


def merge(lead: Lead, s: Sighting) -> None:
    """Fold a sighting into a lead: best confidence and its snapshot, the most certain position."""
    d = lead.details
    sources: dict[str, int] = dict(d.get("sources", {}))
    sources[s.source_key] = max(sources.get(s.source_key, 0), s.frames_confirmed)
    d["sources"] = sources
    lead.frames_confirmed = sum(sources.values())
    drones: list[str] = list(d.get("drones", [lead.drone_id]))
    if s.drone_id not in drones:
        drones.append(s.drone_id)
    d["drones"] = drones
    d["sightings"] = int(d.get("sightings", 1)) + 1
    if s.at > last_seen(lead):
        d["last_seen_at"] = s.at.isoformat()
    if s.confidence > lead.confidence or (lead.snapshot_jpeg is None and s.snapshot_jpeg is not None):
        if s.confidence > lead.confidence:
            lead.confidence = s.confidence
        if s.snapshot_jpeg is not None:
            lead.snapshot_jpeg = s.snapshot_jpeg
    if s.uncertainty_m < lead.uncertainty_m:
        lead.lon_deg, lead.lat_deg, lead.uncertainty_m = s.lon_deg, s.lat_deg, s.uncertainty_m


class LeadIntake:
    """Turns payload events into stored leads, applies the review policy, and queues what goes out."""

    def __init__(
        self, store: MissionStore, settings: LeadSettings, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self._open: list[Lead] = []
        self._loaded = False
        self._lock = lead_write_lock(store)

    async def load(self) -> None:
        """Read the open leads back from the store (after a restart) so new sightings merge into
        them; the first :meth:`ingest` does it when nobody called it."""
        async with self._lock:
            await self._load()

    async def _load(self) -> None:
        leads: list[Lead] = []
        for status in OPEN_STATUSES:
            leads.extend(await self.store.list_leads(status=status, limit=1000))
        self._open, self._loaded = leads, True

    async def ingest(
        self,
        drone_id: str,
        event: AiDetection,
        mission_id: str | None = None,
        incident_id: str | None = None,
    ) -> list[Lead]:
        """Store the event's sightings as new or merged leads; return the leads created or changed."""
        changed: dict[str, Lead] = {}
        async with self._lock:
            if not self._loaded:
                await self._load()
            now = self.clock()
            self._forget_older_than(now)
            for s in sightings(drone_id, event, now):
                lead = await self._match(s)
                if lead is None:
                    lead = new_lead(s, mission_id, incident_id)
                    await self._store_new(lead)
                    self._open.append(lead)
                else:
                    merge(lead, s)
                    await self._store_merged(lead)
                    self._replace(lead)
                changed[lead.id] = lead
        return list(changed.values())

    async def _match(self, s: Sighting) -> Lead | None:
        """The open lead this sighting belongs to, as stored now (the outbox or a platform callback
        may have moved it on since it was cached)."""
        for cached in [x for x in self._open if self._matches(x, s)]:
            try:
                lead = await self.store.get_lead(cached.id)
            except NotFound:
                lead = cached
            if self._matches(lead, s):
                return lead
            self._open = [x for x in self._open if x.id != cached.id]
        return None

    def _matches(self, lead: Lead, s: Sighting) -> bool:
        return matches(lead, s, self.settings.dedup_window_s, self.settings.dedup_min_radius_m)

    def _forget_older_than(self, now: datetime) -> None:
        horizon = now - timedelta(seconds=self.settings.dedup_window_s)
        self._open = [x for x in self._open if last_seen(x) >= horizon and x.status in OPEN_STATUSES]

    async def _incident(self, lead: Lead) -> Incident | None:
        if lead.incident_id is None:
            return None
        try:
            return await self.store.get_incident(lead.incident_id)
        except NotFound:
            return None

    async def _store_new(self, lead: Lead) -> None:
        if self.settings.auto_send(lead.class_name, lead.confidence):
            lead.status, lead.reviewed_by = LeadStatus.APPROVED, "policy"
            outbox = lead_created_message(lead, await self._incident(lead), self.settings.grid, self.clock())
            await self.store.add_lead(lead, outbox)
        else:
            lead.status = LeadStatus.PENDING_REVIEW
            await self.store.add_lead(lead)
        log.info("lead %s: %s %.2f %s", lead.id, lead.class_name, lead.confidence, lead.status)

    async def _store_merged(self, lead: Lead) -> None:
        """A pending lead whose confidence now passes the policy goes out; nothing is sent twice."""
        if lead.status is LeadStatus.PENDING_REVIEW and self.settings.auto_send(
            lead.class_name, lead.confidence
        ):
            lead.status, lead.reviewed_by = LeadStatus.APPROVED, "policy"
            outbox = lead_created_message(lead, await self._incident(lead), self.settings.grid, self.clock())
            await self.store.update_lead(lead, outbox)
        else:
            await self.store.update_lead(lead)

    # -- a dispatcher's review --------------------------------------------------------------------

    async def _pending(self, lead_id: str) -> Lead:
        try:
            lead = await self.store.get_lead(lead_id)
        except NotFound:
            raise LeadError(f"no lead {lead_id}") from None
        if lead.status not in (LeadStatus.NEW, LeadStatus.PENDING_REVIEW):
            raise LeadError(f"lead {lead_id} is {lead.status}, not waiting for review")
        return lead

    def _replace(self, lead: Lead) -> None:
        self._open = [lead if x.id == lead.id else x for x in self._open]

    async def approve(self, lead_id: str, by: str) -> Lead:
        """A dispatcher sends a waiting lead to the grid platform (stored and queued together)."""
        async with self._lock:
            lead = await self._pending(lead_id)
            lead.status, lead.reviewed_by = LeadStatus.APPROVED, by
            outbox = lead_created_message(lead, await self._incident(lead), self.settings.grid, self.clock())
            await self.store.update_lead(lead, outbox)
            self._replace(lead)
            return lead

    async def reject(self, lead_id: str, by: str, reason: str = "") -> Lead:
        """A dispatcher discards a waiting lead (a false alarm); it is kept, marked rejected."""
        async with self._lock:
            lead = await self._pending(lead_id)
            lead.status, lead.reviewed_by = LeadStatus.REJECTED, by
            if reason:
                lead.details["rejected_reason"] = reason
            await self.store.update_lead(lead)
            self._open = [x for x in self._open if x.id != lead.id]
            return lead


def revisit_outcome(
    lead: Lead, events: list[AiDetection], min_radius_m: float = 10.0
) -> tuple[bool, bytes | None]:
    """What a verification revisit saw: (cleared, after snapshot).

    Not cleared when any detection of the lead's class lies within the larger of the two uncertainty
    radii (and ``min_radius_m``); the after snapshot is then the most confident such frame. Cleared
    otherwise, with the snapshot of the last event, if any: the payload publishes only frames with
    detections, so a clear scene usually comes back without a picture.
    """
    best: Sighting | None = None
    for ev in events:
        for s in sightings(lead.drone_id, ev, lead.detected_at):
            radius_m = max(lead.uncertainty_m, s.uncertainty_m, min_radius_m)
            near = distance_m(lead.lon_deg, lead.lat_deg, s.lon_deg, s.lat_deg) <= radius_m
            if s.class_name == lead.class_name and near and (best is None or s.confidence > best.confidence):
                best = s
    if best is not None:
        return False, best.snapshot_jpeg
    last = _snapshot(events[-1]) if events else None
    return True, last
