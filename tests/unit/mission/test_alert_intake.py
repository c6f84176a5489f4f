"""Alert intake: coordinate systems, area check, deduplication, policy, re-delivery, approval —
through the AlertIntake service on an in-memory store and the reference district."""

from __future__ import annotations

import math

import pytest

from geo.crs import wgs84_to_bd09, wgs84_to_cgcs2000, wgs84_to_gcj02
from mission.alert_intake import AlertIntake, ApprovalError
from mission.alerts import AlertInputError, IntakeAction
from mission.model import AlertStatus, AlertType, Incident, IncidentStatus
from tests.unit.mission.alert_helpers import (
    ManualClock,
    alert_settings,
    centre_wgs84,
    offset_wgs84,
    planning,
    reference_area,
)
from tests.unit.mission.fake_store import FakeStore


def make_intake() -> tuple[AlertIntake, FakeStore, ManualClock]:
    store, clock = FakeStore(), ManualClock()
    return AlertIntake(store, alert_settings(), reference_area(), clock), store, clock


def metres_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    frame = planning().district.frame
    ax, ay = frame.to_local(*a)
    bx, by = frame.to_local(*b)
    return math.hypot(ax - bx, ay - by)


@pytest.mark.parametrize(
    ("crs", "forward"),
    [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09), ("cgcs2000", wgs84_to_cgcs2000), ("wgs84", None)],
)
async def test_each_coordinate_system_lands_at_the_right_spot(crs: str, forward: object) -> None:
    intake, store, _ = make_intake()
    truth = centre_wgs84()
    sent = truth if forward is None else forward(*truth)  # type: ignore[operator]
    decision = await intake.submit(
        {"type": "fire_smoke", "lon": sent[0], "lat": sent[1], "crs": crs}, "video_ai"
    )
    stored = await store.get_alert(decision.alert.id)
    assert metres_apart((stored.lon_deg, stored.lat_deg), truth) < 0.5
    assert (stored.original_lon, stored.original_lat, stored.original_crs.value) == (sent[0], sent[1], crs)
    if crs in ("gcj02", "bd09"):  # the obfuscated systems really are hundreds of metres off
        assert metres_apart(sent, truth) > 100.0


async def test_the_source_default_crs_applies_when_the_alert_names_none() -> None:
    intake, _, _ = make_intake()
    truth = centre_wgs84()
    gcj = wgs84_to_gcj02(*truth)
    decision = await intake.submit({"type": "person_near_water", "lon": gcj[0], "lat": gcj[1]}, "smart_water")
    assert metres_apart((decision.alert.lon_deg, decision.alert.lat_deg), truth) < 0.5


async def test_new_fire_launches_and_is_stored_with_its_incident() -> None:
    intake, store, _ = make_intake()
    lon, lat = centre_wgs84()
    decision = await intake.submit({"type": "fire_smoke", "lon": lon, "lat": lat, "id": "VA-1"}, "video_ai")
    assert decision.action is IntakeAction.LAUNCH and decision.incident_is_new
    assert decision.incident is not None
    incident = await store.get_incident(decision.incident.id)
    assert incident.status is IncidentStatus.OPEN and incident.priority == 1
    alert = await store.get_alert(decision.alert.id)
    assert alert.status is AlertStatus.ACCEPTED and alert.incident_id == incident.id


async def test_duplicates_within_radius_and_window_join_one_incident() -> None:
    intake, store, clock = make_intake()
    first = await intake.submit({"type": "fire_smoke", **_at(0, 0)}, "video_ai")
    clock.advance(60)
    second = await intake.submit({"type": "fire_smoke", **_at(200, 150)}, "video_ai")
    assert second.action is IntakeAction.JOIN
    assert first.incident is not None and second.alert.incident_id == first.incident.id
    assert len(store.incidents) == 1 and len(store.alerts) == 2
    assert (await store.get_incident(first.incident.id)).updated_at == clock.now


async def test_not_a_duplicate_when_farther_later_or_of_another_type() -> None:
    intake, store, clock = make_intake()
    await intake.submit({"type": "fire_smoke", **_at(0, 0)}, "video_ai")
    far = await intake.submit({"type": "fire_smoke", **_at(800, 0)}, "video_ai")  # radius 500 m
    other = await intake.submit({"type": "crowd", **_at(10, 0)}, "video_ai")
    clock.advance(3601)  # the fire window is one hour
    late = await intake.submit({"type": "fire_smoke", **_at(0, 10)}, "video_ai")
    assert [d.action for d in (far, other, late)] == [
        IntakeAction.LAUNCH,
        IntakeAction.QUEUE,
        IntakeAction.LAUNCH,
    ]
    assert len(store.incidents) == 4


