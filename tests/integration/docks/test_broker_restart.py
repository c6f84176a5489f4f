"""A broker restart: the link and the docks reconnect with backoff, resubscribe, and state resumes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from docks.mqtt_link import MqttDockLink
from docks.ports import reply_of
from docks.protocol import Channel
from docks.settings import MqttSettings
from sim.clock import SimClock
from sim.dock import SimDock, SimDockConfig
from sim.weather import Weather
from tests.integration.docks.conftest import SPEED, STALE_AFTER_S, WAIT_S, Recorder
from tests.integration.docks.restartable_broker import Restartable, restartable_broker


@pytest.fixture(params=["embedded", "mosquitto"])
async def restartable(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Restartable]:
    async with restartable_broker(request.param, tmp_path, "RST01") as broker:
        yield broker


async def test_clients_reconnect_and_state_resumes(restartable: Restartable, weather: Weather) -> None:
    settings = MqttSettings(
        keepalive_s=2, reconnect_min_s=0.05, reconnect_max_s=0.3, stale_after_s=STALE_AFTER_S
    )
    clock = SimClock(SPEED)
    sn = "RST01"
    recorder = Recorder()
    config = SimDockConfig(sn=sn, longitude_deg=113.8, latitude_deg=34.8)
    async with MqttDockLink(restartable.url, settings, clock=clock.now_s, devices=[sn]) as link:
        link.add_listener(recorder)
        await link.wait_connected(WAIT_S)
        async with SimDock(config, restartable.peer_url, clock, weather, settings) as dock:
            await recorder.wait_for(lambda m: m.channel is Channel.OSD)
            connects = (link.session.connects, dock.client.session.connects)

            await restartable.stop()
            async with asyncio.timeout(WAIT_S):
                while link.connected or dock.client.connected:  # noqa: ASYNC110 (no event for 'lost')
                    await asyncio.sleep(0.02)
            assert not link.connected
            await restartable.start()

            await link.wait_connected(WAIT_S)
            await dock.client.session.wait_connected(WAIT_S)
            assert link.session.connects == connects[0] + 1
            assert dock.client.session.connects == connects[1] + 1
            seen = len(recorder.messages)
            await recorder.wait_for(lambda m: m.channel is Channel.OSD, after=seen)
            assert link.live(sn)  # resubscribed: fresh OSD arrives and the dock counts as live
            assert reply_of(await link.call(sn, "cover_open", timeout_s=WAIT_S)).ok
