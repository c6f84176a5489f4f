"""The cloud side of the dock protocol over MQTT (aiomqtt): :class:`MqttDockLink` implements
:class:`docks.ports.DockLink`.

It subscribes to every device's telemetry, status, events and replies; validates each message
(:func:`docks.protocol.decode`), drops an invalid one with a warning naming its topic and reason,
pairs service replies with requests by ``tid``, acknowledges events that ask for it, tracks presence
(retained status + OSD age) and fans valid messages out to listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from docks.broker_url import BrokerUrl
from docks.mqtt_session import MqttSession, NotConnectedError
from docks.ports import DockLink, DockReplyError, DockTimeoutError, DockUnreachableError, Listener
from docks.presence import Presence, PresenceTracker
from docks.protocol import Channel, DeviceStatus, Message, ProtocolError, build, decode, event_ack, services
from docks.protocol.topics import QOS, cloud_subscriptions
from docks.settings import MqttSettings

log = logging.getLogger(__name__)


class MqttDockLink:
    """``async with MqttDockLink(url, settings) as link: reply = await link.call("DOCK01", "cover_open")``."""

    def __init__(
        self,
        url: BrokerUrl,
        settings: MqttSettings | None = None,
        *,
        client_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        devices: Sequence[str] | None = None,
    ) -> None:
        """``devices`` limits the subscriptions to those serials (default: every device, ``+``);
        ``clock`` (monotonic seconds) times OSD staleness."""
        self.settings = settings or MqttSettings()
        self._clock = clock
        self._pending: dict[str, asyncio.Future[Message]] = {}
        self._listeners: list[Listener] = []
        self.tracker = PresenceTracker(self.settings.stale_after_s)
        #: Messages refused, by :attr:`ProtocolError.kind` (``json``, ``oversized``, ``unknown_method``, ...).
        self.rejected: Counter[str] = Counter()
        self.received = 0
        self._ack_tasks: set[asyncio.Task[None]] = set()
        self._rejections_by_topic: dict[tuple[str, str], int] = {}
        topics = [t for sn in (devices or ["+"]) for t in cloud_subscriptions(sn)]
        subs = [(t, QOS[Channel.OSD] if t.endswith("/osd") else 1) for t in topics]
        self._session = MqttSession(
            url,
            client_id=client_id or self.settings.client_id,
            subscriptions=subs,
            on_message=self._on_message,
            keepalive_s=self.settings.keepalive_s,
            reconnect_min_s=self.settings.reconnect_min_s,
            reconnect_max_s=self.settings.reconnect_max_s,
            tls_ca_file=self.settings.tls_ca_file,
        )

    async def __aenter__(self) -> MqttDockLink:
        await self._session.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._session.close()
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()

    @property
    def connected(self) -> bool:
        return self._session.connected

    @property
    def session(self) -> MqttSession:
        return self._session

    async def wait_connected(self, timeout_s: float = 10.0) -> None:
        try:
            await self._session.wait_connected(timeout_s)
        except NotConnectedError as exc:
            raise DockUnreachableError(str(exc)) from None

    # --- DockLink -------------------------------------------------------------------------------

    async def call(
        self,
        sn: str,
        method: str,
        data: BaseModel | dict[str, Any] | None = None,
        *,
        bid: str | None = None,
        timeout_s: float | None = None,
    ) -> Message:
        entry = services().get(method)
        if entry is None:
            raise ValueError(f"unknown service method {method!r}")
        try:
            request_model = entry[0]
            checked = request_model.model_validate(
                data.model_dump(mode="json") if isinstance(data, BaseModel) else (data or {})
            )
        except ValidationError as exc:
            raise ValueError(f"invalid {method} data: {exc.errors()[0]['msg']}") from None
        out = build(Channel.SERVICES, sn, method, checked, bid=bid, max_bytes=self.settings.max_payload_bytes)
        assert out.envelope is not None
        wait_s = timeout_s if timeout_s is not None else self.settings.timeout_for(method)
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._pending[out.envelope.tid] = future
        try:
            try:
                await self._session.publish(out, wait_s=min(wait_s, 5.0))
            except NotConnectedError as exc:
                raise DockUnreachableError(str(exc)) from exc
            try:
                return await asyncio.wait_for(future, wait_s)
            except TimeoutError:
                raise DockTimeoutError(sn, method, wait_s) from None
        finally:
            self._pending.pop(out.envelope.tid, None)

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return remove

    def presence(self, sn: str) -> Presence:
        return self.tracker.get(sn)

    def live(self, sn: str) -> bool:
        """Online and with fresh OSD."""
        return self.tracker.live(sn, self._clock())

    # --- incoming ---------------------------------------------------------------------------------

    def _on_message(self, topic_name: str, payload: bytes) -> None:
        self.received += 1
        try:
            message = decode(topic_name, payload, max_bytes=self.settings.max_payload_bytes)
        except ProtocolError as exc:
            self.rejected[exc.kind] += 1
            self._log_rejection(topic_name, exc)
            pending = self._pending.get(exc.envelope.tid) if exc.envelope is not None else None
            if pending is not None and not pending.done() and topic_name.endswith("/services_reply"):
                pending.set_exception(DockReplyError(f"{topic_name}: {exc.reason}"))
            return
        now_s = self._clock()
        channel = message.channel
        if channel is Channel.SERVICES_REPLY:
            future = self._pending.get(message.envelope.tid)
            if future is None or future.done():
                log.info("reply %s on %s matches no pending request", message.envelope.tid, topic_name)
            else:
                future.set_result(message)
            return
        if channel is Channel.OSD:
            self.tracker.saw_osd(message.sn, now_s)
        elif channel is Channel.STATUS and isinstance(message.body, DeviceStatus):
            self.tracker.saw_status(message.sn, message.body.online, now_s)
        for listener in list(self._listeners):
            try:
                listener(message)
            except Exception:
                log.exception("listener failed on %s %s", topic_name, message.method)
        if channel is Channel.EVENTS and message.envelope.need_reply:
            self._ack_later(message)

    def _log_rejection(self, topic_name: str, exc: ProtocolError) -> None:
        """Warn on the 1st, 2nd, 4th, 8th, ... rejection per topic and kind (a flood must not flood logs)."""
        key = (topic_name, exc.kind)
        if len(self._rejections_by_topic) > 10_000:
            self._rejections_by_topic.clear()
        count = self._rejections_by_topic[key] = self._rejections_by_topic.get(key, 0) + 1
        if count & (count - 1) == 0 or count % 1000 == 0:
            more = f" ({count} on this topic so far)" if count > 1 else ""
            log.warning("dropped message on %s: %s%s", topic_name, exc.reason, more)

    def _ack_later(self, message: Message) -> None:
        ack = event_ack(message.envelope)

        async def send() -> None:
            try:
                await self._session.publish(ack)
            except NotConnectedError as exc:
                log.warning("could not acknowledge %s from %s: %s", message.method, message.sn, exc)

        task = asyncio.get_running_loop().create_task(send())
        self._ack_tasks.add(task)
        task.add_done_callback(self._ack_tasks.discard)


if TYPE_CHECKING:  # the adapter honours the port
    _port_check: DockLink = MqttDockLink(BrokerUrl("127.0.0.1", 1883))
