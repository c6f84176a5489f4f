"""A payload agent (and an MQTT session) cancelled while connecting leaves no half-open connection:
when the embedded broker stops afterwards (the demo stopped by Ctrl-C while starting), no client
holds an "Unexpected disconnection" nobody reads — asyncio used to print it as "Future exception
was never retrieved" on the demo's terminal."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from docks.broker import EmbeddedBroker
from docks.broker_url import BrokerUrl
from docks.mqtt_session import MqttSession
from payload.agent import AgentConfig, OnboardAgent
from payload.agent_mqtt import MqttAgent

#: Cancel points after the start, in event-loop turns: the connect is then in its worker thread,
#: or waiting for the broker's CONNACK (which of them depends on the machine, so several).
TURNS = (1, 2, 3, 5, 8, 13)


async def unread_errors(start: Callable[[int], Awaitable[None]]) -> list[str]:
    """Run ``start`` with an embedded broker for each cancel point, stop the broker, and return what
    the event loop reports as never retrieved."""
    loop = asyncio.get_running_loop()
    reported: list[str] = []
    previous = loop.get_exception_handler()

    def handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        reported.append(f"{context.get('message')}: {context.get('exception')!r}")

    loop.set_exception_handler(handler)
    try:
        for turns in TURNS:
            broker = EmbeddedBroker()
            url = await broker.start()
            try:
                await start_and_cancel(start, url.port, turns)
                await asyncio.sleep(0.5)  # a connect still in flight completes now
            finally:
                await broker.stop()
            await asyncio.sleep(0.2)
            gc.collect()
            await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    return reported


async def start_and_cancel(run: Callable[[int], Awaitable[None]], port: int, turns: int) -> None:
    async def main() -> None:
        await run(port)

    task = asyncio.create_task(main())
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_an_agent_cancelled_while_connecting_leaves_nothing_unread() -> None:
    async def agent(port: int) -> None:
        await MqttAgent(OnboardAgent(AgentConfig("CANCEL01")), "127.0.0.1", port).run()

    assert await unread_errors(agent) == []


async def test_a_session_cancelled_while_connecting_leaves_nothing_unread() -> None:
    async def session(port: int) -> None:
        s = MqttSession(
            BrokerUrl("127.0.0.1", port),
            client_id="cancel-session",
            subscriptions=[],
            on_message=lambda _topic, _payload: None,
        )
        async with s:
            await s.wait_closed()

    assert await unread_errors(session) == []
