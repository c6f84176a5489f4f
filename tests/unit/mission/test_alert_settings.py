"""[alerts] settings: validation with clear errors, defaults, environment overrides of secrets."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from mission.alert_settings import AlertSettings, AlertSource, LaunchPolicy, hash_secret
from mission.model import AlertType
from mission.settings import load_settings


def test_a_token_hash_must_be_sha256_hex() -> None:
    with pytest.raises(ValidationError, match="token_hash"):
        AlertSource(token_hash="plain-text-token")
    assert AlertSource(token_hash=hash_secret("t")).token_hash == hash_secret("t")


def test_source_names_are_topic_safe() -> None:
    with pytest.raises(ValidationError, match="source name"):
        AlertSettings(sources={"video/ai": AlertSource()})


def test_an_unlisted_type_waits_for_approval() -> None:
    s = AlertSettings(types={})
    assert s.policy(AlertType.FIRE_SMOKE).launch is LaunchPolicy.APPROVE


def test_sources_are_found_by_mqtt_user_or_name() -> None:
    s = AlertSettings(sources={"video_ai": AlertSource(), "water": AlertSource(mqtt_user="sw-01")})
    assert (s.source_by_mqtt_user("video_ai"), s.source_by_mqtt_user("sw-01")) == ("video_ai", "water")
    assert s.source_by_mqtt_user("water") is None


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKYLOOP_ALERTS__SOURCES__VIDEO_AI__HMAC_SECRET", "k3y")
    monkeypatch.setenv("SKYLOOP_ALERTS__SOURCES__VIDEO_AI__TOKEN_HASH", hash_secret("tok"))
    src = load_settings().alerts.sources["video_ai"]
    assert src.hmac_secret is not None and src.hmac_secret.get_secret_value() == "k3y"
    assert src.token_hash == hash_secret("tok")
    assert AlertType.FIRE_SMOKE in (src.types or [])  # the file's other keys survive the merge
    assert "k3y" not in repr(src)


def test_the_shipped_config_holds_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.upper().startswith("SKYLOOP_ALERTS")]:
        monkeypatch.delenv(key)
    for name, src in load_settings().alerts.sources.items():
        assert src.token_hash is None and src.hmac_secret is None, name
