"""The live view on MQTT (adapter): subscribes to every payload's ``thing/product/+/live`` and hands
each valid :class:`docks.protocol.payload.LiveFrame` to the :class:`LiveViewRelay` under the drone
it belongs to. Frames nobody watches are dropped by the relay; invalid ones are logged (at most once
a minute per serial) and dropped. The connection is a :class:`docks.mqtt_session.MqttSession`:
it reconnects with backoff and jitter and subscribes again, until cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from docks.broker_url import BrokerUrl
from docks.mqtt_session import MqttSession
from docks.protocol.payload import LIVE_TOPIC, LiveFrame
from mission.live_view_relay import LiveViewRelay

log = logging.getLogger(__name__)

#: Every payload's preview stream.
LIVE_FILTER = LIVE_TOPIC.format(sn="+")


class LiveFrameSubscriber:
    """``await LiveFrameSubscriber(url, relay, drone_of).run()`` until cancelled; ``drone_of`` maps a
    payload serial to its drone id."""

    def __init__(
        self,
        url: BrokerUrl,
        relay: LiveViewRelay,
        drone_of: Callable[[str], str],
        *,
        client_id: str = "skyloop-mission-live-view",
        tls_ca_file: Path | None = None,
        reconnect_min_s: float = 0.2,
        reconnect_max_s: float = 30.0,
    ) -> None:
        self.url, self.relay, self.drone_of = url, relay, drone_of
        self.client_id, self.tls_ca_file = client_id, tls_ca_file
        self.reconnect_min_s, self.reconnect_max_s = reconnect_min_s, reconnect_max_s
        self.connected = asyncio.Event()
        self.received = 0
        self.invalid = 0
        self._warned_at: dict[str, float] = {}

    async def run(self) -> None:
        """Relay frames until cancelled, reconnecting after any broker loss."""
        session = MqttSession(
            self.url,
            client_id=self.client_id,
            subscriptions=[(LIVE_FILTER, 0)],
            on_message=self.take,
            on_connect=self._subscribed,
            on_disconnect=self.connected.clear,
            reconnect_min_s=self.reconnect_min_s,
            reconnect_max_s=self.reconnect_max_s,
            tls_ca_file=self.tls_ca_file,
        )
        async with session:
            await session.wait_closed()

    async def _subscribed(self) -> None:
        self.connected.set()

    def take(self, topic_name: str, payload: bytes) -> None:
        """One message from ``thing/product/{sn}/live``."""
        parts = topic_name.split("/")
        if len(parts) != 4 or parts[3] != "live":
            return
        sn = parts[2]
        try:
            frame = LiveFrame.model_validate_json(payload)
        except ValidationError as exc:
            self.invalid += 1
            now = time.monotonic()
            if now - self._warned_at.get(sn, -1e9) >= 60.0:
                self._warned_at[sn] = now
                log.warning("live view: invalid frame from %s dropped: %s", sn, exc.errors()[:1])
            return
        self.received += 1
        self.relay.deliver(self.drone_of(sn), frame)
