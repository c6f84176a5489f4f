"""Every dock service round trip through a real broker (embedded amqtt and Mosquitto)."""

from __future__ import annotations

import asyncio

from docks.broker_url import BrokerUrl
from docks.model import ChargeState, CoverState, DockMode, TaskStatus
from docks.ports import reply_of
from docks.protocol import (
    Channel,
    ChargeOutput,
    CoverOutput,
    DeviceStatus,
    DockOsd,
    FlighttaskPrepare,
    FlighttaskProgress,
    Message,
    PrepareOutput,
)
from docks.result_codes import ResultCode
from docks.settings import MqttSettings
from sim.clock import SimClock
from sim.weather import SteadyWind, Weather
from tests.integration.docks.conftest import WAIT_S, running


def is_osd(m: Message) -> bool:
    return m.channel is Channel.OSD


async def test_cover_and_charging_services(
    broker_url: BrokerUrl, sn: str, clock: SimClock, weather: Weather, settings: MqttSettings
) -> None:
    async with running(broker_url, sn, clock, weather, settings, battery_pct=50.0) as (link, _dock, rec):
        status = await rec.wait_for(lambda m: m.channel is Channel.STATUS)
        assert isinstance(status.body, DeviceStatus) and status.body.online
        osd = (await rec.wait_for(is_osd)).body
        assert isinstance(osd, DockOsd) and osd.cover_state is CoverState.CLOSED and osd.drone_in_dock

        opened = await link.call(sn, "cover_open", timeout_s=WAIT_S)
        assert reply_of(opened).result == ResultCode.OK
        assert opened.output == CoverOutput(cover_state=CoverState.OPEN)
        osd_open = await rec.wait_for(lambda m: is_osd(m) and m.body.cover_state is CoverState.OPEN)  # type: ignore[attr-defined]
        assert osd_open.sn == sn

        closed = await link.call(sn, "cover_close", timeout_s=WAIT_S)
        assert closed.output == CoverOutput(cover_state=CoverState.CLOSED)

        stopped = await link.call(sn, "charge_stop", timeout_s=WAIT_S)
        stopped_at = len(rec.messages)
        assert isinstance(stopped.output, ChargeOutput) and stopped.output.charge_state is ChargeState.IDLE
        started = await link.call(sn, "charge_start", timeout_s=WAIT_S)
        assert isinstance(started.output, ChargeOutput)
        assert started.output.charge_state is ChargeState.CHARGING
        assert started.output.drone_battery_pct is not None and started.output.drone_battery_pct >= 50.0
        charging = await rec.wait_for(
            lambda m: is_osd(m) and m.body.mode is DockMode.CHARGING,  # type: ignore[attr-defined]
            after=stopped_at,
        )
        assert isinstance(charging.body, DockOsd) and charging.body.charge_state is ChargeState.CHARGING


async def test_flighttask_prepare_reports_progress_and_readies_the_dock(
    broker_url: BrokerUrl, sn: str, clock: SimClock, weather: Weather, settings: MqttSettings
) -> None:
    async with running(broker_url, sn, clock, weather, settings, battery_pct=90.0) as (link, dock, rec):
        request = FlighttaskPrepare(flight_id="mission-42", min_battery_pct=60.0)
        answer = await link.call(sn, "flighttask_prepare", request, bid="mission-42", timeout_s=WAIT_S)
        assert reply_of(answer).ok and isinstance(answer.output, PrepareOutput)
        assert answer.output.flight_id == "mission-42"
        assert answer.envelope.bid == "mission-42"
        progress = [m for m in rec.messages if m.method == "flighttask_progress"]
        assert [m.envelope.bid for m in progress] == ["mission-42"] * len(progress)
        bodies = [m.body for m in progress]
        assert all(isinstance(b, FlighttaskProgress) for b in bodies)
        assert bodies[-1].status is TaskStatus.OK and bodies[-1].percent == 100.0  # type: ignore[attr-defined]
        percents = [b.percent for b in bodies]  # type: ignore[attr-defined]
        assert percents == sorted(percents) and len(percents) >= 3
        assert dock.mode is DockMode.LAUNCHING and dock.cover is CoverState.OPEN

        busy = await link.call(sn, "flighttask_prepare", request, timeout_s=WAIT_S)
        assert reply_of(busy).result == ResultCode.WRONG_MODE

        dock.drone_took_off()
        away = await rec.wait_for(lambda m: is_osd(m) and not m.body.drone_in_dock)  # type: ignore[attr-defined]
        assert isinstance(away.body, DockOsd) and away.body.drone_battery_pct is None
        assert away.body.mode is DockMode.WORKING
        landed_at = len(rec.messages)
        dock.drone_landed(battery_pct=31.0)
        back = await rec.wait_for(
            lambda m: is_osd(m) and m.body.mode is DockMode.CHARGING,  # type: ignore[attr-defined]
            after=landed_at,
        )
        assert isinstance(back.body, DockOsd) and back.body.cover_state is CoverState.CLOSED
        assert back.body.drone_battery_pct is not None and 31.0 <= back.body.drone_battery_pct < 90.0


