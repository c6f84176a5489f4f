"""An embedded MQTT broker (amqtt) for the default single-process set-up and for tests.

amqtt 0.12 speaks MQTT 3.1.1 with QoS 1, retained messages and last wills, and moves roughly 650
messages/s in one process: plenty for a district's docks, not for a city (use Mosquitto or EMQX by
URL). It binds 127.0.0.1 only; port 0 picks a free port. ``stop()`` then ``start()`` restarts it on the
same port (retained messages are lost, as with a broker without persistence).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from amqtt.broker import Broker

from docks.broker_url import BrokerUrl

log = logging.getLogger(__name__)

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _undelivered_at_stop(record: logging.LogRecord) -> bool:
    """amqtt warns "N messages not broadcasted" when it stops with messages still queued (e.g. the
    last will of a client it just closed): at our own stop nobody is left to receive them, so the
    line goes to DEBUG here instead of the operator's terminal."""
    if record.getMessage().endswith("messages not broadcasted"):
        log.debug("stopping: amqtt %s", record.getMessage())
        return False
    return True


async def _stop_readers(broker: Broker) -> None:
    """End each client's packet reader, cancelling it again until it has ended. amqtt's shutdown
    cancels each reader once and waits for it; on Python 3.11 a cancel that meets a packet just read
    is lost (in ``asyncio.wait_for``), so a client that kept publishing held the shutdown forever."""
    for _session, handler in list(broker._sessions.values()):
        reader = handler._reader_task
        while reader is not None and not reader.done():
            reader.cancel()
            await asyncio.wait({reader}, timeout=0.1)


class _SnapshotTable(dict[str, Any]):
    """amqtt's subscription table, iterated over a snapshot. amqtt 0.12 loops over the table across
    awaits (a connecting client's retained messages, every broadcast) while other clients subscribe
    or leave, and "dictionary changed size during iteration" then kills that client's session (seen
    when 16 docks and mission control connect at start-up)."""

    def __iter__(self) -> Iterator[str]:
        return iter(list(dict.keys(self)))

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        return list(dict.items(self))


def _broker(config: dict[str, object]) -> Broker:
    broker = Broker(config)
    broker._subscriptions = _SnapshotTable(broker._subscriptions)
    return broker


class EmbeddedBroker:
    """``async with EmbeddedBroker() as broker: ... broker.url ...``"""

    def __init__(self, port: int = 0, *, certfile: Path | None = None, keyfile: Path | None = None) -> None:
        """With ``certfile`` and ``keyfile`` (PEM) the broker speaks TLS only (``mqtts://``)."""
        if (certfile is None) != (keyfile is None):
            raise ValueError("TLS needs both certfile and keyfile")
        self.port = port or free_port()
        self._tls = (certfile, keyfile) if certfile is not None and keyfile is not None else None
        self._broker: Broker | None = None

    @property
    def url(self) -> BrokerUrl:
        return BrokerUrl(HOST, self.port, tls=self._tls is not None)

    @property
    def running(self) -> bool:
        return self._broker is not None

    async def start(self) -> BrokerUrl:
        if self._broker is not None:
            return self.url
        for noisy in ("transitions", "amqtt"):  # INFO on every session state change
            if logging.getLogger(noisy).level == logging.NOTSET:
                logging.getLogger(noisy).setLevel(logging.WARNING)
        listener: dict[str, object] = {"type": "tcp", "bind": f"{HOST}:{self.port}"}
        if self._tls is not None:
            listener |= {"ssl": True, "certfile": str(self._tls[0]), "keyfile": str(self._tls[1])}
        config = {
            "listeners": {"default": listener},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        for attempt in range(50):
            broker = _broker(config)
            try:
                await broker.start()
            except Exception as exc:  # the port may still be held by the previous instance
                if attempt == 49:
                    raise OSError(f"embedded broker could not bind {HOST}:{self.port}: {exc}") from exc
                with contextlib.suppress(Exception):
                    await broker.shutdown()
                await asyncio.sleep(0.1)
                continue
            self._broker = broker
            log.info("embedded MQTT broker on %s", self.url)
            return self.url
        raise AssertionError("unreachable")

    async def stop(self) -> None:
        broker, self._broker = self._broker, None
        if broker is not None:
            # amqtt closes its clients' sessions before its listeners: a client reconnecting in between
            # was accepted by the broker being stopped and stayed connected to nothing (after a
            # restart it never heard the new broker). Stop listening first.
            for server in broker._servers.values():
                await server.close_instance()
            await _stop_readers(broker)
            amqtt_log = logging.getLogger("amqtt.broker")
            amqtt_log.addFilter(_undelivered_at_stop)
            try:
                await broker.shutdown()
            finally:
                amqtt_log.removeFilter(_undelivered_at_stop)

    async def __aenter__(self) -> EmbeddedBroker:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
