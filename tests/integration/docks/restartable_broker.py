"""A broker a test can stop and start again: the embedded one, or a private Mosquitto with an ACL
user for mission control and one for the peer (a dock, an alert source)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from docks.broker import EmbeddedBroker
from docks.broker_url import BrokerUrl
from tests.integration.docks.private_mosquitto import PrivateMosquitto, mosquitto_binary


@dataclass
class Restartable:
    url: BrokerUrl  # mission control's user
    peer_url: BrokerUrl  # the peer's user
    stop: Callable[[], Awaitable[None]]
    start: Callable[[], Awaitable[object]]


@contextlib.asynccontextmanager
async def restartable_broker(kind: str, tmp_path: Path, peer_user: str) -> AsyncIterator[Restartable]:
    """``kind`` is ``embedded`` or ``mosquitto`` (skipped, with the reason, when it is not installed)."""
    if kind == "embedded":
        broker = EmbeddedBroker()
        await broker.start()
        try:
            yield Restartable(broker.url, broker.url, broker.stop, broker.start)
        finally:
            await broker.stop()
        return
    if mosquitto_binary() is None:
        pytest.skip("mosquitto binary not installed")
    private = PrivateMosquitto(tmp_path, ["skyloop-mission", peer_user])
    await private.start()
    try:
        yield Restartable(private.url("skyloop-mission"), private.url(peer_user), private.stop, private.start)
    finally:
        await private.stop()
