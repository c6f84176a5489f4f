import pytest
from pydantic import ValidationError

from docks.broker_url import BrokerUrl, parse_broker_url
from docks.mqtt_session import backoff_s
from docks.presence import PresenceTracker
from docks.settings import MqttSettings


def test_broker_urls() -> None:
    assert parse_broker_url("mqtt://127.0.0.1") == BrokerUrl("127.0.0.1", 1883)
    url = parse_broker_url("mqtts://dock%2001:s3cr%40t@broker.local:18883")
    assert url == BrokerUrl("broker.local", 18883, "dock 01", "s3cr@t", tls=True)
    assert "s3cr" not in str(url)
    assert parse_broker_url("mqtts://h").port == 8883


@pytest.mark.parametrize(
    "bad", ["http://h:1883", "mqtt://", "mqtt://h:99999", "mqtt://h:0", "mqtt://h/path", "127.0.0.1:1883"]
)
def test_bad_broker_urls(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_broker_url(bad)


def test_settings_validate() -> None:
    settings = MqttSettings(broker_url="mqtt://u:p@127.0.0.1:1883")
    assert settings.timeout_for("flighttask_prepare") > settings.timeout_for("charge_start")
    for bad in (
        {"broker_url": "tcp://x"},
        {"reconnect_min_s": 5, "reconnect_max_s": 1},
        {"stale_after_s": 1.0, "osd_interval_s": 2.0},
        {"service_timeouts_s": {"cover_open": 0}},
        {"max_payload_bytes": 10},
    ):
        with pytest.raises(ValidationError):
            MqttSettings(**bad)


def test_backoff_grows_with_jitter_within_bounds() -> None:
    samples = [backoff_s(attempt, 0.5, 8.0) for attempt in range(12) for _ in range(20)]
    assert all(0.5 <= s <= 8.0 for s in samples)
    late = [backoff_s(10, 0.5, 8.0) for _ in range(200)]
    assert max(late) > 4.0 and len(set(late)) > 100


def test_presence_goes_stale_and_offline() -> None:
    tracker = PresenceTracker(stale_after_s=10.0)
    tracker.saw_status("D1", True, 0.0)
    assert not tracker.live("D1", 0.0)  # no OSD yet
    tracker.saw_osd("D1", 1.0)
    assert tracker.live("D1", 5.0)
    assert not tracker.live("D1", 11.5) and tracker.stale(11.5) == ["D1"]
    tracker.saw_osd("D1", 12.0)
    assert tracker.live("D1", 12.0)
    tracker.saw_status("D1", False, 13.0)
    assert not tracker.live("D1", 13.0)
    assert tracker.get("unknown").online is None
