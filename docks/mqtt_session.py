"""One resilient MQTT connection over aiomqtt: connect, subscribe, receive; on any loss reconnect with
jittered exponential backoff and subscribe again. Shared by the cloud-side :class:`MqttDockLink` and the
device-side :class:`MqttDeviceClient`.

Incoming messages go to ``on_message(topic, payload)``, one at a time in arrival order; a handler may
be a coroutine function (awaited before the next message). A handler that raises is logged and the
loop goes on. ``on_connect`` runs once subscribed, ``on_disconnect`` when that connection ends.
``abort()`` drops the TCP connection without an MQTT DISCONNECT (the broker then publishes the
client's last will), which is how the sim injects an "offline" fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
import socket
import ssl
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import aiomqtt

from docks.broker_url import BrokerUrl
from docks.protocol import Outgoing

log = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes], Awaitable[None] | None]
ConnectHook = Callable[[], Awaitable[None]]
DisconnectHook = Callable[[], None]


class NotConnectedError(ConnectionError):
    """The session has no broker connection (and did not get one in time)."""


def backoff_s(attempt: int, min_s: float, max_s: float) -> float:
    """Full-jitter exponential backoff: uniform in [min, min(max, min·2^attempt)]."""
    ceiling = min(max_s, min_s * (2 ** min(attempt, 30)))
    return random.uniform(min_s, max(ceiling, min_s))


async def cancel_tasks(tasks: Iterable[asyncio.Task[Any]], timeout_s: float = 2.0) -> bool:
    """Cancel tasks and wait until they end; cancel again if one swallowed it (``asyncio.wait_for`` in
    Python 3.11 can lose a cancellation that races with its result). True when all ended."""
    pending = [t for t in tasks if not t.done()]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while pending and loop.time() < deadline:
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=0.1)
        pending = [t for t in pending if not t.done()]
    return not pending


#: Wall seconds a cancelled connect may take to finish before it is closed anyway (a guard).
CONNECT_SETTLE_S = 5.0


@contextlib.asynccontextmanager
async def connected_client(client: aiomqtt.Client) -> AsyncIterator[aiomqtt.Client]:
    """``async with client``, without leaving a half-open connection when cancelled while connecting.

    aiomqtt connects in a worker thread, so the broker may accept the connection after the cancel;
    nothing then disconnects it, and when the broker closes it (e.g. an embedded broker stopping
    at shutdown) aiomqtt stores an "Unexpected disconnection" nobody reads — asyncio prints it as
    "Future exception was never retrieved". Cancelled here, the connect in flight is given up to
    :data:`CONNECT_SETTLE_S` to finish, then disconnected, and the cancel goes on."""
    entering = asyncio.ensure_future(client.__aenter__())
    try:
        await asyncio.shield(entering)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            async with asyncio.timeout(CONNECT_SETTLE_S):
                await entering
                await client.__aexit__(None, None, None)
        if not entering.done():
            entering.cancel()
        raise
    try:
        yield client
    finally:
        await client.__aexit__(*sys.exc_info())


class MqttSession:
    """A long-lived connection; use as ``async with`` (starts and stops its background task)."""

    def __init__(
        self,
        url: BrokerUrl,
        *,
        client_id: str,
        subscriptions: list[tuple[str, int]],
        on_message: MessageHandler,
        will: Outgoing | None = None,
        on_connect: ConnectHook | None = None,
        keepalive_s: int = 10,
        reconnect_min_s: float = 0.2,
        reconnect_max_s: float = 30.0,
        tls_ca_file: Path | None = None,
        clean_session: bool = True,
        on_disconnect: DisconnectHook | None = None,
    ) -> None:
        """``clean_session=False`` keeps the broker-side session (QoS 1 messages published while
        we were away arrive on return; needs a stable ``client_id``)."""
        self.url = url
        self._tls_ca_file = tls_ca_file
        self.client_id = client_id
        self._subscriptions = subscriptions
        self._on_message = on_message
        self._will = will
        self._on_connect = on_connect
        self._on_disconnect = on_disconnect
        self._clean_session = clean_session
        self._keepalive_s = keepalive_s
        self._backoff = (reconnect_min_s, reconnect_max_s)
        self._client: aiomqtt.Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._paused = asyncio.Event()
        self._paused.set()  # set = allowed to connect
        self._closing = False
        self._in_connect_hook = False
        self.connects = 0

    # --- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> MqttSession:
        self._task = asyncio.create_task(self._run(), name=f"mqtt:{self.client_id}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self, *, before_disconnect: Outgoing | None = None) -> None:
        """Stop: optionally publish one last message (e.g. a graceful offline), then disconnect."""
        if before_disconnect is not None and self.connected:
            with contextlib.suppress(Exception):
                await self.publish(before_disconnect, wait_s=1.0)
        self._closing = True
        task, self._task = self._task, None
        if task is None:
            return
        if not await cancel_tasks([task], timeout_s=0.5):
            # a graceful DISCONNECT that never completes: drop the socket
            sock = self._raw_socket()
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            if not await cancel_tasks([task], timeout_s=2.0):
                log.warning("%s: connection task did not stop", self.client_id)
                return
        if not task.cancelled() and task.exception() is not None:
            log.warning("%s: connection task ended with %r", self.client_id, task.exception())

    async def wait_closed(self) -> None:
        """Until the connection task ends — :meth:`close`, or an error other than a broker loss,
        raised here. Cancelling the wait leaves the session running."""
        task = self._task
        if task is not None:
            await asyncio.shield(task)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def wait_connected(self, timeout_s: float) -> None:
        try:
            await asyncio.wait_for(self._connected.wait(), timeout_s)
        except TimeoutError:
            raise NotConnectedError(f"{self.client_id}: no connection to {self.url}") from None

    def abort(self) -> None:
        """Drop the connection abruptly (no DISCONNECT, so the will fires) and stay away until
        :meth:`resume`."""
        self._paused.clear()
        sock = self._raw_socket()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def resume(self) -> None:
        """Allow reconnecting after :meth:`abort`."""
        self._paused.set()

    def _raw_socket(self) -> Any:
        client = self._client
        if client is None:
            return None
        return client._client.socket()

    # --- publishing -----------------------------------------------------------------------------

    async def publish(self, out: Outgoing, *, wait_s: float = 0.0) -> None:
        """Publish, waiting up to ``wait_s`` for a connection; raise :class:`NotConnectedError`."""
        if not self.connected and not self._in_connect_hook:
            await self.wait_connected(wait_s)
        client = self._client
        if client is None:
            raise NotConnectedError(f"{self.client_id}: not connected")
        try:
            await client.publish(out.topic, out.payload, qos=out.qos, retain=out.retain)
        except aiomqtt.MqttError as exc:
            raise NotConnectedError(f"{self.client_id}: publish to {out.topic} failed: {exc}") from exc

    # --- the loop --------------------------------------------------------------------------------

    def _make_client(self) -> aiomqtt.Client:
        will = None
        if self._will is not None:
            will = aiomqtt.Will(self._will.topic, self._will.payload, self._will.qos, self._will.retain)
        tls = None
        if self.url.tls:
            tls = ssl.create_default_context(cafile=str(self._tls_ca_file) if self._tls_ca_file else None)
        return aiomqtt.Client(
            self.url.host,
            self.url.port,
            username=self.url.username,
            password=self.url.password,
            identifier=self.client_id,
            protocol=aiomqtt.ProtocolVersion.V311,
            will=will,
            clean_session=self._clean_session,
            keepalive=self._keepalive_s,
            timeout=10.0,
            tls_context=tls,
            socket_options=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),),  # no Nagle delay on replies
        )

    async def _run(self) -> None:
        attempt = 0
        while not self._closing:
            await self._paused.wait()
            subscribed = False
            try:
                async with connected_client(self._make_client()) as client:
                    self._client = client
                    for topic_filter, qos in self._subscriptions:
                        await client.subscribe(topic_filter, qos=qos)
                    self.connects += 1
                    subscribed = True
                    attempt = 0
                    log.info("%s connected to %s", self.client_id, self.url)
                    if self._on_connect is not None:
                        # publishes of the hook (e.g. status online) go out before anyone else's
                        self._in_connect_hook = True
                        try:
                            await self._on_connect()
                        except NotConnectedError as exc:
                            log.warning("%s: on-connect publish failed: %s", self.client_id, exc)
                        finally:
                            self._in_connect_hook = False
                    self._connected.set()
                    async for message in client.messages:
                        await self._dispatch(str(message.topic), message.payload)
            except aiomqtt.MqttError as exc:
                if self._closing:  # a cancelled graceful disconnect surfaces as MqttError
                    return
                level = logging.WARNING if attempt == 0 else logging.DEBUG
                log.log(level, "%s: connection to %s lost or refused: %s", self.client_id, self.url, exc)
            finally:
                self._connected.clear()
                self._client = None
                if subscribed and self._on_disconnect is not None:
                    self._on_disconnect()
            delay_s = backoff_s(attempt, *self._backoff)
            attempt += 1
            await asyncio.sleep(delay_s)

    async def _dispatch(self, topic_name: str, payload: Any) -> None:
        if isinstance(payload, bytes | bytearray):
            data = bytes(payload)
        elif payload is None:
            data = b""
        else:
            data = str(payload).encode()
        try:
            result = self._on_message(topic_name, data)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("%s: handler failed on %s; message dropped", self.client_id, topic_name)