async def test_refusals_carry_documented_codes(
    broker_url: BrokerUrl, sn: str, clock: SimClock, settings: MqttSettings
) -> None:
    storm = Weather(SteadyWind(14.0, 0.0))
    async with running(broker_url, sn, clock, storm, settings, battery_pct=40.0) as (link, dock, rec):
        prep = FlighttaskPrepare(flight_id="f1")
        assert reply_of(await link.call(sn, "flighttask_prepare", prep, timeout_s=WAIT_S)).result == (
            ResultCode.WEATHER_LIMIT
        )
        storm.wind = SteadyWind(2.0, 0.0)
        low = FlighttaskPrepare(flight_id="f1", min_battery_pct=80.0)
        assert reply_of(await link.call(sn, "flighttask_prepare", low, timeout_s=WAIT_S)).result == (
            ResultCode.BATTERY_TOO_LOW
        )
        dock.inject(cover_stuck=True)
        stuck = await link.call(sn, "cover_open", timeout_s=WAIT_S)
        assert reply_of(stuck).result == ResultCode.COVER_FAULT
        hms = await rec.wait_for(lambda m: m.method == "hms")
        assert hms.envelope.need_reply
        faulted = await rec.wait_for(lambda m: is_osd(m) and m.body.mode is DockMode.FAULT)  # type: ignore[attr-defined]
        assert isinstance(faulted.body, DockOsd) and "cover" in faulted.body.faults
        assert reply_of(await link.call(sn, "flighttask_prepare", prep, timeout_s=WAIT_S)).result == (
            ResultCode.COVER_FAULT
        )
        dock.inject(charger_failure=True)
        assert (
            reply_of(await link.call(sn, "charge_start", timeout_s=WAIT_S)).result == ResultCode.CHARGER_FAULT
        )


async def test_hms_event_is_acknowledged(
    broker_url: BrokerUrl, sn: str, clock: SimClock, weather: Weather, settings: MqttSettings
) -> None:
    async with running(broker_url, sn, clock, weather, settings) as (_link, dock, rec):
        dock.inject(charger_failure=True)
        await rec.wait_for(lambda m: m.method == "hms")
        await rec.wait_for(lambda m: is_osd(m) and m.body.charge_state is ChargeState.FAULT)  # type: ignore[attr-defined]
        async with asyncio.timeout(WAIT_S):  # mission control's ack comes back through the broker
            while dock.client.unacked_events:
                await clock.sleep(1.0)
        assert dock.client.unacked_events == 0


async def test_device_reboot_goes_offline_and_comes_back(
    broker_url: BrokerUrl, sn: str, clock: SimClock, weather: Weather, settings: MqttSettings
) -> None:
    async with running(broker_url, sn, clock, weather, settings, reboot_s=30.0) as (link, _dock, rec):
        await rec.wait_for(lambda m: m.channel is Channel.STATUS and m.body.online)  # type: ignore[attr-defined]
        assert reply_of(await link.call(sn, "device_reboot", timeout_s=WAIT_S)).ok
        await rec.wait_for(lambda m: m.channel is Channel.STATUS and not m.body.online)  # type: ignore[attr-defined]
        assert link.presence(sn).online is False
        offline_at = len(rec.messages)
        await rec.wait_for(lambda m: m.channel is Channel.STATUS and m.body.online, after=offline_at)  # type: ignore[attr-defined]
        assert reply_of(await link.call(sn, "cover_open", timeout_s=WAIT_S)).ok
