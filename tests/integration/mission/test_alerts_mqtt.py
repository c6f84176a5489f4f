"""Alerts over MQTT against the embedded broker and Mosquitto: valid alerts are stored, malformed
ones are dropped without stopping the loop, and (with the docs' ACL) a source cannot publish as
another."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiomqtt
import pytest

from docks.broker import EmbeddedBroker
from docks.broker_url import BrokerUrl
from mission.alert_intake import AlertIntake
from mission.alert_settings import AlertSettings, AlertSource
from mission.alerts import AlertDecision, IntakeAction
from mission.alerts_mqtt import AlertSubscriber
from tests.integration.docks.conftest import external_broker
from tests.integration.docks.private_mosquitto import PrivateMosquitto, mosquitto_binary
from tests.unit.mission.alert_helpers import ManualClock, offset_wgs84, reference_area
from tests.unit.mission.fake_store import FakeStore


@pytest.fixture(params=["embedded", pytest.param("mosquitto", marks=pytest.mark.mosquitto)])
async def broker_url(request: pytest.FixtureRequest) -> AsyncIterator[BrokerUrl]:
    if request.param == "mosquitto":
        yield external_broker()
        return
    async with EmbeddedBroker() as broker:
        yield broker.url


def settings(prefix: str) -> AlertSettings:
    return AlertSettings(
        sources={"video_ai": AlertSource(), "smart_water": AlertSource(mqtt_user="water-platform")},
        mqtt_topic_prefix=prefix,
    )


class Running:
    """An intake on an in-memory store and its subscriber, with the decisions it handed on."""

    def __init__(self, url: BrokerUrl, alert_settings: AlertSettings) -> None:
        self.store = FakeStore()
        self.intake = AlertIntake(self.store, alert_settings, reference_area(), ManualClock())
        self.decisions: list[AlertDecision] = []
        self.arrived = asyncio.Event()
        self.subscriber = AlertSubscriber(
            url,
            alert_settings,
            self.intake.submit,
            on_decision=self._record,
            client_id=f"mission-{uuid.uuid4().hex[:8]}",
            persistent_session=False,
        )

    async def _record(self, decision: AlertDecision) -> None:
        self.decisions.append(decision)
        self.arrived.set()

    async def wait_for(self, count: int, timeout_s: float = 30.0) -> None:
        async with asyncio.timeout(timeout_s):
            while len(self.decisions) < count:
                self.arrived.clear()
                await self.arrived.wait()


def publisher(url: BrokerUrl, name: str) -> aiomqtt.Client:
    return aiomqtt.Client(
        url.host,
        url.port,
        username=url.username,
        password=url.password,
        identifier=f"{name}-{uuid.uuid4().hex[:6]}",
    )


def alert(east_m: float, **extra: object) -> bytes:
    lon, lat = offset_wgs84(east_m, 0.0)
    return json.dumps({"type": "fire_smoke", "lon": lon, "lat": lat, **extra}).encode()


async def test_alerts_are_stored_and_bad_messages_dropped_without_stopping(broker_url: BrokerUrl) -> None:
    prefix = f"alerts-{uuid.uuid4().hex[:8]}"
    run = Running(broker_url, settings(prefix))
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(run.subscriber.run())
        await asyncio.wait_for(run.subscriber.connected.wait(), 30)
        async with publisher(broker_url, "video") as pub:
            await pub.publish(f"{prefix}/video_ai", b"{not json", qos=1)
            await pub.publish(f"{prefix}/video_ai", json.dumps({"type": "meteor"}).encode(), qos=1)
            await pub.publish(f"{prefix}/stranger", alert(0.0), qos=1)
            await pub.publish(f"{prefix}/video_ai", alert(0.0, id="A1"), qos=1)
            await pub.publish(f"{prefix}/video_ai", alert(100.0, id="A2"), qos=1)
            await pub.publish(
                f"{prefix}/water-platform",
                json.dumps({"type": "person_near_water", **_lonlat(5000.0)}).encode(),
                qos=1,
            )
            await run.wait_for(3)
        task.cancel()
    assert [d.action for d in run.decisions] == [IntakeAction.LAUNCH, IntakeAction.JOIN, IntakeAction.LAUNCH]
    assert [d.alert.source for d in run.decisions] == ["video_ai", "video_ai", "smart_water"]
    assert len(run.store.alerts) == 3 and len(run.store.incidents) == 2
    counts = run.subscriber.counts
    assert (counts["invalid"], counts["unknown_source"], counts["accepted"]) == (2, 1, 3)


@pytest.mark.skipif(mosquitto_binary() is None, reason="mosquitto binary not installed")
async def test_with_the_docs_acl_a_source_cannot_publish_as_another(tmp_path: Path) -> None:
    try:
        broker = PrivateMosquitto(tmp_path, ["skyloop-mission", "video_ai", "water-platform"])
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    await broker.start()
    try:
        run = Running(broker.url("skyloop-mission"), settings("alerts"))
        async with asyncio.TaskGroup() as tg:
            task = tg.create_task(run.subscriber.run())
            await asyncio.wait_for(run.subscriber.connected.wait(), 30)
            async with publisher(broker.url("video_ai"), "video") as pub:
                # spoofing the water platform: the broker drops it (MQTT 3.1.1 cannot say so)
                await pub.publish(
                    "alerts/water-platform", json.dumps({"type": "person_near_water", **_lonlat(0.0)}), qos=1
                )
                await pub.publish("alerts/video_ai", alert(3000.0, id="marker"), qos=1)
                await run.wait_for(1)
            task.cancel()
        assert [d.alert.external_id for d in run.decisions] == ["marker"]
        assert run.subscriber.counts["received"] == 1
    finally:
        await broker.stop()


def _lonlat(east_m: float) -> dict[str, float]:
    lon, lat = offset_wgs84(east_m, 0.0)
    return {"lon": lon, "lat": lat}
