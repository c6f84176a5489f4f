"""The executor against real peers: one sim vehicle behind the real MAVSDK link and one sim dock over
the embedded MQTT broker, sped up. A mission goes from planned to closed: the dock prepares, the
drone takes off, flies to the point, orbits, watches for its (short) budget, returns to launch and
lands; the dock closes over it. Then mission control is killed mid-flight and a new runner, with
only the SQLite database left, recovers the mission and completes it. The payload is not part of
these tests: nothing answers on the payload serial, so the on-scene tasks time out and are logged
as failed (the scene still counts as done)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docks.broker import EmbeddedBroker
from docks.model import CoverState
from docks.mqtt_link import MqttDockLink
from docks.settings import MqttSettings
from fleet.drone_model import DroneTelemetry
from fleet.flight_waits import distance_m
from fleet.manager import FleetManager
from fleet.mavsdk_link import MavsdkDroneLink
from fleet.model import DockState
from fleet.registry import DockRecord, DockTypeSpec, FleetRegistry
from geo.crs import LocalFrame
from mission import lifecycle_types as fx
from mission.executor import ExecutorDeps
from mission.model import Mission, MissionState
from mission.payload_client import PayloadClient
from mission.ports import MissionStore
from mission.recovery import recover
from mission.runner import MissionRunner
from mission.store import SqlMissionStore
from mission.supervision import ExecutorSettings
from sim.clock import SimClock
from sim.dock import SimDock, SimDockConfig
from sim.weather import Weather
from tests.integration.flight.conftest import HOME_LAT_DEG, HOME_LON_DEG, flight_world
from tests.unit.mission.fake_store import FakeStore

SPEED = 20.0
#: The point: 300 m north of the dock.
TARGET_LAT, TARGET_LON = HOME_LAT_DEG + 300.0 / 111_000.0, HOME_LON_DEG


async def couple(link: MavsdkDroneLink, dock: SimDock) -> None:
    """What a real dock senses by itself: its drone leaving and landing back on it."""
    async for t in link.subscribe():
        if not isinstance(t, DroneTelemetry) or t.position is None:
            continue
        home_m = distance_m(t.position.lat_deg, t.position.lon_deg, HOME_LAT_DEG, HOME_LON_DEG)
        if t.in_air and dock.drone_in_dock:
            dock.drone_took_off()
        elif t.in_air is False and not t.armed and not dock.drone_in_dock and home_m < 5.0:
            pct = t.battery.remaining_pct if t.battery else 50.0
            dock.drone_landed(max(0.0, min(100.0, pct)))


@contextlib.asynccontextmanager
async def background(coro: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    task = asyncio.ensure_future(coro)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@dataclass
class Stack:
    sn: str
    dock: SimDock
    drone: MavsdkDroneLink
    fleet: FleetManager
    deps: ExecutorDeps


@contextlib.asynccontextmanager
async def sim_stack(store: MissionStore, speed: float = SPEED) -> AsyncIterator[Stack]:
    """One sim dock over the embedded broker and its sim drone behind MAVSDK, coupled."""
    sn = f"T{uuid.uuid4().hex[:10]}"
    mqtt = MqttSettings(keepalive_s=2, reconnect_min_s=0.05, reconnect_max_s=0.5)
    clock = SimClock(speed)
    config = SimDockConfig(sn, HOME_LON_DEG, HOME_LAT_DEG, cover_s=15.0, prep_s=30.0, battery_pct=95.0)
    async with (
        EmbeddedBroker() as broker,
        SimDock(config, broker.url, clock, Weather()) as dock,
        MqttDockLink(broker.url, mqtt) as docks,
        flight_world("sim", 1, speed=speed) as world,
    ):
        await docks.wait_connected()
        drone = world.links[0]
        frame = LocalFrame.from_epsg("EPSG:4547")
        registry = FleetRegistry(
            [DockRecord(sn, "dock2", HOME_LON_DEG, HOME_LAT_DEG, drone_id=drone.drone_id)],
            {"dock2": DockTypeSpec(name="dock2")},
            frame.to_local,
        )
        fleet = FleetManager(registry)
        fleet.put_dock_state(DockState(sn, online=True, drone_in_dock=True))
        settings = ExecutorSettings(
            cruise_height_m=30.0, on_scene_height_m=25.0, watch_budget_s=20.0, min_flight_timeout_s=60.0
        )
        deps = ExecutorDeps(
            store=store,
            fleet=fleet,
            drones=world.fleet.drone,
            docks=docks,
            payload=PayloadClient(docks, timeout_s=0.5),
            settings=settings,
            clock=clock,
        )
        async with background(couple(drone, dock)):
            yield Stack(sn, dock, drone, fleet, deps)


async def until(
    store: MissionStore, mission_id: str, test: Callable[[Mission], bool], wall_s: float
) -> Mission:
    async with asyncio.timeout(wall_s):  # a guard against a hang, not a timing check
        while True:
            m = await store.get_mission(mission_id)
            if test(m):
                return m
            await asyncio.sleep(0.05)


async def until_idle(runner: MissionRunner, wall_s: float = 10.0) -> None:
    """Wait for a finished mission's last effects (the dock released after the stored close)."""
    async with asyncio.timeout(wall_s):  # a guard against a hang, not a timing check
        while runner.active:  # noqa: ASYNC110 - the runner has no event for it
            await asyncio.sleep(0.05)


