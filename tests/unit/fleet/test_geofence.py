"""The keep-out zones as an autopilot geofence: polygons, settings, the reference zones in WGS84, and the
per-drone task that uploads on connect and after every reconnect (a failure is reported and retried)."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from fleet.drone_model import LinkState
from fleet.errors import CommandTimeout
from fleet.geofence import (
    FencePolygon,
    GeofenceError,
    GeofencePlan,
    GeofenceSettings,
    plan_from_keepouts,
    same_polygons,
)
from fleet.geofence_sync import FenceState, GeofenceStatus, keep_geofence
from mission.geo_config import load_district
from mission.settings import load_settings

KEEPOUT = Path(__file__).resolve().parents[3] / "config" / "keepout.geojson"
RING = ((113.76, 34.75), (113.78, 34.75), (113.78, 34.76), (113.76, 34.76))


def test_a_polygon_drops_its_closing_vertex_and_refuses_what_is_not_a_ring() -> None:
    assert FencePolygon("z", (*RING, RING[0])).ring_lon_lat == RING
    with pytest.raises(GeofenceError, match="3 distinct"):
        FencePolygon("z", (RING[0], RING[1], RING[0]))
    with pytest.raises(GeofenceError, match="WGS84"):
        FencePolygon("z", ((34.75, 113.76), (200.0, 34.75), (113.78, 34.76)))


def test_settings_give_the_gf_params_and_refuse_termination() -> None:
    assert GeofenceSettings().params() == (("GF_PREDICT", 1), ("GF_ACTION", 2))
    s = GeofenceSettings(action=5, predict=None, source=1, max_hor_dist_m=8000)
    assert s.params() == (("GF_SOURCE", 1), ("GF_MAX_HOR_DIST", 8000.0), ("GF_ACTION", 5))
    with pytest.raises(ValidationError, match="terminate"):
        GeofenceSettings(action=4)
    with pytest.raises(ValidationError):
        GeofenceSettings(action=6)


def test_the_reference_zones_come_back_to_their_geojson_vertices() -> None:
    district = load_district(load_settings())
    plan = plan_from_keepouts(district.keepouts, district.frame, GeofenceSettings())
    doc = json.loads(KEEPOUT.read_text(encoding="utf-8"))
    expected = [
        FencePolygon(f["properties"]["id"], tuple(tuple(c) for c in f["geometry"]["coordinates"][0]))
        for f in doc["features"]
    ]
    assert [p.zone_id for p in plan.polygons] == [p.zone_id for p in expected]
    assert all(not p.inclusion for p in plan.polygons)
    assert same_polygons(expected, plan.polygons)


def test_same_polygons_tolerates_dege7_rounding_only() -> None:
    a = [FencePolygon("z", RING)]
    assert same_polygons(a, [FencePolygon("x", tuple((lon + 1e-7, lat) for lon, lat in RING))])
    assert not same_polygons(a, [FencePolygon("x", tuple((lon + 1e-5, lat) for lon, lat in RING))])
    assert not same_polygons(a, [FencePolygon("z", RING, inclusion=True)])
    assert not same_polygons(a, [])


class Drone:
    """Just what keep_geofence uses of a DroneLink; ``failures`` uploads fail first."""

    def __init__(self, state: LinkState, failures: int = 0) -> None:
        self._state = state
        self.reads = 0  # of link_state since its last change
        self.failures = failures
        self.uploads: list[GeofencePlan] = []

    @property
    def drone_id(self) -> str:
        return "d1"

    async def upload_geofence(self, plan: GeofencePlan) -> None:
        if self.failures:
            self.failures -= 1
            raise CommandTimeout("d1", "upload_geofence", 20.0)
        self.uploads.append(plan)

    @property
    def link_state(self) -> LinkState:
        self.reads += 1
        return self._state

    def link_to(self, state: LinkState) -> None:
        self._state, self.reads = state, 0


PLAN = GeofencePlan((FencePolygon("z", RING),), (("GF_ACTION", 2),))


async def until(cond: object, what: str) -> None:
    """Poll ``cond`` (the task under test runs meanwhile); fail after 10 s naming ``what``."""
    assert callable(cond)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10.0
    while True:
        if cond():
            return
        assert loop.time() < deadline, f"not within 10 s: {what}"
        await asyncio.sleep(0.005)


async def test_uploads_once_online_and_again_after_a_reconnect() -> None:
    drone = Drone(LinkState.CONNECTING)
    statuses: list[GeofenceStatus] = []
    task = asyncio.create_task(keep_geofence(drone, PLAN, statuses.append, poll_s=0.01))
    try:
        await until(lambda: statuses, "pending")
        assert drone.uploads == [] and statuses[-1].state is FenceState.PENDING
        drone.link_to(LinkState.ONLINE)
        await until(lambda: len(drone.uploads) == 1, "first upload")
        drone.link_to(LinkState.OFFLINE)  # a reconnect lasts at least the link-loss timeout:
        await until(lambda: drone.reads >= 2, "the link seen offline")  # longer than a poll
        drone.link_to(LinkState.ONLINE)
        await until(lambda: len(drone.uploads) == 2, "upload after the reconnect")
        assert [s.state for s in statuses][-1] == FenceState.UPLOADED and drone.uploads == [PLAN, PLAN]
    finally:
        task.cancel()


async def test_a_failed_upload_is_reported_and_retried(caplog: pytest.LogCaptureFixture) -> None:
    drone = Drone(LinkState.ONLINE, failures=1)
    statuses: list[GeofenceStatus] = []
    task = asyncio.create_task(keep_geofence(drone, PLAN, statuses.append, retry_s=0.05, poll_s=0.01))
    try:
        await until(lambda: drone.uploads, "retried upload")
        states = [s.state for s in statuses]
        assert states == [FenceState.PENDING, FenceState.FAILED, FenceState.UPLOADED]
        assert "upload_geofence" in statuses[1].detail
        failed = [r for r in caplog.records if "geofence upload failed" in r.message]
        assert [r.levelname for r in failed] == ["WARNING"]  # a first failure: retried soon
        assert "not dispatched until it is on board" in failed[0].message
    finally:
        task.cancel()


async def test_a_lost_link_unconfirms_an_uploaded_fence_until_it_is_uploaded_again() -> None:
    drone = Drone(LinkState.ONLINE)
    statuses: list[GeofenceStatus] = []
    task = asyncio.create_task(keep_geofence(drone, PLAN, statuses.append, poll_s=0.01))
    try:
        await until(lambda: statuses and statuses[-1].state is FenceState.UPLOADED, "first upload")
        drone.link_to(LinkState.OFFLINE)  # the next connection may be another airframe
        await until(lambda: statuses[-1].state is FenceState.PENDING, "pending once the link is lost")
        assert "link lost" in statuses[-1].detail and len(drone.uploads) == 1
        drone.link_to(LinkState.ONLINE)
        await until(lambda: statuses[-1].state is FenceState.UPLOADED, "uploaded again")
        assert [s.state for s in statuses] == [
            FenceState.PENDING,
            FenceState.UPLOADED,
            FenceState.PENDING,
            FenceState.UPLOADED,
        ]
    finally:
        task.cancel()


async def test_a_failed_fence_stays_failed_while_the_link_is_down() -> None:
    drone = Drone(LinkState.ONLINE, failures=1)
    statuses: list[GeofenceStatus] = []
    task = asyncio.create_task(keep_geofence(drone, PLAN, statuses.append, retry_s=60.0, poll_s=0.01))
    try:
        await until(lambda: statuses and statuses[-1].state is FenceState.FAILED, "failed upload")
        drone.link_to(LinkState.OFFLINE)
        await until(lambda: drone.reads >= 2, "the link seen offline")
        assert statuses[-1].state is FenceState.FAILED
        drone.link_to(LinkState.ONLINE)  # a reconnect retries at once, not after retry_s
        await until(lambda: statuses[-1].state is FenceState.UPLOADED, "uploaded after the reconnect")
        assert [s.state for s in statuses] == [FenceState.PENDING, FenceState.FAILED, FenceState.UPLOADED]
    finally:
        task.cancel()


async def test_retries_back_off_from_the_first_retry_to_retry_s(caplog: pytest.LogCaptureFixture) -> None:
    drone = Drone(LinkState.ONLINE, failures=4)
    attempts: list[float] = []
    loop = asyncio.get_running_loop()

    def note(status: GeofenceStatus) -> None:
        if status.state is not FenceState.PENDING:
            attempts.append(loop.time())

    task = asyncio.create_task(keep_geofence(drone, PLAN, note, retry_s=0.4, poll_s=0.005, first_retry_s=0.1))
    try:
        await until(lambda: drone.uploads, "the fifth upload succeeds")
        gaps = [b - a for a, b in itertools.pairwise(attempts)]
        assert len(gaps) == 4
        for gap, wait_s in zip(gaps, (0.1, 0.2, 0.4, 0.4), strict=True):  # doubling, capped
            assert gap >= wait_s
        levels = [r.levelname for r in caplog.records if "geofence upload failed" in r.message]
        assert levels == ["WARNING", "WARNING", "ERROR", "ERROR"]
    finally:
        task.cancel()


class SlowDrone(Drone):
    """An upload takes until ``release`` is set; counts uploads running at once."""

    running = 0
    most = 0

    def __init__(self, name: str, release: asyncio.Event) -> None:
        super().__init__(LinkState.ONLINE)
        self.name, self.release = name, release

    @property
    def drone_id(self) -> str:
        return self.name

    async def upload_geofence(self, plan: GeofencePlan) -> None:
        SlowDrone.running += 1
        SlowDrone.most = max(SlowDrone.most, SlowDrone.running)
        try:
            await self.release.wait()
        finally:
            SlowDrone.running -= 1
        self.uploads.append(plan)


async def test_shared_slots_bound_the_uploads_running_at_once() -> None:
    release = asyncio.Event()
    drones = [SlowDrone(f"d{i}", release) for i in range(6)]
    slots = asyncio.Semaphore(2)
    tasks = [asyncio.create_task(keep_geofence(d, PLAN, poll_s=0.005, slots=slots)) for d in drones]
    try:
        await until(lambda: SlowDrone.running == 2, "two uploads under way")
        await asyncio.sleep(0.05)  # the others poll meanwhile and must keep waiting for a slot
        assert SlowDrone.running == 2
        release.set()
        await until(lambda: all(d.uploads for d in drones), "every drone fenced")
        assert SlowDrone.most == 2
    finally:
        for task in tasks:
            task.cancel()
