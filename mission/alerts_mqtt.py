"""Alerts over MQTT: a subscriber to ``alerts/{source}`` that feeds :class:`mission.alert_intake.AlertIntake`.

Each alert source connects to the broker with its own user; the broker's ACL lets user ``u``
publish only to ``alerts/u`` (docs/alerts.md, docs/mosquitto/skyloop.acl), so the topic names the
authenticated sender. The topic's last segment is looked up as a source's ``mqtt_user`` (default:
the source's name); anything else is dropped. Malformed payloads (not JSON, too large, invalid
alerts) are logged with their topic and dropped; the loop carries on. After a broker loss it
reconnects with exponential backoff and jitter, until cancelled.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import aiomqtt

from docks.broker_url import BrokerUrl
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
        )

    async def run(self) -> None:
        """Serve until cancelled, reconnecting after any broker loss."""
        attempt = 0
        while True:
            try:
                async with self._client() as client:
                    await client.subscribe(f"{self.prefix}/+", qos=1)
                    self.connected.set()
                    attempt = 0
                    log.info("alerts: subscribed to %s/+ on %s", self.prefix, self.url)
                    async for message in client.messages:
                        await self.handle(str(message.topic), _bytes(message.payload))
            except aiomqtt.MqttError as exc:
                self.connected.clear()
                low, high = self._backoff
                delay = min(high, low * 2 ** min(attempt, 10)) * random.uniform(0.5, 1.0)
                attempt += 1
                log.warning("alerts: MQTT %s; reconnecting in %.1f s", exc, delay)
                await asyncio.sleep(delay)

    def _client(self) -> aiomqtt.Client:
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
            # a persistent session: QoS 1 alerts published while we were away arrive on return
            clean_session=not self._persistent,
            tls_context=tls,
            timeout=10.0,
        )

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


def _bytes(payload: object) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return b"" if payload is None else str(payload).encode("utf-8")
