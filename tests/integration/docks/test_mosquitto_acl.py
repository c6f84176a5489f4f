"""The docs/mosquitto example: per-device users and an ACL so that a dock publishes only as itself."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiomqtt
import pytest

from docks.broker_url import BrokerUrl, parse_broker_url
from docks.model import CoverState
from docks.mqtt_device import MqttDeviceClient
from docks.mqtt_link import MqttDockLink
from docks.ports import reply_of
from docks.protocol import Channel, CoverOutput, Message, build, topic
from docks.result_codes import ResultCode
from docks.settings import MqttSettings
from sim.clock import SimClock
from sim.dock import SimDockConfig
from sim.dock_fleet import SimDockFleet
from sim.weather import Weather
from tests.integration.docks.conftest import WAIT_S, Recorder
from tests.integration.docks.private_mosquitto import PrivateMosquitto, mosquitto_binary

pytestmark = pytest.mark.skipif(mosquitto_binary() is None, reason="mosquitto binary not installed")

USERS = ["skyloop-mission", "D01", "D02"]


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[PrivateMosquitto]:
    try:
        private = PrivateMosquitto(tmp_path, USERS)
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    await private.start()
    try:
        yield private
    finally:
        await private.stop()


def client(url: BrokerUrl, name: str) -> aiomqtt.Client:
    return aiomqtt.Client(
        url.host,
        url.port,
        username=url.username,
        password=url.password,
        identifier=name,
        protocol=aiomqtt.ProtocolVersion.V311,
    )


async def ok_handler(message: Message) -> tuple[int, CoverOutput]:
    return ResultCode.OK, CoverOutput(cover_state=CoverState.OPEN)


async def test_a_dock_cannot_publish_as_another_dock(broker: PrivateMosquitto) -> None:
    settings = MqttSettings(reconnect_min_s=0.05, reconnect_max_s=0.5)
    recorder = Recorder()
    async with MqttDockLink(broker.url("skyloop-mission"), settings) as link:
        link.add_listener(recorder)
        await link.wait_connected(WAIT_S)
        async with MqttDeviceClient(broker.url("D01"), "D01", ok_handler, settings=settings) as d01:
            await d01.session.wait_connected(WAIT_S)
            await recorder.wait_for(lambda m: m.sn == "D01" and m.channel is Channel.STATUS)
            assert reply_of(await link.call("D01", "cover_open", timeout_s=WAIT_S)).ok

            async with client(broker.url("D01"), "D01-raw") as raw:
                spoof = build(Channel.STATUS, "D02", "update_status", {"online": True}, retain=True)
                await raw.publish(spoof.topic, spoof.payload, qos=1, retain=True)
                fake_event = build(Channel.EVENTS, "D02", "hms", _hms())
                await raw.publish(fake_event.topic, fake_event.payload, qos=1)
                marker = build(Channel.EVENTS, "D01", "hms", _hms(), tid="marker")
                await raw.publish(marker.topic, marker.payload, qos=1)
            await recorder.wait_for(lambda m: m.envelope.tid == "marker")
            assert [m for m in recorder.messages if m.sn == "D02"] == []
            assert link.presence("D02").online is None


async def test_a_dock_reads_only_its_own_commands(broker: PrivateMosquitto) -> None:
    async with client(broker.url("D01"), "D01-raw") as d01:
        await d01.subscribe("thing/product/+/services", qos=1)
        async with client(broker.url("skyloop-mission"), "mission-raw") as mission:
            for sn in ("D02", "D01"):
                out = build(Channel.SERVICES, sn, "cover_open")
                await mission.publish(out.topic, out.payload, qos=1)
        async for message in d01.messages:
            assert str(message.topic) == topic(Channel.SERVICES, "D01")  # D02's command never arrives
            assert json.loads(bytes(message.payload))["gateway"] == "D01"  # type: ignore[arg-type]
            break


async def test_anonymous_and_wrong_passwords_are_refused(broker: PrivateMosquitto) -> None:
    anonymous = BrokerUrl("127.0.0.1", broker.port)
    wrong = broker.url("D01").with_credentials("D01", "not-the-password")
    for url in (anonymous, wrong):
        with pytest.raises(aiomqtt.MqttError):
            async with client(url, "intruder"):
                pass


def _hms() -> dict[str, object]:
    return {"alerts": [{"code": "x", "level": 1, "module": "cover", "message": "test"}]}


async def test_sim_docks_log_in_as_themselves(broker: PrivateMosquitto, weather: Weather) -> None:
    settings = MqttSettings(reconnect_min_s=0.05, reconnect_max_s=0.5)
    template = parse_broker_url(f"mqtt://{{sn}}:pw-{{sn}}-secret@127.0.0.1:{broker.port}")
    configs = [SimDockConfig(sn=sn, longitude_deg=113.8, latitude_deg=34.8) for sn in ("D01", "D02")]
    recorder = Recorder()
    async with MqttDockLink(broker.url("skyloop-mission"), settings) as link:
        link.add_listener(recorder)
        await link.wait_connected(WAIT_S)
        async with SimDockFleet(configs, template, SimClock(100.0), weather, settings) as fleet:
            await fleet.wait_connected(WAIT_S)
            for sn in ("D01", "D02"):
                await recorder.wait_for(lambda m, sn=sn: m.sn == sn and m.channel is Channel.OSD)
                assert reply_of(await link.call(sn, "charge_stop", timeout_s=WAIT_S)).ok
