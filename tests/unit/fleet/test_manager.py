"""The fleet manager: live state from OSD and telemetry, stale detection on an injected clock,
change events, candidates for the planner, persistence across a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import box

from docks.model import ChargeState, CoverState, DockFault, DockMode, HmsLevel, Rainfall
from docks.protocol import Channel, DeviceStatus, Hms, HmsAlert, Message, build, decode
from docks.protocol.dock import DockOsd
from fleet.drone_model import Battery, DroneTelemetry, LandedState, LinkEvent, LinkState, Position
from fleet.feeds import dock_listener, follow_drone
from fleet.fleet_settings import FleetSettings
from fleet.json_state_store import JsonFleetStateStore
from fleet.manager import FleetManager
from fleet.model import (
    CandidateKind,
    FenceState,
    FleetEvent,
    FleetEventKind,
    GeofenceStatus,
    ReasonCode,
    SortieSpec,
)
from fleet.registry import UnknownDockError
from geo.routing import KeepOutRouter

from .fleet_helpers import config_params, make_registry, to_wgs84


class FakeClock:
    """Manual time; ``sleep`` advances it and yields to the loop."""

    def __init__(self, t_s: float = 100.0) -> None:
        self.t_s = t_s

    def now_s(self) -> float:
        return self.t_s

    def advance(self, seconds: float) -> None:
        self.t_s += seconds

    async def sleep(self, seconds: float) -> None:
        self.t_s += seconds
        await asyncio.sleep(0)


def osd(**changes: Any) -> DockOsd:
    values: dict[str, Any] = {
        "mode": DockMode.IDLE,
        "cover_state": CoverState.CLOSED,
        "drone_in_dock": True,
        "drone_battery_pct": 97.0,
        "charge_state": ChargeState.FULL,
        "wind_speed_mps": 2.0,
        "rainfall": Rainfall.NONE,
        "environment_temperature_c": 20.0,
        "latitude_deg": 34.8,
        "longitude_deg": 113.8,
    }
    values.update(changes)
    return DockOsd(**values)


def telemetry(drone_id: str, x_m: float, y_m: float, **changes: Any) -> DroneTelemetry:
    lon, lat = to_wgs84(x_m, y_m)
    values: dict[str, Any] = {
        "drone_id": drone_id,
        "link": LinkState.ONLINE,
        "position": Position(lat_deg=lat, lon_deg=lon, abs_alt_m=200.0, rel_alt_m=100.0),
        "battery": Battery(remaining_pct=85.0, voltage_v=15.2),
        "landed_state": LandedState.IN_AIR,
        "in_air": True,
        "armed": True,
    }
    values.update(changes)
    return DroneTelemetry(**values)


def manager(clock: FakeClock, store: JsonFleetStateStore | None = None, **settings: Any) -> FleetManager:
    _, _, margin = config_params()
    return FleetManager(
        make_registry(),
        FleetSettings(**settings),
        wind_margin_mps=margin,
        clock=clock,
        store=store,
    )


def drain(sub) -> list[FleetEvent]:
    events = []
    while (e := sub.get_nowait()) is not None:
        events.append(e)
    return events


def availability_events(events: list[FleetEvent]) -> list[tuple[str | None, bool, tuple[ReasonCode, ...]]]:
    return [
        (e.dock_id, e.availability.available, e.availability.codes)
        for e in events
        if e.kind is FleetEventKind.AVAILABILITY and e.availability is not None
    ]


def test_osd_makes_a_dock_available_and_announces_it() -> None:
    clock = FakeClock()
    fm = manager(clock)
    sub = fm.subscribe()
    assert not fm.availability("D01").available
    assert fm.ingest_osd("D01", osd())
    events = drain(sub)
    assert [e.kind for e in events] == [FleetEventKind.DOCK_STATE, FleetEventKind.AVAILABILITY]
    assert availability_events(events) == [("D01", True, ())]
    state = fm.dock_state("D01")
    assert state is not None and state.online and state.battery_pct == 97.0


def test_a_repeated_osd_is_not_an_event() -> None:
    clock = FakeClock()
    fm = manager(clock)
    fm.ingest_osd("D01", osd())
    sub = fm.subscribe()
    clock.advance(2.0)
    fm.ingest_osd("D01", osd())
    assert drain(sub) == []
    assert fm.osd_ingested == 2


def test_silent_dock_goes_stale_after_the_stale_time_and_comes_back() -> None:
    clock = FakeClock()
    fm = manager(clock, stale_after_s=30.0)
    fm.ingest_osd("D01", osd())
    sub = fm.subscribe()
    clock.advance(29.0)
    assert fm.check() == 0 and fm.availability("D01").available
    clock.advance(2.0)
    assert fm.check() == 1
    a = fm.availability("D01")
    assert a.codes == (ReasonCode.STALE,) and a.summary == "stale: no OSD for 31 s"
    fm.ingest_osd("D01", osd())
    assert availability_events(drain(sub)) == [("D01", False, (ReasonCode.STALE,)), ("D01", True, ())]


def test_last_will_marks_the_dock_offline_and_keeps_its_last_values() -> None:
    clock = FakeClock()
    fm = manager(clock)
    fm.ingest_osd("D01", osd(drone_battery_pct=64.0))
    fm.ingest_status("D01", online=False)
    state = fm.dock_state("D01")
    assert state is not None and not state.online and state.battery_pct == 64.0
    assert fm.availability("D01").codes == (ReasonCode.OFFLINE,)
    fm.ingest_osd("D01", osd())
    assert fm.availability("D01").available


def test_osd_gates_come_through_the_mapping() -> None:
    clock = FakeClock()
    fm = manager(clock)
    fm.ingest_osd("D01", osd(wind_speed_mps=11.0, rainfall=Rainfall.MODERATE, faults=(DockFault.COVER,)))
    a = fm.availability("D01")
    assert set(a.codes) == {ReasonCode.WIND, ReasonCode.RAIN, ReasonCode.FAULT}
    assert "fault: cover" in a.summary and "rain: moderate" in a.summary
    fm.ingest_osd(
        "D02", osd(mode=DockMode.WORKING, drone_in_dock=False, drone_battery_pct=None, flight_id="F-1")
    )
    assert fm.availability("D02").codes == (ReasonCode.BUSY,)
    fm.ingest_osd("D03", osd(charge_state=ChargeState.FAULT, drone_battery_pct=30.0))
    assert set(fm.availability("D03").codes) == {ReasonCode.FAULT, ReasonCode.BATTERY}


def test_unknown_devices_are_ignored() -> None:
    fm = manager(FakeClock())
    sub = fm.subscribe()
    assert not fm.ingest_osd("X99", osd())
    assert not fm.ingest_status("X99", True)
    assert not fm.ingest_drone(telemetry("nobody", 0.0, 0.0))
    assert drain(sub) == []
    with pytest.raises(UnknownDockError):
        fm.availability("X99")


def test_drone_telemetry_makes_its_dock_busy_and_offers_retasking() -> None:
    clock = FakeClock()
    fm = manager(clock)
    for dock_id in ("D01", "D02", "D03"):
        fm.ingest_osd(dock_id, osd())
    d2 = fm.registry.dock("D02")
    assert fm.ingest_drone(telemetry("U02", d2.x_m + 800.0, d2.y_m + 300.0))
    assert fm.availability("D02").codes == (ReasonCode.BUSY,)
    lon, lat = to_wgs84(d2.x_m + 1500.0, d2.y_m + 500.0)
    cands = fm.candidates(SortieSpec(lon, lat, on_scene_s=300.0))
    kinds = {(c.kind, c.dock_id) for c in cands}
    assert (CandidateKind.AIRBORNE, "D02") in kinds and (CandidateKind.DOCK, "D02") in kinds
    airborne = next(c for c in cands if c.kind is CandidateKind.AIRBORNE)
    assert airborne.available and airborne.drone_id == "U02" and airborne.availability.margin_pct > 0
    dock2 = next(c for c in cands if c.kind is CandidateKind.DOCK and c.dock_id == "D02")
    assert not dock2.available and dock2.availability.summary == "busy: drone airborne"


def test_link_loss_stops_retasking_and_frees_the_osd() -> None:
    clock = FakeClock()
    fm = manager(clock)
    fm.ingest_osd("D02", osd())
    d2 = fm.registry.dock("D02")
    fm.ingest_drone(telemetry("U02", d2.x_m, d2.y_m))
    fm.ingest_link_event(LinkEvent("U02", LinkState.OFFLINE, LinkState.ONLINE, "silent", clock.now_s()))
    lon, lat = to_wgs84(d2.x_m + 1000.0, d2.y_m)
    airborne = [c for c in fm.candidates(SortieSpec(lon, lat)) if c.kind is CandidateKind.AIRBORNE]
    assert len(airborne) == 1 and airborne[0].availability.codes == (ReasonCode.OFFLINE,)
    assert airborne[0].availability.summary == "offline: drone link lost"


def test_candidates_cover_every_dock_with_reasons_available_first() -> None:
    clock = FakeClock()
    fm = manager(clock)
    fm.ingest_osd("D01", osd(wind_speed_mps=15.0))
    fm.ingest_osd("D03", osd())
    target = fm.registry.dock("D02")
    lon, lat = to_wgs84(target.x_m, target.y_m + 1000.0)
    cands = fm.candidates(SortieSpec(lon, lat))
    # Available first, then by distance: D02 is 1 km away, D01 and D03 about 3.2 km.
    assert [c.dock_id for c in cands] == ["D03", "D02", "D01"]
    assert cands[0].available and cands[0].availability.margin_pct is not None
    by_id = {c.dock_id: c for c in cands}
    assert by_id["D01"].availability.codes == (ReasonCode.WIND,)
    assert by_id["D02"].availability.codes == (ReasonCode.UNKNOWN_STATE,)
    rejected = [c for c in cands if not c.available]
    assert all(c.availability.reasons for c in rejected)


def test_assignment_and_maintenance() -> None:
    clock = FakeClock()
    fm = manager(clock)
    fm.ingest_osd("D01", osd())
    fm.assign("D01", "M-3")
    assert fm.availability("D01").summary == "busy: on mission M-3"
    with pytest.raises(ValueError, match="already serves"):
        fm.assign("D01", "M-4")
    fm.release("D01", "M-other")
    assert fm.assignment("D01") == "M-3"
    fm.release("D01", "M-3")
    assert fm.availability("D01").available
    fm.set_maintenance("D01", "gimbal check")
    assert fm.availability("D01").summary == "maintenance: gimbal check"
    fm.set_maintenance("D01", None)
    assert fm.availability("D01").available
    with pytest.raises(UnknownDockError):
        fm.assign("X99", "M-1")


def test_mission_specific_battery_check() -> None:
    clock = FakeClock()
    fm = manager(clock)
    fm.ingest_osd(
        "D01", osd(drone_battery_pct=45.0, charge_state=ChargeState.CHARGING, mode=DockMode.CHARGING)
    )
    d1 = fm.registry.dock("D01")
    near = SortieSpec(*to_wgs84(d1.x_m + 300.0, d1.y_m), on_scene_s=60.0)
    far = SortieSpec(*to_wgs84(d1.x_m + 2500.0, d1.y_m))
    assert fm.availability("D01", near).available
    a = fm.availability("D01", far)
    assert a.codes == (ReasonCode.CHARGING,) and a.ready_in_s is not None and a.ready_in_s > 0


async def test_a_slow_subscriber_loses_the_oldest_events_only() -> None:
    clock = FakeClock()
    fm = manager(clock)
    sub = fm.subscribe(maxsize=2)
    for pct in (99.0, 98.0, 97.0):  # all above what the reference sortie needs
        fm.ingest_osd("D01", osd(drone_battery_pct=pct))
    # Four events (state + availability, then two state changes): the two oldest are dropped.
    got = drain(sub)
    assert sub.dropped == 2
    assert [(e.kind, e.dock.battery_pct if e.dock else None) for e in got] == [
        (FleetEventKind.DOCK_STATE, 98.0),
        (FleetEventKind.DOCK_STATE, 97.0),
    ]


def test_a_failing_listener_does_not_stop_the_others() -> None:
    fm = manager(FakeClock())
    seen: list[FleetEventKind] = []

    def broken(event: FleetEvent) -> None:
        raise RuntimeError("boom")

    fm.add_listener(broken)
    remove = fm.add_listener(lambda e: seen.append(e.kind))
    fm.ingest_osd("D01", osd())
    assert FleetEventKind.AVAILABILITY in seen
    remove()
    fm.ingest_osd("D01", osd(drone_battery_pct=50.0))
    assert len(seen) == 2


async def test_async_iteration_ends_when_the_manager_closes() -> None:
    fm = manager(FakeClock())
    sub = fm.subscribe()
    fm.ingest_osd("D01", osd())
    fm.close()
    kinds = [e.kind async for e in sub]
    assert kinds == [FleetEventKind.DOCK_STATE, FleetEventKind.AVAILABILITY]


async def test_restart_remembers_the_fleet_but_trusts_only_live_data(tmp_path: Path) -> None:
    path = tmp_path / "fleet.json"
    clock = FakeClock()
    first = manager(clock, JsonFleetStateStore(path))
    first.ingest_osd("D01", osd(drone_battery_pct=61.0))
    first.ingest_osd("D02", osd())
    first.assign("D02", "M-42")
    first.set_maintenance("D03", "battery swap")
    await first.save()

    second = manager(FakeClock(5.0), JsonFleetStateStore(path))
    assert await second.restore()
    d1 = second.dock_state("D01")
    assert d1 is not None and d1.restored and d1.battery_pct == 61.0
    assert second.availability("D01").codes == (ReasonCode.STALE,)
    assert second.assignment("D02") == "M-42"
    assert second.availability("D03").codes[0] is ReasonCode.MAINTENANCE
    second.ingest_osd("D01", osd())
    assert second.availability("D01").available


async def test_restore_survives_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "fleet.json"
    path.write_text("not json", encoding="utf-8")
    fm = manager(FakeClock(), JsonFleetStateStore(path))
    assert not await fm.restore()
    assert await asyncio.to_thread(lambda: list(tmp_path.glob("fleet.json.corrupt-*")))


async def test_run_detects_stale_docks_and_saves_on_the_way(tmp_path: Path) -> None:
    path = tmp_path / "fleet.json"
    clock = FakeClock()
    fm = manager(
        clock, JsonFleetStateStore(path), stale_after_s=10.0, check_interval_s=1.0, persist_interval_s=3.0
    )
    fm.ingest_osd("D01", osd())
    sub = fm.subscribe()
    task = asyncio.create_task(fm.run())
    try:
        async with asyncio.timeout(5.0):
            async for event in sub:
                if event.kind is FleetEventKind.AVAILABILITY and event.availability is not None:
                    break
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert event.availability.codes == (ReasonCode.STALE,)
    assert 10.0 < clock.now_s() - 100.0 <= 12.0
    saved = await JsonFleetStateStore(path).load()
    assert saved is not None and "D01" in saved.docks


# --- feeds -----------------------------------------------------------------------------------------


def wire(channel: Channel, sn: str, method: str, data: Any) -> Message:
    """A message as the DockLink hands it over: built to bytes and decoded back."""
    out = build(channel, sn, method, data)
    return decode(out.topic, out.payload)


def test_dock_listener_feeds_osd_status_and_health_alerts() -> None:
    fm = manager(FakeClock())
    listen = dock_listener(fm)
    listen(wire(Channel.OSD, "D01", "dock_osd", osd(drone_battery_pct=91.0)))
    state = fm.dock_state("D01")
    assert state is not None and state.battery_pct == 91.0 and fm.availability("D01").available
    listen(wire(Channel.STATUS, "D01", "update_status", DeviceStatus(online=False)))
    assert fm.availability("D01").codes == (ReasonCode.OFFLINE,)
    alert = HmsAlert(code="dock_cover_stuck", level=HmsLevel.WARNING, module="cover", message="stuck")
    listen(wire(Channel.EVENTS, "D01", "hms", Hms(alerts=(alert,))))
    assert fm.health_alerts("D01") == (alert,)
    listen(wire(Channel.OSD, "PAYLOAD7", "dock_osd", osd()))  # not a registered dock: ignored
    assert fm.osd_ingested == 1


class FakeDroneSource:
    """A telemetry source honouring :class:`fleet.feeds.DroneTelemetrySource`: replays updates."""

    def __init__(self, first: DroneTelemetry, updates: list[DroneTelemetry | LinkEvent]) -> None:
        self._first = first
        self._updates = updates

    def telemetry(self) -> DroneTelemetry:
        return self._first

    async def subscribe(self) -> AsyncIterator[DroneTelemetry | LinkEvent]:
        for update in self._updates:
            yield update


async def test_follow_drone_feeds_snapshots_and_link_events() -> None:
    clock = FakeClock()
    fm = manager(clock)
    fm.ingest_osd("D01", osd())
    d1 = fm.registry.dock("D01")
    on_ground = telemetry("U01", d1.x_m, d1.y_m, landed_state=LandedState.ON_GROUND, in_air=False)
    flying = telemetry("U01", d1.x_m + 200.0, d1.y_m)
    lost = LinkEvent("U01", LinkState.OFFLINE, LinkState.ONLINE, "no heartbeat", clock.now_s())
    seen: list[bool] = []
    fm.add_listener(lambda e: seen.append(fm.availability("D01").available))
    await follow_drone(fm, FakeDroneSource(on_ground, [flying, lost]))
    drone = fm.drone_state("U01")
    assert drone is not None and drone.in_air and not drone.link_ok
    assert fm.telemetry_ingested == 2
    # Flying made the dock busy; losing the link leaves only the (fresh) OSD: available again.
    assert False in seen and fm.availability("D01").available


def test_the_router_makes_sorties_around_keep_out_zones_cost_more() -> None:
    """A wall of keep-out between a dock and its target: the energy follows the detour."""
    clock = FakeClock()
    plain = manager(clock)
    d1 = plain.registry.dock("D01")
    wall = box(d1.x_m + 800.0, d1.y_m - 1500.0, d1.x_m + 1000.0, d1.y_m + 1500.0)
    router = KeepOutRouter([wall], clearance_m=30.0)
    routed = FleetManager(plain.registry, plain.settings, clock=clock, route_length=router.path_length_m)
    for fm in (plain, routed):
        fm.ingest_osd("D01", osd())
    target = SortieSpec(*to_wgs84(d1.x_m + 2000.0, d1.y_m), on_scene_s=60.0)
    straight_need = plain.availability("D01", target).needed_pct
    routed_need = routed.availability("D01", target).needed_pct
    assert straight_need is not None and routed_need is not None and routed_need > straight_need
    inside = SortieSpec(*to_wgs84(d1.x_m + 900.0, d1.y_m))  # in the zone: no route
    assert routed.availability("D01", inside).codes == (ReasonCode.OUT_OF_RANGE,)
    by_kind = {c.dock_id: c for c in routed.candidates(target)}
    assert by_kind["D01"].availability.needed_pct == pytest.approx(routed_need)


def fenced_manager(clock: FakeClock) -> FleetManager:
    """A manager that requires every drone's keep-out geofence on board (``[geofence] required``)."""
    _, _, margin = config_params()
    return FleetManager(make_registry(), wind_margin_mps=margin, clock=clock, geofence_required=True)


