"""The fleet manager fed by simulated docks through a real MQTT broker (embedded amqtt, and the
external Mosquitto when ``SKYLOOP_TEST_MQTT_URL`` is set).

Everything runs on one sped-up :class:`sim.clock.SimClock`, shared by the sim docks and the manager,
so stale times, OSD periods and charging are in sim seconds and the file takes seconds of wall time.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from docks.broker import EmbeddedBroker
from docks.broker_url import BrokerUrl, parse_broker_url
from docks.charging import ChargingCurve
from docks.mqtt_link import MqttDockLink
from docks.settings import MqttSettings
from fleet.feeds import attach_dock_link
from fleet.fleet_settings import FleetSettings
from fleet.json_state_store import JsonFleetStateStore
from fleet.manager import FleetManager
from fleet.model import Availability, FleetEventKind, ReasonCode
from fleet.registry import DockRecord, DockTypeSpec, FleetRegistry
from geo.model import EnergyParams, ReachParams
from sim.clock import SimClock
from sim.dock import SimDock, SimDockConfig
from sim.weather import SteadyWind, Weather
from tests.unit.fleet.fleet_helpers import to_local, to_wgs84

SPEED = 20.0
OSD_INTERVAL_S = 2.0
STALE_AFTER_S = 10.0
CHECK_INTERVAL_S = 1.0
#: A quick charger (both the sim dock and the fleet's dock type use it): 20 → 90 % in 4 sim minutes.
CHARGE_20_90_S = 240.0
WAIT_S = 30.0  # wall-clock patience for any one change (a guard against a hang, not a timing check)


def external_broker() -> BrokerUrl:
    raw = os.environ.get("SKYLOOP_TEST_MQTT_URL")
    if not raw:
        pytest.skip("SKYLOOP_TEST_MQTT_URL is not set (CI sets mqtt://127.0.0.1:1883)")
    url = parse_broker_url(raw)
    try:
        with socket.create_connection((url.host, url.port), timeout=1.0):
            pass
    except OSError as exc:
        pytest.skip(f"MQTT broker at {url} unreachable: {exc}")
    return url


@pytest.fixture(params=["embedded", pytest.param("mosquitto", marks=pytest.mark.mosquitto)])
async def broker_url(request: pytest.FixtureRequest) -> AsyncIterator[BrokerUrl]:
    if request.param == "mosquitto":
        yield external_broker()
        return
    async with EmbeddedBroker() as broker:
        yield broker.url


class LoopLag:
    """The event loop's worst lateness while it runs: how much later than asked a short sleep woke
    (wall seconds). A busy machine stalls the loop now and then; on the sped-up clock a stall is
    ``SPEED`` times longer in sim seconds, so a bound in sim seconds allows for what was measured."""

    TICK_S = 0.01

    def __init__(self) -> None:
        self.worst_s = 0.0

    async def watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked_at = loop.time()
            await asyncio.sleep(self.TICK_S)
            self.worst_s = max(self.worst_s, loop.time() - asked_at - self.TICK_S)

    def sim_s(self) -> float:
        return self.worst_s * SPEED


@dataclass
class Rig:
    clock: SimClock
    manager: FleetManager
    docks: dict[str, SimDock]
    ids: list[str]
    link: MqttDockLink
    lag: LoopLag


def mqtt_settings() -> MqttSettings:
    return MqttSettings(keepalive_s=2, reconnect_min_s=0.05, reconnect_max_s=0.5, stale_after_s=STALE_AFTER_S)


@pytest.fixture
async def rig(broker_url: BrokerUrl) -> AsyncIterator[Rig]:
    clock = SimClock(SPEED)
    weather = Weather(SteadyWind(3.0, 90.0))
    prefix = f"F{uuid.uuid4().hex[:6]}"
    ids = [f"{prefix}D{i}" for i in range(3)]
    batteries = [99.0, 99.0, 55.0]
    spec = DockTypeSpec(name="dock2", prep_s=60.0, launch_wind_limit_mps=8.0, charge_20_90_s=CHARGE_20_90_S)
    records, configs = [], []
    for i, (sn, battery) in enumerate(zip(ids, batteries, strict=True)):
        lon, lat = to_wgs84(3000.0 * i, 0.0)
        records.append(DockRecord(sn, "dock2", lon, lat, drone_id=f"{sn}-UAV"))
        configs.append(
            SimDockConfig(
                sn=sn,
                longitude_deg=lon,
                latitude_deg=lat,
                drone_sn=f"{sn}-UAV",
                osd_interval_s=OSD_INTERVAL_S,
                battery_pct=battery,
                charging=ChargingCurve(charge_20_90_s=CHARGE_20_90_S),
            )
        )
    registry = FleetRegistry(records, {"dock2": spec}, to_local, ReachParams(), EnergyParams())
    manager = FleetManager(
        registry,
        FleetSettings(stale_after_s=STALE_AFTER_S, check_interval_s=CHECK_INTERVAL_S),
        clock=clock,
    )
    async with AsyncExitStack() as stack:
        # its own client id: on a shared broker another run's "skyloop-mission" would take the session over
        link = await stack.enter_async_context(
            MqttDockLink(broker_url, mqtt_settings(), client_id=f"mission-{prefix}", devices=ids)
        )
        attach_dock_link(manager, link)
        await link.wait_connected()
        docks = {}
        for cfg in configs:
            docks[cfg.sn] = await stack.enter_async_context(
                SimDock(cfg, broker_url, clock, weather, mqtt_settings())
            )
        task = asyncio.create_task(manager.run())
        lag = LoopLag()
        watching = asyncio.create_task(lag.watch())
        try:
            yield Rig(clock, manager, docks, ids, link, lag)
        finally:
            task.cancel()
            watching.cancel()
            await asyncio.gather(task, watching, return_exceptions=True)
            await quiesce(docks.values(), clock)


async def quiesce(docks: Iterable[SimDock], clock: SimClock) -> None:
    """Stop the docks publishing before they close. Python 3.11's ``asyncio.wait_for`` (used inside an
    MQTT publish) can swallow a cancellation that lands as the publish completes, which would leave
    a dock's OSD loop running and its ``__aexit__`` waiting forever."""
    for dock in docks:
        dock.inject(stale_telemetry=True)
    await clock.sleep(2 * OSD_INTERVAL_S)


