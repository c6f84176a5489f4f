"""The MQTT alert subscriber's message handling, without a broker: every kind of bad message is
dropped and counted, a failing store or action does not escape."""

from __future__ import annotations

import json

from docks.broker_url import BrokerUrl
from mission.alert_settings import AlertSettings, AlertSource
from mission.alerts import AlertDecision, AlertInputError, IntakeAction
from mission.alerts_mqtt import AlertSubscriber, OnDecision, Submit
from mission.model import Alert, AlertStatus, AlertType, CoordSystem

SETTINGS = AlertSettings(sources={"video_ai": AlertSource(), "water": AlertSource(mqtt_user="sw-01")})


def subscriber(submit: Submit, on_decision: OnDecision | None = None) -> AlertSubscriber:
    url = BrokerUrl("127.0.0.1", 1)
    return AlertSubscriber(url, SETTINGS, submit, on_decision=on_decision, max_payload_bytes=1024)


async def test_bad_messages_are_counted_and_dropped() -> None:
    seen: list[tuple[object, str]] = []

    async def submit(raw: object, source: str) -> AlertDecision:
        seen.append((raw, source))
        raise AlertInputError("type", "required")

    sub = subscriber(submit)
    assert await sub.handle("alerts/video_ai", b"\xff\xfe") is None
    assert await sub.handle("alerts/video_ai", b"x" * 2000) is None
    assert await sub.handle("alerts/stranger", b"{}") is None
    assert await sub.handle("other/video_ai", b"{}") is None  # not an alert topic: ignored, not counted
    assert await sub.handle("alerts/sw-01", json.dumps({"lon": 1}).encode()) is None
    assert seen == [({"lon": 1}, "water")]
    assert sub.counts == {"received": 4, "accepted": 0, "invalid": 3, "unknown_source": 1, "failed": 0}


async def test_a_failing_store_or_action_does_not_escape() -> None:
    async def broken(raw: object, source: str) -> AlertDecision:
        raise RuntimeError("database is down")

    sub = subscriber(broken)
    assert await sub.handle("alerts/video_ai", b"{}") is None
    assert sub.counts["failed"] == 1

    decision = AlertDecision(IntakeAction.JOIN, _alert())

    async def fine(raw: object, source: str) -> AlertDecision:
        return decision

    async def act(d: AlertDecision) -> None:
        raise RuntimeError("planner crashed")

    sub = subscriber(fine, act)
    assert await sub.handle("alerts/video_ai", b"{}") is decision
    assert sub.counts["accepted"] == 1


def _alert() -> Alert:
    return Alert(
        "video_ai", AlertType.FIRE_SMOKE, 113.8, 34.8, 113.8, 34.8, CoordSystem.WGS84, 1, AlertStatus.JOINED
    )


def test_from_settings_takes_the_mqtt_limits_and_client_id() -> None:
    from mission.settings import load_settings

    async def submit(raw: object, source: str) -> AlertDecision:
        raise AssertionError

    s = load_settings()
    sub = AlertSubscriber.from_settings(s, BrokerUrl("127.0.0.1", 1883), submit)
    assert sub.client_id == f"{s.mqtt.client_id}-alerts"
    assert sub.max_payload_bytes == s.mqtt.max_payload_bytes
    assert sub.source_of("alerts/video_ai") == "video_ai"