def in_its_dock(fm: FleetManager, drone_id: str, dock_id: str) -> DroneTelemetry:
    """The drone connected, on the ground at its dock."""
    d = fm.registry.dock(dock_id)
    return telemetry(drone_id, d.x_m, d.y_m, landed_state=LandedState.ON_GROUND, in_air=False, armed=False)


def test_a_drone_whose_geofence_upload_failed_is_not_offered() -> None:
    clock = FakeClock()
    fm = fenced_manager(clock)
    for dock_id in ("D01", "D02"):
        fm.ingest_osd(dock_id, osd())
    # Nothing reported yet for U02 and its link is down: it is fenced as soon as it connects.
    assert fm.availability("D02").available
    sub = fm.subscribe()
    fm.ingest_drone(in_its_dock(fm, "U01", "D01"))  # connected, no fence confirmed yet
    a = fm.availability("D01")  # offered: the executor holds the take-off until the fence is on board
    assert a.available and "keep-out geofence being uploaded: take-off waits for it" in a.notes
    assert fm.ingest_geofence(GeofenceStatus("U01", FenceState.UPLOADED))
    a = fm.availability("D01")
    assert a.available and not [n for n in a.notes if "geofence" in n]
    assert fm.ingest_geofence(GeofenceStatus("U01", FenceState.FAILED, "GF_PREDICT: no such parameter"))
    assert availability_events(drain(sub)) == [("D01", False, (ReasonCode.GEOFENCE,))]
    status = fm.geofence_status("U01")
    assert status is not None and status.state is FenceState.FAILED
    lon, lat = to_wgs84(1500.0, 500.0)  # between D01 (x 0) and D02 (x 3000), nearer D01
    cands = {c.dock_id: c for c in fm.candidates(SortieSpec(lon, lat))}
    assert cands["D02"].available and not cands["D01"].available
    assert cands["D01"].availability.summary == (
        "keep-out geofence not on board: upload failed: GF_PREDICT: no such parameter"
    )
    assert not fm.ingest_geofence(GeofenceStatus("nobody", FenceState.UPLOADED))