async def test_a_closed_incident_is_not_joined() -> None:
    intake, store, _ = make_intake()
    first = await intake.submit({"type": "fire_smoke", **_at(0, 0)}, "video_ai")
    assert first.incident is not None
    store.incidents[first.incident.id].status = IncidentStatus.CLOSED
    again = await intake.submit({"type": "fire_smoke", **_at(0, 0)}, "video_ai")
    assert again.action is IntakeAction.LAUNCH and again.incident_is_new


async def test_outside_the_district_and_out_of_reach_is_rejected_with_a_reason_and_stored() -> None:
    intake, store, _ = make_intake()
    decision = await intake.submit({"type": "fire_smoke", "lon": 113.30, "lat": 34.75}, "video_ai")
    assert decision.action is IntakeAction.REJECT
    assert decision.alert.reason is not None and "outside the district" in decision.alert.reason
    stored = await store.get_alert(decision.alert.id)
    assert stored.status is AlertStatus.REJECTED and stored.incident_id is None
    assert not store.incidents


async def test_just_outside_the_district_but_reachable_is_accepted() -> None:
    p = planning()
    boundary = p.district.boundary_m
    # a point 300 m outside the boundary, beyond the nearest vertex to some dock
    dock = p.docks[0]
    from shapely.geometry import Point
    from shapely.ops import nearest_points

    edge = nearest_points(boundary.exterior, Point(dock.x_m, dock.y_m))[0]
    ux, uy = edge.x - dock.x_m, edge.y - dock.y_m
    norm = math.hypot(ux, uy)
    x, y = edge.x + 300 * ux / norm, edge.y + 300 * uy / norm
    assert not boundary.covers(Point(x, y))
    lon, lat = p.district.frame.to_wgs84(x, y)
    intake, _, _ = make_intake()
    decision = await intake.submit({"type": "fire_smoke", "lon": lon, "lat": lat}, "video_ai")
    assert decision.action is IntakeAction.LAUNCH


async def test_policy_queues_a_street_vendor_for_approval_then_approval_launches() -> None:
    intake, store, _ = make_intake()
    queued = await intake.submit({"type": "street_vendor", **_at(0, 0)}, "video_ai")
    assert queued.action is IntakeAction.QUEUE
    assert (await store.get_alert(queued.alert.id)).status is AlertStatus.PENDING_APPROVAL
    approved = await intake.approve(queued.alert.id, "dispatcher-li")
    assert approved.action is IntakeAction.LAUNCH and approved.incident is not None
    stored = await store.get_alert(queued.alert.id)
    assert (stored.status, stored.decided_by) == (AlertStatus.APPROVED, "dispatcher-li")
    with pytest.raises(ApprovalError, match="not pending"):
        await intake.approve(queued.alert.id, "dispatcher-li")


async def test_rejecting_a_pending_alert_closes_its_incident() -> None:
    intake, store, _ = make_intake()
    queued = await intake.submit({"type": "crowd", **_at(0, 0)}, "video_ai")
    await intake.reject(queued.alert.id, "dispatcher-li", "a wedding, not a crowd")
    assert queued.incident is not None
    assert (await store.get_incident(queued.incident.id)).status is IncidentStatus.CLOSED
    assert (await store.get_alert(queued.alert.id)).reason == "a wedding, not a crowd"


async def test_a_redelivered_alert_is_recognised_by_its_source_id() -> None:
    intake, store, _ = make_intake()
    first = await intake.submit({"type": "fire_smoke", "id": "VA-9", **_at(0, 0)}, "video_ai")
    again = await intake.submit({"type": "fire_smoke", "id": "VA-9", **_at(0, 0)}, "video_ai")
    assert again.action is IntakeAction.ALREADY_SEEN and again.alert.id == first.alert.id
    assert len(store.alerts) == 1


