"""The agent's MQTT presence survives a broker restart: it reconnects and says it is online again."""

from __future__ import annotations

import asyncio
import json

import aiomqtt

from docks.broker import EmbeddedBroker
from docks.protocol import Channel
from docks.protocol.topics import topic
from payload.agent import AgentConfig, OnboardAgent
from payload.agent_mqtt import MqttAgent

SN = "PAYLOAD02"
#: Wall-clock patience for any one step (a guard against a hang on a loaded machine, not a timing check).
WAIT_S = 30.0


async def online_statuses(host: str, port: int, timeout_s: float) -> list[bool]:
    """Retained and live status messages seen within ``timeout_s``."""
    seen: list[bool] = []
    async with aiomqtt.Client(host, port, identifier="status-watch") as client:
        await client.subscribe(topic(Channel.STATUS, SN), qos=1)
        try:
            async with asyncio.timeout(timeout_s):
                async for m in client.messages:
                    seen.append(json.loads(bytes(m.payload))["data"]["online"])  # type: ignore[arg-type]
                    if seen[-1]:
                        break
        except TimeoutError:
            pass
    return seen


async def test_reconnects_after_a_broker_restart() -> None:
    broker = EmbeddedBroker()
    await broker.start()
    runner = MqttAgent(OnboardAgent(AgentConfig(SN)), broker.url.host, broker.url.port, osd_interval_s=0.2)
    task = asyncio.create_task(runner.run(min_backoff_s=0.1, max_backoff_s=0.5))
    try:
        await asyncio.wait_for(runner.connected.wait(), WAIT_S)
        assert await online_statuses(broker.url.host, broker.url.port, WAIT_S) == [True]
        await broker.stop()
        async with asyncio.timeout(WAIT_S):
            while runner.connected.is_set():  # noqa: ASYNC110 - polling the adapter's public flag
                await asyncio.sleep(0.05)
        await broker.start()  # same port, retained messages lost
        await asyncio.wait_for(runner.connected.wait(), WAIT_S)
        assert (await online_statuses(broker.url.host, broker.url.port, WAIT_S))[-1:] == [True]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await broker.stop()