def test_an_airborne_drone_whose_geofence_failed_is_not_retasked() -> None:
    clock = FakeClock()
    fm = fenced_manager(clock)
    fm.ingest_osd("D02", osd())
    d2 = fm.registry.dock("D02")
    fm.ingest_drone(telemetry("U02", d2.x_m + 800.0, d2.y_m))
    fm.ingest_geofence(GeofenceStatus("U02", FenceState.FAILED, "fence read back differs"))
    lon, lat = to_wgs84(d2.x_m + 1500.0, d2.y_m)
    airborne = [c for c in fm.candidates(SortieSpec(lon, lat)) if c.kind is CandidateKind.AIRBORNE]
    assert len(airborne) == 1 and airborne[0].availability.codes == (ReasonCode.GEOFENCE,)
    fm.ingest_geofence(GeofenceStatus("U02", FenceState.UPLOADED))
    airborne = [c for c in fm.candidates(SortieSpec(lon, lat)) if c.kind is CandidateKind.AIRBORNE]
    assert airborne[0].available


def test_without_a_required_geofence_its_status_is_kept_but_does_not_gate() -> None:
    clock = FakeClock()
    fm = manager(clock)
    fm.ingest_osd("D01", osd())
    fm.ingest_drone(in_its_dock(fm, "U01", "D01"))
    fm.ingest_geofence(GeofenceStatus("U01", FenceState.FAILED, "no fence support"))
    assert fm.availability("D01").available
    status = fm.geofence_status("U01")
    assert status is not None and status.detail == "no fence support"
