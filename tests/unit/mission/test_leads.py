"""Leads from payload events: dedup across frames and drones, the review policy, store-before-act."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest

from mission.grid_payloads import lead_created_message, position
from mission.lead_settings import GridSettings, LeadSettings, ReviewRule
from mission.leads import LeadError, LeadIntake, distance_m, new_lead, revisit_outcome, sightings
from mission.model import AlertType, Incident, Lead, LeadStatus, OutboxStatus
from mission.outbox import OutboxWorker
from tests.unit.mission.fake_store import FakeStore
from tests.unit.mission.grid_helpers import LAT, LON, T0, ManualClock, detection, event, offset


def intake(store: FakeStore, clock: ManualClock, **settings: object) -> LeadIntake:
    return LeadIntake(store, LeadSettings.model_validate(settings), clock=clock)


def test_sightings_skip_detections_without_ground_position() -> None:
    ev = event(detection(lead_id="a"), detection(lead_id="b", georeferenced=False))
    found = sightings("D1", ev, T0)
    assert [s.source_key for s in found] == ["D1/a"]
    assert found[0].snapshot_jpeg == b"\xff\xd8jpeg-1\xff\xd9"
    assert found[0].details["t_peak_c"] == 420.0


def test_bad_snapshot_base64_keeps_the_lead_without_snapshot() -> None:
    ev = event(detection()).model_copy(update={"snapshot_jpeg_b64": "not base64!!"})
    (s,) = sightings("D1", ev, T0)
    assert s.snapshot_jpeg is None


async def test_frames_of_one_track_merge_keeping_best_confidence_and_snapshot() -> None:
    store, clock = FakeStore(), ManualClock()
    leads = intake(store, clock)
    await leads.ingest("D1", event(detection(confidence=0.85, frames=3), jpeg=b"first"))
    clock.advance(2)
    near = offset(LON, LAT, 3.0, 0.0)
    await leads.ingest(
        "D1", event(detection(confidence=0.95, frames=5, lon=near[0], lat=near[1]), jpeg=b"best")
    )
    clock.advance(2)
    await leads.ingest("D1", event(detection(confidence=0.9, frames=6), jpeg=b"later"))
    (lead,) = store.leads.values()
    assert lead.confidence == pytest.approx(0.95)
    assert lead.snapshot_jpeg == b"best"
    assert lead.frames_confirmed == 6  # a track's count is cumulative: not 3 + 5 + 6
    assert lead.details["sightings"] == 3


async def test_two_drones_within_the_larger_radius_merge_into_one_lead() -> None:
    store, clock = FakeStore(), ManualClock()
    leads = intake(store, clock, dedup_min_radius_m=0)
    await leads.ingest("D1", event(detection(uncertainty_m=5.0, frames=3, lead_id="x")))
    lon, lat = offset(LON, LAT, 15.0, 0.0)  # 15 m: outside 5 m, inside the other drone's 20 m
    await leads.ingest("D2", event(detection(uncertainty_m=20.0, frames=4, lead_id="y", lon=lon, lat=lat)))
    (lead,) = store.leads.values()
    assert lead.details["drones"] == ["D1", "D2"]
    assert lead.frames_confirmed == 7
    # the more certain position is kept
    assert (lead.lon_deg, lead.lat_deg, lead.uncertainty_m) == (LON, LAT, 5.0)


async def test_far_apart_other_class_or_late_sightings_make_new_leads() -> None:
    store, clock = FakeStore(), ManualClock()
    leads = intake(store, clock, dedup_min_radius_m=0, dedup_window_s=60)
    await leads.ingest("D1", event(detection(uncertainty_m=10.0)))
    far = offset(LON, LAT, 0.0, 25.0)  # beyond both 10 m radii
    await leads.ingest("D1", event(detection(uncertainty_m=10.0, lon=far[0], lat=far[1], lead_id="b")))
    await leads.ingest("D1", event(detection(label="smoke", uncertainty_m=10.0, lead_id="c")))
    clock.advance(61)
    await leads.ingest("D1", event(detection(uncertainty_m=10.0, lead_id="d")))
    assert len(store.leads) == 4


async def test_high_confidence_fire_goes_straight_out_stored_with_its_message() -> None:
    store, clock = FakeStore(), ManualClock()
    incident = Incident(type=AlertType.FIRE_SMOKE, lon_deg=LON, lat_deg=LAT, priority=1)
    await store.add_incident(incident)
    leads = intake(store, clock)
    (lead,) = await leads.ingest(
        "D1", event(detection(confidence=0.85)), mission_id="M1", incident_id=incident.id
    )
    assert store.leads[lead.id].status is LeadStatus.APPROVED
    assert store.leads[lead.id].reviewed_by == "policy"
    (message,) = store.messages.values()
    assert message.lead_id == lead.id and message.status is OutboxStatus.PENDING
    assert message.payload["lead"]["class"] == "fire"
    assert message.payload["incident"]["id"] == incident.id
    assert message.idempotency_key == message.payload["idempotency_key"]


async def test_others_wait_for_a_dispatcher_and_go_out_once_approved() -> None:
    store, clock = FakeStore(), ManualClock()
    leads = intake(store, clock)
    (person,) = await leads.ingest("D1", event(detection(label="person", confidence=0.99)))
    (weak_fire,) = await leads.ingest("D1", event(detection(confidence=0.6, lead_id="f")))
    assert {store.leads[x.id].status for x in (person, weak_fire)} == {LeadStatus.PENDING_REVIEW}
    assert not store.messages
    approved = await leads.approve(person.id, by="alice")
    assert approved.status is LeadStatus.APPROVED and store.leads[person.id].reviewed_by == "alice"
    assert [m.lead_id for m in store.messages.values()] == [person.id]
    with pytest.raises(LeadError, match="not waiting for review"):
        await leads.approve(person.id, by="bob")
    rejected = await leads.reject(weak_fire.id, by="bob", reason="a ginger cat")
    assert rejected.status is LeadStatus.REJECTED and len(store.messages) == 1
    with pytest.raises(LeadError, match="no lead"):
        await leads.reject("nope", by="bob")


async def test_a_pending_lead_whose_confidence_rises_goes_out_exactly_once() -> None:
    store, clock = FakeStore(), ManualClock()
    leads = intake(store, clock)
    (lead,) = await leads.ingest("D1", event(detection(confidence=0.6)))
    assert store.leads[lead.id].status is LeadStatus.PENDING_REVIEW
    await leads.ingest("D2", event(detection(confidence=0.9, lead_id="other")))
    await leads.ingest("D2", event(detection(confidence=0.95, lead_id="other")))
    assert store.leads[lead.id].status is LeadStatus.APPROVED
    assert len(store.messages) == 1


async def test_a_merge_never_moves_a_delivered_lead_back() -> None:
    store, clock = FakeStore(), ManualClock()
    leads = intake(store, clock)
    (lead,) = await leads.ingest("D1", event(detection(confidence=0.9)))
    stored = await store.get_lead(lead.id)
    stored.status = LeadStatus.DELIVERED  # what the outbox does meanwhile
    await store.update_lead(stored)
    await leads.ingest("D1", event(detection(confidence=0.97, frames=9)))
    after = store.leads[lead.id]
    assert after.status is LeadStatus.DELIVERED and after.confidence == pytest.approx(0.97)
    assert len(store.leads) == 1 and len(store.messages) == 1


async def test_a_restarted_intake_merges_into_stored_leads() -> None:
    store, clock = FakeStore(), ManualClock()
    await intake(store, clock).ingest("D1", event(detection()))
    again = intake(store, clock)
    await again.ingest("D2", event(detection(lead_id="z")))
    assert len(store.leads) == 1


async def test_closed_or_rejected_leads_take_no_new_sightings() -> None:
    store, clock = FakeStore(), ManualClock()
    leads = intake(store, clock)
    (lead,) = await leads.ingest("D1", event(detection(label="person")))
    await leads.reject(lead.id, by="alice")
    await leads.ingest("D1", event(detection(label="person", lead_id="again")))
    assert len(store.leads) == 2


def test_review_policy_per_class() -> None:
    s = LeadSettings(review={"fire": ReviewRule(auto_min=0.8), "crowd": ReviewRule(auto_min=0.0)})
    assert s.auto_send("fire", 0.8) and not s.auto_send("fire", 0.79)
    assert s.auto_send("crowd", 0.1)
    assert not s.auto_send("person", 1.0)  # default: a dispatcher decides


def test_grid_settings_refuse_unsafe_or_inconsistent_values() -> None:
    with pytest.raises(ValueError, match="webhook_url"):
        GridSettings(webhook_url="ftp://x")
    with pytest.raises(ValueError, match="snapshot_base_url"):
        GridSettings(snapshot="url")
    with pytest.raises(ValueError, match="needs a secret"):
        GridSettings(webhook_url="https://grid.example/leads")
    with pytest.raises(ValueError, match="needs a callback_secret"):
        GridSettings(callback_url="https://mc.example/api/v1/grid/callbacks")


def test_payload_has_wgs84_and_gcj02_positions_and_the_snapshot() -> None:
    p = position(LON, LAT)
    shift_m = distance_m(
        p["wgs84"]["lon_deg"], p["wgs84"]["lat_deg"], p["gcj02"]["lon_deg"], p["gcj02"]["lat_deg"]
    )
    assert 300.0 < shift_m < 900.0  # GCJ-02 is offset by hundreds of metres here (REFERENCE.md)
    store_lead = sightings("D1", event(detection(), jpeg=b"JPEG"), T0)[0]
    lead = new_lead(store_lead, "M1", None)
    inline = lead_created_message(lead, None, GridSettings()).payload
    assert base64.b64decode(inline["lead"]["snapshot"]["base64"]) == b"JPEG"
    assert inline["incident"] is None and inline["lead"]["measurements"] == {"t_peak_c": 420.0}
    by_url = lead_created_message(
        lead, None, GridSettings(snapshot="url", snapshot_base_url="https://mc/s/")
    ).payload
    assert by_url["lead"]["snapshot"] == {"format": "jpeg", "url": f"https://mc/s/{lead.id}/snapshot.jpg"}


class SlowStore(FakeStore):
    """Reads that take a while, so concurrent read-modify-writes interleave."""

    async def get_lead(self, lead_id: str) -> Lead:
        lead = await super().get_lead(lead_id)
        await asyncio.sleep(0.01)
        return lead


async def test_a_merge_and_a_delivery_at_the_same_time_both_stick() -> None:
    store, clock = SlowStore(), ManualClock()
    leads = intake(store, clock)
    (lead,) = await leads.ingest("D1", event(detection(confidence=0.9)))
    (message,) = store.messages.values()
    async with httpx.AsyncClient() as client:
        worker = OutboxWorker(store, GridSettings(), client, clock=clock)
        await asyncio.gather(
            leads.ingest("D2", event(detection(confidence=0.97, lead_id="b"))),
            worker._lead_delivered(message, "CASE-9"),
        )
    after = store.leads[lead.id]
    assert after.status is LeadStatus.DELIVERED and after.platform_case_id == "CASE-9"
    assert after.confidence == pytest.approx(0.97) and after.details["drones"] == ["D1", "D2"]


def test_a_revisit_is_cleared_unless_the_same_class_is_seen_near_the_lead() -> None:
    lead = new_lead(sightings("D1", event(detection(uncertainty_m=10.0)), T0)[0], None, None)
    far = offset(LON, LAT, 0.0, 200.0)
    elsewhere = event(detection(lon=far[0], lat=far[1]), jpeg=b"ELSEWHERE")
    other_class = event(detection(label="person"), jpeg=b"PERSON")
    assert revisit_outcome(lead, []) == (True, None)
    assert revisit_outcome(lead, [elsewhere, other_class]) == (True, b"PERSON")
    still = event(detection(confidence=0.7), jpeg=b"STILL")
    stronger = event(detection(confidence=0.9, lon=offset(LON, LAT, 5.0, 0.0)[0]), jpeg=b"STRONGER")
    assert revisit_outcome(lead, [elsewhere, still, stronger]) == (False, b"STRONGER")