@pytest.mark.parametrize(
    ("raw", "source", "field"),
    [
        ([1, 2], "video_ai", "body"),
        ({"type": "fire_smoke", "lon": 113.8, "lat": 34.8}, "nobody", "source"),
        ({"type": "meteor", "lon": 113.8, "lat": 34.8}, "video_ai", "type"),
        ({"type": "fire_smoke", "lat": 34.8}, "video_ai", "lon"),
        ({"type": "fire_smoke", "lon": "east", "lat": 34.8}, "video_ai", "lon"),
        ({"type": "fire_smoke", "lon": 213.8, "lat": 34.8}, "video_ai", "lon/lat"),
        ({"type": "fire_smoke", "lon": 113.8, "lat": 34.8, "crs": "utm"}, "video_ai", "crs"),
        ({"type": "fire_smoke", "lon": 113.8, "lat": 34.8}, "smart_water", "type"),
        (
            {"type": "fire_smoke", "lon": 113.8, "lat": 34.8, "occurred_at": "yesterday"},
            "video_ai",
            "occurred_at",
        ),
        (
            {"type": "fire_smoke", "lon": 113.8, "lat": 34.8, "occurred_at": "2026-12-04T07:00:00Z"},
            "video_ai",
            "occurred_at",
        ),
    ],
)
async def test_bad_input_is_refused_naming_the_field_and_stores_nothing(
    raw: object, source: str, field: str
) -> None:
    intake, store, _ = make_intake()
    with pytest.raises(AlertInputError) as info:
        await intake.submit(raw, source)
    assert info.value.field == field
    assert not store.alerts and not store.incidents and intake.invalid == 1


async def test_concurrent_copies_of_one_alert_open_one_incident() -> None:
    import asyncio

    intake, store, _ = make_intake()
    decisions = await asyncio.gather(
        *(intake.submit({"type": "fire_smoke", **_at(i, 0)}, "video_ai") for i in range(5))
    )
    assert sorted(d.action.value for d in decisions) == ["join"] * 4 + ["launch"]
    assert len(store.incidents) == 1


def test_priority_follows_the_type() -> None:
    s = alert_settings()
    assert s.policy(AlertType.FIRE_SMOKE).priority < s.policy(AlertType.STREET_VENDOR).priority


def _at(east_m: float, north_m: float) -> dict[str, float]:
    lon, lat = offset_wgs84(east_m, north_m)
    return {"lon": lon, "lat": lat}


async def test_the_shipped_config_reads_video_alerts_as_gcj02_and_queues_vendors() -> None:
    from mission.alert_intake import alert_area
    from mission.settings import load_settings

    settings = load_settings().alerts
    store = FakeStore()
    intake = AlertIntake(store, settings, alert_area(planning(), settings), ManualClock())
    truth = centre_wgs84()
    gcj = wgs84_to_gcj02(*truth)
    fire = await intake.submit({"type": "fire_smoke", "lon": gcj[0], "lat": gcj[1]}, "video_ai")
    assert fire.action is IntakeAction.LAUNCH
    assert metres_apart((fire.alert.lon_deg, fire.alert.lat_deg), truth) < 0.5
    vendor = await intake.submit({"type": "street_vendor", **_at(3000, 0)}, "video_ai")
    assert vendor.action is IntakeAction.QUEUE
    with pytest.raises(AlertInputError, match="may not send"):
        await intake.submit({"type": "fire_smoke", **_at(0, 0)}, "smart_water")


async def test_a_join_keeps_what_others_changed_on_the_incident() -> None:
    intake, store, clock = make_intake()
    first = await intake.submit({"type": "fire_smoke", **_at(0, 0)}, "video_ai")
    assert first.incident is not None
    store.incidents[first.incident.id].status = IncidentStatus.RESPONDING  # a mission took it on
    clock.advance(30)
    again = await intake.submit({"type": "fire_smoke", **_at(50, 0)}, "video_ai")
    assert again.action is IntakeAction.JOIN
    stored = await store.get_incident(first.incident.id)
    assert stored.status is IncidentStatus.RESPONDING and stored.updated_at == clock.now


async def test_incidents_opened_elsewhere_are_seen_after_the_cache_expires() -> None:
    store, clock = FakeStore(), ManualClock()
    intake = AlertIntake(store, alert_settings(), reference_area(), clock, incident_cache_s=0.0)
    await intake.submit({"type": "crowd", **_at(5000, 0)}, "video_ai")  # fills the cache
    lon, lat = offset_wgs84(0, 0)
    other = Incident(AlertType.FIRE_SMOKE, lon, lat, 1, opened_at=clock.now, updated_at=clock.now)
    await store.add_incident(other)  # e.g. a dispatcher's own incident
    joined = await intake.submit({"type": "fire_smoke", **_at(20, 0)}, "video_ai")
    assert joined.action is IntakeAction.JOIN and joined.alert.incident_id == other.id
