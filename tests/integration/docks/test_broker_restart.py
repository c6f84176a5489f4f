"""A broker restart: the link and the docks reconnect with backoff, resubscribe, and state resumes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from docks.broker import EmbeddedBroker
from docks.broker_url import BrokerUrl
from docks.mqtt_link import MqttDockLink
from docks.ports import reply_of
from docks.protocol import Channel
from docks.settings import MqttSettings
from sim.clock import SimClock
from sim.dock import SimDock, SimDockConfig
from sim.weather import Weather
from tests.integration.docks.conftest import Recorder
from tests.integration.docks.private_mosquitto import PrivateMosquitto, mosquitto_binary


@dataclass
class Restartable:
    cloud_url: BrokerUrl
    dock_url: BrokerUrl
    stop: Callable[[], Awaitable[None]]
    start: Callable[[], Awaitable[object]]


@pytest.fixture(params=["embedded", "mosquitto"])
async def restartable(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Restartable]:
    if request.param == "embedded":
        broker = EmbeddedBroker()
        await broker.start()
        try:
            yield Restartable(broker.url, broker.url, broker.stop, broker.start)
        finally:
            await broker.stop()
        return
    if mosquitto_binary() is None:
        pytest.skip("mosquitto binary not installed")
    private = PrivateMosquitto(tmp_path, ["skyloop-mission", "RST01"])
    await private.start()
    try:
        yield Restartable(private.url("skyloop-mission"), private.url("RST01"), private.stop, private.start)
    finally:
        await private.stop()


async def test_clients_reconnect_and_state_resumes(restartable: Restartable, weather: Weather) -> None:
    settings = MqttSettings(keepalive_s=2, reconnect_min_s=0.05, reconnect_max_s=0.3)
    clock = SimClock(100.0)
    sn = "RST01"
    recorder = Recorder()
    config = SimDockConfig(sn=sn, longitude_deg=113.8, latitude_deg=34.8)
    async with MqttDockLink(restartable.cloud_url, settings, clock=clock.now_s, devices=[sn]) as link:
        link.add_listener(recorder)
        await link.wait_connected(5)
        async with SimDock(config, restartable.dock_url, clock, weather, settings) as dock:
            await recorder.wait_for(lambda m: m.channel is Channel.OSD)
            connects = (link.session.connects, dock.client.session.connects)

            await restartable.stop()
            async with asyncio.timeout(10):
                while link.connected or dock.client.connected:  # noqa: ASYNC110 (no event for 'lost')
                    await asyncio.sleep(0.02)
            assert not link.connected
            await restartable.start()

            await link.wait_connected(10)
            await dock.client.session.wait_connected(10)
            assert link.session.connects == connects[0] + 1
            assert dock.client.session.connects == connects[1] + 1
            seen = len(recorder.messages)
            await recorder.wait_for(lambda m: m.channel is Channel.OSD, after=seen)
            assert link.live(sn)  # resubscribed: fresh OSD arrives and the dock counts as live
            assert reply_of(await link.call(sn, "cover_open", timeout_s=10)).ok
