"""The onboard agent on MQTT (adapter): the payload computer's presence on the broker.

Publishes a retained ``online`` status (its last will says ``offline``), answers every request on
``thing/product/{sn}/services`` with a ``services_reply`` (unknown or invalid ones with their result
code, via :mod:`docks.protocol`), publishes each confirmed lead batch as an ``ai_detection`` event,
and while the live view is on, its preview frames on ``thing/product/{sn}/live``.
``payload_osd`` telemetry goes out every ``osd_interval_s``. Detection runs in a worker thread so
the MQTT loop stays responsive; the live view's frames are made in another, by their own loop, so a
slow detector does not slow the picture (:meth:`payload.agent.OnboardAgent.live_frame`; nobody
watching: the loop only checks the clock). Reconnects back off with jitter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sys
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor

import aiomqtt

from docks.protocol import Channel, DeviceStatus, ProtocolError, build, decode, reply
from docks.protocol.payload import live_topic
from docks.protocol.topics import topic
from payload.agent import OnboardAgent, Published

log = logging.getLogger(__name__)

OnPublished = Callable[[Published, float], None]
"""Called after each event is published, with the wall time of publication (for latency figures)."""


class MqttAgent:
    """``await MqttAgent(agent, host, port).run()`` until cancelled."""

    def __init__(
        self,
        agent: OnboardAgent,
        host: str = "127.0.0.1",
        port: int = 1883,
        *,
        username: str | None = None,
        password: str | None = None,
        tick_s: float = 0.05,
        osd_interval_s: float = 1.0,
        on_published: OnPublished | None = None,
    ) -> None:
        self.agent = agent
        self.sn = agent.config.sn
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.tick_s = tick_s
        self.osd_interval_s = osd_interval_s
        self.on_published = on_published
        self.connected = asyncio.Event()
        self._was_up = False
        self.published = 0
        self.rejected = 0
        self.live_frames = 0

    def _status(self, online: bool) -> tuple[str, bytes]:
        out = build(
            Channel.STATUS,
            self.sn,
            "update_status",
            DeviceStatus(online=online, device_type="payload"),
            retain=True,
        )
        return out.topic, out.payload

    async def run(self, min_backoff_s: float = 0.5, max_backoff_s: float = 15.0) -> None:
        """Connect, serve, and reconnect after any broker loss (exponential backoff with jitter,
        reset once a session came up) until cancelled."""
        attempt = 0
        while True:
            lost: object = "session ended"
            try:
                await self._session()
            except* aiomqtt.MqttError as group:  # from the session's task group, or connecting
                lost = group.exceptions[0]
            self.connected.clear()
            attempt = 0 if self._was_up else attempt + 1
            self._was_up = False
            delay = min(max_backoff_s, min_backoff_s * 2 ** min(attempt, 10)) * random.uniform(0.5, 1.0)
            log.warning("payload %s: MQTT %s; reconnecting in %.1f s", self.sn, lost, delay)
            await asyncio.sleep(delay)

    async def _session(self) -> None:
        will_topic, will_payload = self._status(online=False)
        client = aiomqtt.Client(
            self.host,
            self.port,
            identifier=f"payload-{self.sn}",
            username=self.username,
            password=self.password,
            will=aiomqtt.Will(will_topic, will_payload, qos=1, retain=True),
        )
        async with _connected(client):
            status_topic, online = self._status(online=True)
            await client.publish(status_topic, online, qos=1, retain=True)
            await client.subscribe(topic(Channel.SERVICES, self.sn), qos=1)
            self.connected.set()
            self._was_up = True
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._detect_loop(client))
                tg.create_task(self._live_loop(client))
                tg.create_task(self._osd_loop(client))
                async for message in client.messages:
                    tg.create_task(self._serve(client, str(message.topic), bytes(message.payload)))

    async def _serve(self, client: aiomqtt.Client, topic_name: str, payload: bytes) -> None:
        try:
            msg = decode(topic_name, payload)
        except ProtocolError as exc:
            self.rejected += 1
            log.warning("payload %s: dropped %s", self.sn, exc)
            if exc.envelope is not None:  # readable request: answer with the reason's code
                out = reply(exc.envelope, int(exc.code), {"reason": exc.reason})
                await client.publish(out.topic, out.payload, qos=out.qos)
            return
        if msg.channel is not Channel.SERVICES:
            return
        if msg.method in INLINE_METHODS:
            code, output = self.agent.handle(msg.method, msg.body)
        else:
            code, output = await asyncio.to_thread(self.agent.handle, msg.method, msg.body)
        out = reply(msg.envelope, code, output)
        await client.publish(out.topic, out.payload, qos=out.qos)

    async def _osd_loop(self, client: aiomqtt.Client) -> None:
        while True:
            out = build(Channel.OSD, self.sn, "payload_osd", self.agent.osd())
            await client.publish(out.topic, out.payload, qos=out.qos)
            _raise_if_cancelling()
            await asyncio.sleep(self.osd_interval_s)

    async def _live_loop(self, client: aiomqtt.Client) -> None:
        """The live view's frames, each when due (its ``rate_hz``, wall clock), made in a thread of
        their own (not the shared pool the detection steps and services queue in); between them,
        and while nobody watches, only the clock is read. The thread works at most ``LIVE_DUTY`` of
        the wall time (a frame that took long to make is followed by a longer pause), so on a
        loaded machine the picture slows down before it starves the detector."""
        loop = asyncio.get_running_loop()
        worker = ThreadPoolExecutor(1, thread_name_prefix=f"live-{self.sn}")  # its thread: on first use
        try:
            while True:
                pause_s = max(self.tick_s, LIVE_POLL_S)
                started_s = time.monotonic()
                if self.agent.live.due(started_s) is not None:
                    live = await loop.run_in_executor(worker, self.agent.live_frame)
                    spent_s = time.monotonic() - started_s
                    pause_s = max(pause_s, spent_s * (1.0 / LIVE_DUTY - 1.0))
                    if live is not None:  # a stream, not an event: no envelope, QoS 0, never retained
                        await client.publish(live_topic(self.sn), live.model_dump_json().encode(), qos=0)
                        self.live_frames += 1
                _raise_if_cancelling()
                await asyncio.sleep(pause_s)
        finally:
            worker.shutdown(wait=False)

    async def _detect_loop(self, client: aiomqtt.Client) -> None:
        while True:
            published = await asyncio.to_thread(self.agent.step)
            if published is not None:
                out = build(Channel.EVENTS, self.sn, "ai_detection", published.event)
                await client.publish(out.topic, out.payload, qos=out.qos)
                self.published += 1
                if self.on_published is not None:
                    self.on_published(published, time.time())
            _raise_if_cancelling()
            await asyncio.sleep(self.tick_s)


#: Wall seconds between two looks at the live view's clock (also with ``tick_s=0``: no busy loop).
LIVE_POLL_S = 0.02
#: The most of the wall time the live view's thread works (rendering and encoding its frames).
LIVE_DUTY = 0.5
#: Services answered on the event loop, not in the shared thread pool: they only set the live view's
#: request under its lock, and must not wait behind detection steps (and, in the demo's one process,
#: mission control's store calls) when that pool is busy.
INLINE_METHODS = frozenset({"live_view_start", "live_view_stop"})

#: Wall seconds a cancelled connect may take to finish before it is closed anyway (a guard).
CONNECT_SETTLE_S = 5.0


@contextlib.asynccontextmanager
async def _connected(client: aiomqtt.Client) -> AsyncIterator[aiomqtt.Client]:
    """``async with client``, without leaving a half-open connection when cancelled while connecting
    (as ``docks.mqtt_session.connected_client``, which the payload may not import): aiomqtt
    connects in a worker thread, the broker may accept after the cancel, and its later close (an
    embedded broker stopping) becomes an "Unexpected disconnection" nobody reads, which asyncio
    prints. Cancelled, the connect in flight may finish (up to ``CONNECT_SETTLE_S``), then it is
    disconnected and the cancel goes on."""
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


def _raise_if_cancelling() -> None:
    """Re-raise a cancellation that an inner ``asyncio.wait_for`` swallowed (a Python 3.11 race in
    aiomqtt's publish); without this a cancelled loop would sleep on and its TaskGroup never exit."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
