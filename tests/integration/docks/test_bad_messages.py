"""Malformed, schema-invalid, oversized and unknown messages are refused with a logged reason, and
nothing else breaks: OSD keeps flowing and services keep answering."""

from __future__ import annotations

import asyncio
import json
import logging

import aiomqtt
import pytest

from docks.broker import EmbeddedBroker
from docks.broker_url import BrokerUrl
from docks.mqtt_device import MqttDeviceClient
from docks.mqtt_link import MqttDockLink
from docks.ports import DockReplyError, reply_of
from docks.protocol import Channel, Message, build, decode, topic
from docks.result_codes import ResultCode
from docks.settings import MqttSettings
from sim.clock import SimClock
from sim.weather import Weather
from tests.integration.docks.conftest import WAIT_S, Recorder, running


def raw_client(url: BrokerUrl, name: str) -> aiomqtt.Client:
    return aiomqtt.Client(url.host, url.port, identifier=name, protocol=aiomqtt.ProtocolVersion.V311)


async def test_bad_telemetry_is_dropped_with_a_logged_reason(
    broker_url: BrokerUrl,
    sn: str,
    clock: SimClock,
    weather: Weather,
    settings: MqttSettings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="docks")
    async with running(broker_url, sn, clock, weather, settings) as (link, dock, rec):
        good = json.loads(build(Channel.OSD, sn, "dock_osd", dock.osd()).payload)
        invalid = dict(good, data=dict(good["data"], drone_battery_pct=250))
        osd_topic, events_topic = topic(Channel.OSD, sn), topic(Channel.EVENTS, sn)
        bad = [
            (osd_topic, b"{this is not json"),
            (osd_topic, json.dumps(invalid).encode()),
            (osd_topic, b"x" * (settings.max_payload_bytes + 1)),
            (events_topic, json.dumps(dict(good, method="self_destruct", data={})).encode()),
        ]
        async with raw_client(broker_url, f"evil-{sn}") as evil:
            for name, payload in bad:
                await evil.publish(name, payload, qos=1)
            marker = dict(good, tid="marker", data=dict(good["data"], alarm=True))
            await evil.publish(osd_topic, json.dumps(marker).encode(), qos=1)
        await rec.wait_for(lambda m: m.envelope.tid == "marker")
        assert link.rejected["json"] == 1
        assert link.rejected["data"] == 1
        assert link.rejected["oversized"] == 1
        assert link.rejected["unknown_method"] == 1
        logged = " | ".join(r.getMessage() for r in caplog.records)
        for reason in ("malformed JSON", "drone_battery_pct", "exceeds", "unknown method 'self_destruct'"):
            assert reason in logged
        assert osd_topic in logged
        # nothing else broke
        seen = len(rec.messages)
        await rec.wait_for(lambda m: m.channel is Channel.OSD, after=seen)
        assert reply_of(await link.call(sn, "cover_open", timeout_s=WAIT_S)).ok


async def test_dock_answers_unknown_and_invalid_requests_with_codes(
    broker_url: BrokerUrl, sn: str, clock: SimClock, weather: Weather, settings: MqttSettings
) -> None:
    async with running(broker_url, sn, clock, weather, settings) as (link, dock, _rec):
        requests = {
            "unknown": build(Channel.SERVICES, sn, "cover_open").payload.replace(b"cover_open", b"warp_jump"),
            "invalid": build(Channel.SERVICES, sn, "flighttask_prepare", {"flight_id": "f"}).payload.replace(
                b'"flight_id"', b'"flight_idd"'
            ),
        }
        tids = {json.loads(p)["tid"]: name for name, p in requests.items()}
        answers: dict[str, int] = {}
        async with raw_client(broker_url, f"console-{sn}") as console:
            await console.subscribe(topic(Channel.SERVICES_REPLY, sn), qos=1)
            await console.publish(topic(Channel.SERVICES, sn), b"\xff\xfe garbage", qos=1)
            for payload in requests.values():
                await console.publish(topic(Channel.SERVICES, sn), payload, qos=1)
            async with asyncio.timeout(WAIT_S):
                async for message in console.messages:
                    if not str(message.topic).endswith("/services_reply"):
                        continue  # amqtt may also hand over retained messages of other topics
                    reply = decode(str(message.topic), bytes(message.payload))  # type: ignore[arg-type]
                    answers[tids[reply.envelope.tid]] = reply_of(reply).result
                    if len(answers) == len(requests):
                        break
        assert answers == {"unknown": ResultCode.UNKNOWN_METHOD, "invalid": ResultCode.INVALID_PARAMS}
        assert dock.client.rejected["json"] == 1
        assert reply_of(await link.call(sn, "charge_stop", timeout_s=WAIT_S)).ok


async def test_link_refuses_to_send_invalid_requests(
    broker_url: BrokerUrl, sn: str, clock: SimClock, weather: Weather, settings: MqttSettings
) -> None:
    async with running(broker_url, sn, clock, weather, settings) as (link, _dock, _rec):
        with pytest.raises(ValueError, match="unknown service"):
            await link.call(sn, "warp_jump")
        with pytest.raises(ValueError, match="flighttask_prepare"):
            await link.call(sn, "flighttask_prepare", {"flight_id": ""})


async def test_an_invalid_reply_fails_the_call_at_once(
    broker_url: BrokerUrl, sn: str, settings: MqttSettings
) -> None:
    async def sloppy(message: Message) -> tuple[int, dict[str, object]]:
        return ResultCode.OK, {"cover_state": "ajar"}

    async with MqttDockLink(broker_url, settings, client_id=f"cloud-{sn}", devices=[sn]) as link:
        await link.wait_connected(WAIT_S)
        async with MqttDeviceClient(broker_url, sn, sloppy, settings=settings) as device:
            await device.session.wait_connected(WAIT_S)
            with pytest.raises(DockReplyError, match="cover_state"):
                await link.call(sn, "cover_open", timeout_s=30)


async def test_a_flood_of_bad_messages_is_logged_sparingly(
    embedded_broker: EmbeddedBroker, sn: str, settings: MqttSettings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="docks")
    recorder = Recorder()
    async with MqttDockLink(embedded_broker.url, settings, client_id=f"cloud-{sn}", devices=[sn]) as link:
        link.add_listener(recorder)
        await link.wait_connected(WAIT_S)
        async with raw_client(embedded_broker.url, f"flood-{sn}") as flood:
            for _ in range(100):
                await flood.publish(topic(Channel.OSD, sn), b"{broken", qos=1)
            marker = build(Channel.STATE, sn, "dock_state", {"dock_type": "dock2", "firmware_version": "1"})
            await flood.publish(marker.topic, marker.payload, qos=1)
        await recorder.wait_for(lambda m: m.channel is Channel.STATE)
        assert link.rejected["json"] == 100
        warnings = [r for r in caplog.records if "malformed JSON" in r.getMessage()]
        assert 1 <= len(warnings) <= 8  # 1st, 2nd, 4th, ... 64th
