"""Broker fixtures: the embedded amqtt broker always; the external Mosquitto at
``SKYLOOP_TEST_MQTT_URL`` (CI sets mqtt://127.0.0.1:1883), skipped with the reason when unset or
unreachable. Each test uses fresh serials, so tests sharing the external broker do not see each other."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from docks.broker import EmbeddedBroker
from docks.broker_url import BrokerUrl, parse_broker_url
from docks.mqtt_link import MqttDockLink
from docks.protocol import Message
from docks.settings import MqttSettings
from sim.clock import SimClock
from sim.dock import SimDock, SimDockConfig
from sim.weather import SteadyWind, Weather

MQTT_ENV = "SKYLOOP_TEST_MQTT_URL"
#: Sim speed-up for dock delays: a 15 s cover takes 0.15 s, a 50 s preparation 0.5 s.
SPEED = 100.0
#: Wall-clock patience for any one message or connection (a loaded CI machine can be slow).
WAIT_S = 30.0


def external_broker() -> BrokerUrl:
    """The external broker's URL, or skip the test saying why."""
    raw = os.environ.get(MQTT_ENV)
    if not raw:
        pytest.skip(f"{MQTT_ENV} is not set (CI sets mqtt://127.0.0.1:1883)")
    url = parse_broker_url(raw)
    try:
        with socket.create_connection((url.host, url.port), timeout=1.0):
            pass
    except OSError as exc:
        pytest.skip(f"MQTT broker at {url} unreachable: {exc}")
    return url


@pytest.fixture
async def embedded_broker() -> AsyncIterator[EmbeddedBroker]:
    async with EmbeddedBroker() as broker:
        yield broker


@pytest.fixture(params=["embedded", pytest.param("mosquitto", marks=pytest.mark.mosquitto)])
async def broker_url(request: pytest.FixtureRequest) -> AsyncIterator[BrokerUrl]:
    """Each test runs against both brokers."""
    if request.param == "mosquitto":
        yield external_broker()
        return
    async with EmbeddedBroker() as broker:
        yield broker.url


@pytest.fixture
def sn() -> str:
    return f"T{uuid.uuid4().hex[:10]}"


@pytest.fixture
def clock() -> SimClock:
    return SimClock(SPEED)


#: The links' stale time, in sim seconds (1 wall second at ``SPEED``): a test that checks a dock is
#: live right after its OSD arrived must not fail because the loop stalled before the check (10 sim
#: seconds were 0.1 wall second).
STALE_AFTER_S = 100.0


@pytest.fixture
def settings() -> MqttSettings:
    return MqttSettings(keepalive_s=2, reconnect_min_s=0.05, reconnect_max_s=0.5, stale_after_s=STALE_AFTER_S)


@pytest.fixture
def weather() -> Weather:
    return Weather(SteadyWind(3.0, 90.0))


class Recorder:
    """A link listener that keeps every message and lets a test wait for one."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._arrived = asyncio.Event()

    def __call__(self, message: Message) -> None:
        self.messages.append(message)
        self._arrived.set()

    async def wait_for(
        self, predicate: Callable[[Message], bool], timeout_s: float = WAIT_S, *, after: int = 0
    ) -> Message:
        """The first message (from index ``after`` on) that matches ``predicate``; ``timeout_s`` is
        a guard against a hang on a loaded machine, not a timing check."""
        async with asyncio.timeout(timeout_s):
            seen = after
            while True:
                for message in self.messages[seen:]:
                    if predicate(message):
                        return message
                seen = len(self.messages)
                self._arrived.clear()
                await self._arrived.wait()

    def count(self, predicate: Callable[[Message], bool]) -> int:
        return sum(1 for m in self.messages if predicate(m))


@asynccontextmanager
async def running(
    url: BrokerUrl,
    sn: str,
    clock: SimClock,
    weather: Weather,
    settings: MqttSettings,
    **config: object,
) -> AsyncIterator[tuple[MqttDockLink, SimDock, Recorder]]:
    """A cloud link (clocked by the sim clock, limited to ``sn``) and one sim dock, both connected."""
    dock_config = SimDockConfig(sn=sn, longitude_deg=113.77, latitude_deg=34.76, **config)  # type: ignore[arg-type]
    recorder = Recorder()
    async with MqttDockLink(url, settings, client_id=f"cloud-{sn}", clock=clock.now_s, devices=[sn]) as link:
        link.add_listener(recorder)
        await link.wait_connected(WAIT_S)
        async with SimDock(dock_config, url, clock, weather, settings) as dock:
            await dock.client.session.wait_connected(WAIT_S)
            yield link, dock, recorder