def check_home_and_closed(stack: Stack, done: Mission) -> None:
    assert done.state is MissionState.CLOSED, done.reason
    t = stack.drone.telemetry()
    assert t.in_air is False and t.position is not None
    assert distance_m(t.position.lat_deg, t.position.lon_deg, HOME_LAT_DEG, HOME_LON_DEG) < 5.0
    assert stack.dock.cover is CoverState.CLOSED and stack.dock.drone_in_dock
    assert stack.fleet.assignment(stack.sn) is None


async def test_a_sim_drone_and_dock_fly_a_mission_from_planned_to_closed() -> None:
    store = FakeStore()
    async with sim_stack(store) as stack:
        runner = MissionRunner(stack.deps)
        async with asyncio.TaskGroup() as tg:
            tg.create_task(runner.run())
            await runner.started()
            mission = Mission(None, TARGET_LON, TARGET_LAT)
            await runner.launch(mission, fx.Planned(stack.sn, stack.drone.drone_id, eta_s=90.0))
            try:
                done = await until(store, mission.id, lambda m: m.state.terminal, 90.0)
                await until_idle(runner)
            finally:
                runner.stop()
        check_home_and_closed(stack, done)
    events = store.events[mission.id]
    states = [str(e.to_state) for e in events if e.kind == "state"]
    assert states == [s.value for s in MissionState if not s.terminal] + ["closed"]
    assert [e.data["task"] for e in events if e.kind == "payload_failed"] == ["DetectTask"]


async def test_mission_control_killed_mid_flight_restarts_from_sqlite_and_completes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'skyloop.db'}"
    store = await SqlMissionStore.open(url)
    async with sim_stack(store) as stack:
        first = MissionRunner(stack.deps)
        async with asyncio.TaskGroup() as tg:
            task = tg.create_task(first.run())
            await first.started()
            mission = Mission(None, TARGET_LON, TARGET_LAT)
            await first.launch(mission, fx.Planned(stack.sn, stack.drone.drone_id, eta_s=90.0))
            await until(store, mission.id, lambda m: m.state is MissionState.EN_ROUTE, 60.0)
            task.cancel()  # mission control dies with the drone in the air
        await store.close()
        assert stack.drone.telemetry().in_air

        store = await SqlMissionStore.open(url)  # a new process: only the database is left
        stack.deps.store = store
        second = MissionRunner(stack.deps)
        async with asyncio.TaskGroup() as tg:
            tg.create_task(second.run())
            await second.started()
            report = await recover(store, second, stack.deps.drones, stack.fleet.registry)
            assert [(r.mission_id, r.running) for r in report] == [(mission.id, True)]
            try:
                done = await until(store, mission.id, lambda m: m.state.terminal, 90.0)
                await until_idle(second)
            finally:
                second.stop()
        check_home_and_closed(stack, done)
        events = await store.mission_events(mission.id)
    await store.close()
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    resumed = [e for e in events if e.data.get("event") == "resumed"]
    assert len(resumed) == 1 and resumed[0].from_state is MissionState.EN_ROUTE
    states = [str(e.to_state) for e in events if e.kind == "state"]
    assert states[-5:] == ["on_scene", "supervising", "returning", "landed", "closed"]
