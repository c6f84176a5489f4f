"""Alerts over MQTT through ``docks.mqtt_session``: after a broker restart the subscriber reconnects,
subscribes again and takes the next alert; with a persistent session, a QoS 1 alert published while
mission control was away arrives when it comes back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mission.alert_settings import AlertSettings, AlertSource
from mission.alerts import IntakeAction
from mission.alerts_mqtt import AlertSubscriber
from tests.integration.docks.conftest import external_broker
from tests.integration.docks.restartable_broker import Restartable, restartable_broker
from tests.integration.mission.test_alerts_mqtt import Running, alert, publisher

WAIT_S = 30.0  # wall-clock patience for any one step (a guard against a hang, not a timing check)


@pytest.fixture(params=["embedded", "mosquitto"])
async def restartable(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Restartable]:
    async with restartable_broker(request.param, tmp_path, "video_ai") as broker:
        yield broker


def settings(prefix: str = "alerts") -> AlertSettings:
    return AlertSettings(sources={"video_ai": AlertSource()}, mqtt_topic_prefix=prefix)


def fast(run: Running, *, persistent: bool, client_id: str | None = None) -> AlertSubscriber:
    """The run's subscriber again, reconnecting within a fraction of a second."""
    run.subscriber = AlertSubscriber(
        run.subscriber.url,
        run.subscriber.settings,
        run.intake.submit,
        on_decision=run._record,
        client_id=client_id or run.subscriber.client_id,
        reconnect_min_s=0.05,
        reconnect_max_s=0.3,
        keepalive_s=2,
        persistent_session=persistent,
    )
    return run.subscriber


async def test_reconnects_and_subscribes_again_after_a_broker_restart(restartable: Restartable) -> None:
    run = Running(restartable.url, settings())
    subscriber = fast(run, persistent=False)
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(subscriber.run())
        await asyncio.wait_for(subscriber.connected.wait(), WAIT_S)
        async with publisher(restartable.peer_url, "video") as pub:
            await pub.publish("alerts/video_ai", alert(0.0, id="before"), qos=1)
            await run.wait_for(1)
        await restartable.stop()
        async with asyncio.timeout(WAIT_S):
            while subscriber.connected.is_set():  # noqa: ASYNC110 (no event for 'lost')
                await asyncio.sleep(0.02)
        await restartable.start()
        await asyncio.wait_for(subscriber.connected.wait(), WAIT_S)
        async with publisher(restartable.peer_url, "video") as pub:
            await pub.publish("alerts/video_ai", alert(4000.0, id="after"), qos=1)
            await run.wait_for(2)
        task.cancel()
    assert [d.alert.external_id for d in run.decisions] == ["before", "after"]
    assert [d.action for d in run.decisions] == [IntakeAction.LAUNCH, IntakeAction.LAUNCH]


@pytest.mark.mosquitto
async def test_a_persistent_session_gets_what_was_published_while_away() -> None:
    url = external_broker()
    prefix = f"alerts-{uuid.uuid4().hex[:8]}"
    client_id = f"mission-{uuid.uuid4().hex[:8]}"
    run = Running(url, settings(prefix))
    for attempt, expected in ((1, 0), (2, 1)):
        subscriber = fast(run, persistent=True, client_id=client_id)
        async with asyncio.TaskGroup() as tg:
            task = tg.create_task(subscriber.run())
            await asyncio.wait_for(subscriber.connected.wait(), WAIT_S)
            if attempt == 2:
                await run.wait_for(1)
            task.cancel()
        assert len(run.decisions) == expected
        if attempt == 1:  # mission control is away: the broker keeps the QoS 1 alert for it
            async with publisher(url, "video") as pub:
                await pub.publish(f"{prefix}/video_ai", alert(0.0, id="while-away"), qos=1)
    assert [d.alert.external_id for d in run.decisions] == ["while-away"]