async def until(rig: Rig, dock_id: str, predicate: Callable[[Availability], bool]) -> Availability:
    """Wait for the dock's availability to satisfy ``predicate`` (checked on every fleet event)."""
    sub = rig.manager.subscribe()
    try:
        current = rig.manager.availability(dock_id)
        if predicate(current):
            return current
        async with asyncio.timeout(WAIT_S):
            async for event in sub:
                if event.kind is FleetEventKind.AVAILABILITY and event.dock_id == dock_id:
                    assert event.availability is not None
                    if predicate(event.availability):
                        return event.availability
    finally:
        sub.close()
    raise AssertionError("subscription ended")


async def test_sim_docks_become_available_through_the_broker(rig: Rig) -> None:
    for dock_id in rig.ids[:2]:
        a = await until(rig, dock_id, lambda a: a.available)
        assert a.battery_pct is not None and a.battery_pct > 95.0
    # The third dock charges a low battery: unavailable, with a predicted ready time.
    third = await until(rig, rig.ids[2], lambda a: ReasonCode.CHARGING in a.codes)
    assert third.ready_in_s is not None and third.ready_in_s > 0
    assert rig.manager.osd_ingested >= 3


async def test_a_silent_dock_goes_stale_and_comes_back(rig: Rig) -> None:
    silent, other = rig.ids[0], rig.ids[1]
    await until(rig, silent, lambda a: a.available)
    await until(rig, other, lambda a: a.available)
    rig.docks[silent].inject(stale_telemetry=True)
    stale = await until(rig, silent, lambda a: not a.available)
    assert stale.codes == (ReasonCode.STALE,)
    # It was declared stale once its OSD was older than the stale time, and not much later (the
    # manager's check may come as late as the loop's worst stall on this machine).
    state = rig.manager.dock_state(silent)
    assert state is not None and state.osd_at_s is not None
    age_s = stale.evaluated_at_s - state.osd_at_s
    assert STALE_AFTER_S < age_s <= STALE_AFTER_S + 2 * CHECK_INTERVAL_S + OSD_INTERVAL_S + rig.lag.sim_s()
    # the other dock is unaffected: available (after its next OSD, if a stall of the machine longer
    # than the stale time, 0.5 s of wall at x20, made it stale too, as seen once under load)
    assert (await until(rig, other, lambda a: a.available)).available
    rig.docks[silent].inject(stale_telemetry=False)
    assert (await until(rig, silent, lambda a: a.available)).available


async def test_a_dock_that_drops_off_is_offline_by_its_last_will_and_returns(rig: Rig) -> None:
    dock_id = rig.ids[1]
    await until(rig, dock_id, lambda a: a.available)
    rig.docks[dock_id].inject(offline=True)
    gone = await until(rig, dock_id, lambda a: not a.available)
    assert gone.codes == (ReasonCode.OFFLINE,)
    rig.docks[dock_id].inject(offline=False)
    assert (await until(rig, dock_id, lambda a: a.available)).available


async def test_charging_time_prediction_matches_the_sim_dock(rig: Rig) -> None:
    """The manager predicts when the charging dock will be ready; the sim dock, charging along its
    own curve, gets there within an OSD period and a check of the prediction (all in sim seconds)."""
    dock_id = rig.ids[2]
    first = await until(rig, dock_id, lambda a: ReasonCode.CHARGING in a.codes)
    assert first.ready_in_s is not None
    predicted_at_s = first.evaluated_at_s + first.ready_in_s
    ready = await until(rig, dock_id, lambda a: a.available)
    tolerance_s = OSD_INTERVAL_S + CHECK_INTERVAL_S + 1.0 + rig.lag.sim_s()  # and a stall of the loop
    assert abs(ready.evaluated_at_s - predicted_at_s) <= tolerance_s
    assert ready.battery_pct is not None and ready.needed_pct is not None
    assert ready.battery_pct >= ready.needed_pct


async def test_a_restarted_manager_remembers_the_fleet_and_waits_for_live_data(
    rig: Rig, tmp_path: Path
) -> None:
    store = JsonFleetStateStore(tmp_path / "fleet.json")
    busy, idle = rig.ids[0], rig.ids[1]
    await until(rig, idle, lambda a: a.available)
    rig.manager.assign(busy, "M-7")
    rig.manager.store = store
    await rig.manager.save()

    restarted = FleetManager(rig.manager.registry, rig.manager.settings, clock=rig.clock, store=store)
    assert await restarted.restore()
    assert restarted.availability(idle).codes == (ReasonCode.STALE,)
    assert restarted.assignment(busy) == "M-7"
    sub = restarted.subscribe()
    detach = attach_dock_link(restarted, rig.link)

    def live_again(dock_id: str) -> bool:
        return ReasonCode.STALE not in restarted.availability(dock_id).codes

    try:
        async with asyncio.timeout(WAIT_S):
            async for _ in sub:  # each dock's first OSD since the restart, in whatever order they come
                if live_again(idle) and live_again(busy):
                    break
        assert restarted.availability(idle).available
        assert restarted.availability(busy).summary == "busy: on mission M-7"
    finally:
        detach()
        sub.close()
