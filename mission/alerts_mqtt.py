"""Alerts over MQTT: a subscriber to ``alerts/{source}`` that feeds :class:`mission.alert_intake.AlertIntake`.

Each alert source connects to the broker with its own user; the broker's ACL lets user ``u``
publish only to ``alerts/u`` (docs/alerts.md, docs/mosquitto/skyloop.acl), so the topic names the
authenticated sender. The topic's last segment is looked up as a source's ``mqtt_user`` (default:
the source's name); anything else is dropped. Malformed payloads (not JSON, too large, invalid
alerts) are logged with their topic and dropped; the loop carries on. The connection is a
:class:`docks.mqtt_session.MqttSession` (persistent session, QoS 1): after a broker loss it
reconnects with exponential backoff and jitter and subscribes again, until cancelled.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from docks.broker_url import BrokerUrl
from docks.mqtt_session import MqttSession
from mission.alert_settings import AlertSettings
from mission.alerts import AlertDecision, AlertInputError

if TYPE_CHECKING:
    from mission.settings import Settings

log = logging.getLogger(__name__)

Submit = Callable[[object, str], Awaitable[AlertDecision]]
OnDecision = Callable[[AlertDecision], Awaitable[None]]


class AlertSubscriber:
    """Subscribes to ``{prefix}/+`` with QoS 1 and submits every alert. ``counts`` tallies
    ``received``, ``accepted`` (a decision was stored), ``invalid`` and ``unknown_source``."""

    def __init__(
        self,
        url: BrokerUrl,
        settings: AlertSettings,
        submit: Submit,
        *,
        on_decision: OnDecision | None = None,
        client_id: str = "skyloop-mission-alerts",
        max_payload_bytes: int = 65_536,
        tls_ca_file: Path | None = None,
        reconnect_min_s: float = 0.2,
        reconnect_max_s: float = 30.0,
        persistent_session: bool = True,
        keepalive_s: int = 10,
    ) -> None:
        self.url = url
        self.settings = settings
        self._submit = submit
        self._on_decision = on_decision
        self.client_id = client_id
        self.max_payload_bytes = max_payload_bytes
        self._tls_ca_file = tls_ca_file
        self._backoff = (reconnect_min_s, reconnect_max_s)
        self._persistent = persistent_session
        self._keepalive_s = keepalive_s
        self.prefix = settings.mqtt_topic_prefix.rstrip("/")
        self.connected = asyncio.Event()
        self.counts = {"received": 0, "accepted": 0, "invalid": 0, "unknown_source": 0, "failed": 0}

    @classmethod
    def from_settings(
        cls, settings: Settings, url: BrokerUrl, submit: Submit, on_decision: OnDecision | None = None
    ) -> AlertSubscriber:
        """A subscriber from ``[alerts]`` and ``[mqtt]`` (client id ``<mqtt.client_id>-alerts``)."""
        m = settings.mqtt
        return cls(
            url,
            settings.alerts,
            submit,
            on_decision=on_decision,
            client_id=f"{m.client_id}-alerts"[:64],
            max_payload_bytes=m.max_payload_bytes,
            tls_ca_file=m.tls_ca_file,
            reconnect_min_s=m.reconnect_min_s,
            reconnect_max_s=m.reconnect_max_s,
            keepalive_s=m.keepalive_s,
        )

    async def run(self) -> None:
        """Serve until cancelled, reconnecting after any broker loss."""
        low, high = self._backoff
        session = MqttSession(
            self.url,
            client_id=self.client_id,
            subscriptions=[(f"{self.prefix}/+", 1)],
            on_message=self._take,
            on_connect=self._subscribed,
            on_disconnect=self.connected.clear,
            keepalive_s=self._keepalive_s,
            reconnect_min_s=low,
            reconnect_max_s=high,
            tls_ca_file=self._tls_ca_file,
            # a persistent session: QoS 1 alerts published while we were away arrive on return
            clean_session=not self._persistent,
        )
        async with session:
            await session.wait_closed()

    async def _subscribed(self) -> None:
        self.connected.set()
        log.info("alerts: subscribed to %s/+ on %s", self.prefix, self.url)

    async def _take(self, topic: str, payload: bytes) -> None:
        await self.handle(topic, payload)

    def source_of(self, topic: str) -> str | None:
        """The configured source publishing on ``topic`` (``{prefix}/{mqtt user}``), or None."""
        head, _, user = topic.rpartition("/")
        if head != self.prefix or not user:
            return None
        return self.settings.source_by_mqtt_user(user)

    async def handle(self, topic: str, payload: bytes) -> AlertDecision | None:
        """One message: decode, submit, hand the decision on. Never raises (but cancellation)."""
        if not topic.startswith(self.prefix + "/"):
            # Not ours: amqtt 0.12 hands a new subscriber retained messages of other topics.
            log.debug("alerts: ignored a message on %s (not under %s/)", topic, self.prefix)
            return None
        self.counts["received"] += 1
        source = self.source_of(topic)
        if source is None:
            self.counts["unknown_source"] += 1
            log.warning("alerts: dropped a message on %s: no source has that MQTT user", topic)
            return None
        if len(payload) > self.max_payload_bytes:
            self.counts["invalid"] += 1
            log.warning(
                "alerts: dropped %d bytes on %s: larger than %d", len(payload), topic, self.max_payload_bytes
            )
            return None
        try:
            raw = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.counts["invalid"] += 1
            log.warning("alerts: dropped a message on %s: not JSON (%s)", topic, exc)
            return None
        try:
            decision = await self._submit(raw, source)
        except AlertInputError as exc:
            self.counts["invalid"] += 1
            log.warning("alerts: dropped an alert from %s on %s: %s", source, topic, exc)
            return None
        except Exception:
            self.counts["failed"] += 1
            log.exception("alerts: could not take an alert from %s on %s", source, topic)
            return None
        self.counts["accepted"] += 1
        if self._on_decision is not None:
            try:
                await self._on_decision(decision)
            except Exception:
                log.exception("alerts: acting on alert %s failed", decision.alert.id)
        return decision
