"""A dock going silent is noticed: its last will says offline when its connection dies; its OSD goes
stale when it stops talking; both recover when it returns."""

from __future__ import annotations

import asyncio

from docks.broker_url import BrokerUrl
from docks.protocol import Channel, Message
from docks.settings import MqttSettings
from sim.clock import SimClock
from sim.dock import SimDock
from sim.weather import Weather
from tests.integration.docks.conftest import WAIT_S, Recorder, running


def status_is(online: bool):  # type: ignore[no-untyped-def]
    return lambda m: m.channel is Channel.STATUS and m.body.online is online


async def test_last_will_marks_a_dead_dock_offline_and_it_comes_back(
    broker_url: BrokerUrl, sn: str, clock: SimClock, weather: Weather, settings: MqttSettings
) -> None:
    async with running(broker_url, sn, clock, weather, settings) as (link, dock, rec):
        await rec.wait_for(status_is(True))
        await rec.wait_for(lambda m: m.channel is Channel.OSD)
        assert link.live(sn)
        dock.inject(offline=True)  # connection dropped without DISCONNECT: the broker fires the will
        await rec.wait_for(status_is(False))
        assert link.presence(sn).online is False and not link.live(sn)
        osd_before = rec.count(lambda m: m.channel is Channel.OSD)
        dock.inject(offline=False)
        seen = len(rec.messages)
        await rec.wait_for(status_is(True), after=seen)
        await rec.wait_for(lambda m: m.channel is Channel.OSD, after=seen)
        assert rec.count(lambda m: m.channel is Channel.OSD) > osd_before
        assert link.live(sn)


async def test_silent_dock_goes_stale_within_the_stale_time_and_recovers(
    broker_url: BrokerUrl, sn: str, clock: SimClock, weather: Weather, settings: MqttSettings
) -> None:
    async with running(broker_url, sn, clock, weather, settings) as (link, dock, rec):
        await rec.wait_for(lambda m: m.channel is Channel.OSD)
        assert link.live(sn)
        dock.inject(stale_telemetry=True)
        last = await _last_osd_after_silence(rec, dock, clock)
        assert last is not None
        await clock.sleep(settings.stale_after_s + 1.0)
        presence = link.presence(sn)
        assert presence.online is True  # still connected ...
        assert not link.live(sn)  # ... but silent for longer than the stale time
        age = presence.osd_age_s(clock.now_s())
        assert age is not None and age > settings.stale_after_s
        dock.inject(stale_telemetry=False)
        seen = len(rec.messages)
        await rec.wait_for(lambda m: m.channel is Channel.OSD, after=seen)
        assert link.live(sn)


async def _last_osd_after_silence(rec: Recorder, dock: SimDock, clock: SimClock) -> Message | None:
    """Wait until OSD has stopped: the dock sent none for two periods and every one it sent has
    arrived (a publish under way when the fault was injected may still land, late on a busy machine)."""
    async with asyncio.timeout(WAIT_S):
        while True:
            sent = dock.osd_sent
            await clock.sleep(2 * dock.config.osd_interval_s)
            if dock.osd_sent == sent and rec.count(lambda m: m.channel is Channel.OSD) == sent:
                break
    osd = [m for m in rec.messages if m.channel is Channel.OSD]
    return osd[-1] if osd else None
