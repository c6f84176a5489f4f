"""The device side of the dock protocol over MQTT: what a dock (real bridge or simulated) or a payload
computer runs. :class:`MqttDeviceClient` keeps a retained ``online`` status with an ``offline`` last
will, answers every service request (unknown or invalid ones with their result code), publishes OSD,
state and events, and re-sends events that asked for a reply until the cloud acknowledges them.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel

from docks.broker_url import BrokerUrl
from docks.mqtt_session import ConnectHook, MqttSession, NotConnectedError, cancel_tasks
from docks.protocol import Channel, DeviceStatus, Message, Outgoing, ProtocolError, build, decode, reply
from docks.protocol.topics import QOS, device_subscriptions
from docks.result_codes import ResultCode
from docks.settings import MqttSettings

log = logging.getLogger(__name__)

Output = BaseModel | dict[str, Any] | None
#: Runs one service request; returns (result code, output). May take as long as the job does.
ServiceHandler = Callable[[Message], Awaitable[tuple[int, Output]]]


class MqttDeviceClient:
    """One device's MQTT presence; ``async with`` connects and keeps reconnecting."""

    def __init__(
        self,
        url: BrokerUrl,
        sn: str,
        handler: ServiceHandler,
        *,
        device_type: str = "dock",
        settings: MqttSettings | None = None,
        on_connect: ConnectHook | None = None,
    ) -> None:
        self.sn = sn
        self.settings = settings or MqttSettings()
        self._handler = handler
        self._device_type = device_type
        self._user_on_connect = on_connect
        self._unacked: dict[str, Outgoing] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.rejected: Counter[str] = Counter()
        subs = [(t, QOS[Channel.SERVICES]) for t in device_subscriptions(sn)]
        self._session = MqttSession(
            url,
            client_id=f"{device_type}-{sn}",
            subscriptions=subs,
            on_message=self._on_message,
            will=self._status(online=False),
            on_connect=self._on_connect,
            keepalive_s=self.settings.keepalive_s,
            reconnect_min_s=self.settings.reconnect_min_s,
            reconnect_max_s=self.settings.reconnect_max_s,
            tls_ca_file=self.settings.tls_ca_file,
        )

    def _status(self, *, online: bool) -> Outgoing:
        data = DeviceStatus(online=online, device_type=self._device_type)
        return build(Channel.STATUS, self.sn, "update_status", data, retain=True)

    async def __aenter__(self) -> MqttDeviceClient:
        await self._session.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Graceful stop: publish ``offline`` (retained), cancel running jobs, disconnect."""
        await cancel_tasks(list(self._tasks))
        await self._session.close(before_disconnect=self._status(online=False))

    @property
    def connected(self) -> bool:
        return self._session.connected

    @property
    def session(self) -> MqttSession:
        return self._session

    @property
    def unacked_events(self) -> int:
        return len(self._unacked)

    def abort(self) -> None:
        """Drop off the network abruptly (the broker fires the last will) until :meth:`resume`."""
        self._session.abort()

    def resume(self) -> None:
        self._session.resume()

    # --- publishing -----------------------------------------------------------------------------

    async def _publish(self, out: Outgoing) -> bool:
        try:
            await self._session.publish(out)
        except NotConnectedError:
            return False
        return True

    async def publish_osd(self, method: str, data: BaseModel) -> bool:
        """Best effort (QoS 0): False when not connected."""
        out = build(Channel.OSD, self.sn, method, data, max_bytes=self.settings.max_payload_bytes)
        return await self._publish(out)

    async def publish_state(self, method: str, data: BaseModel) -> bool:
        out = build(Channel.STATE, self.sn, method, data, max_bytes=self.settings.max_payload_bytes)
        return await self._publish(out)

    async def publish_event(
        self, method: str, data: BaseModel, *, need_reply: bool = False, bid: str | None = None
    ) -> bool:
        """Publish an event; one with ``need_reply`` is kept and re-sent on reconnect until acknowledged."""
        out = build(
            Channel.EVENTS,
            self.sn,
            method,
            data,
            bid=bid,
            need_reply=need_reply or None,
            max_bytes=self.settings.max_payload_bytes,
        )
        if need_reply and out.envelope is not None:
            self._unacked[out.envelope.tid] = out
        return await self._publish(out)

    async def _on_connect(self) -> None:
        await self._session.publish(self._status(online=True))
        for out in list(self._unacked.values()):
            await self._session.publish(out)
        if self._user_on_connect is not None:
            await self._user_on_connect()

    # --- incoming -------------------------------------------------------------------------------

    def _on_message(self, topic_name: str, payload: bytes) -> None:
        try:
            message = decode(topic_name, payload, max_bytes=self.settings.max_payload_bytes)
        except ProtocolError as exc:
            self.rejected[exc.kind] += 1
            log.warning("%s dropped message on %s: %s", self.sn, topic_name, exc.reason)
            if exc.envelope is not None and topic_name.endswith("/services"):
                self._spawn(self._publish_quietly(reply(exc.envelope, exc.code)))
            return
        if message.channel is Channel.EVENTS_REPLY:
            self._unacked.pop(message.envelope.tid, None)
        elif message.channel is Channel.SERVICES:
            self._spawn(self._serve(message))

    async def _serve(self, message: Message) -> None:
        try:
            result, output = await self._handler(message)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: %s failed", self.sn, message.method)
            result, output = ResultCode.INTERNAL_ERROR, None
        await self._publish_quietly(reply(message.envelope, result, output))

    async def _publish_quietly(self, out: Outgoing) -> None:
        if not await self._publish(out):
            log.warning("%s: could not send %s reply (not connected)", self.sn, out.topic)

    def _spawn(self, coro: Awaitable[None]) -> None:
        async def run() -> None:
            await coro

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
