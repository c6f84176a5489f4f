"""Webhook HMAC signatures: good, bad, replayed, stale, malformed; source tokens."""

from __future__ import annotations

import pytest

from mission.alert_settings import AlertSettings, AlertSource, hash_secret, secret_matches
from mission.webhook_auth import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookAuthError,
    WebhookVerifier,
    authenticate_source,
    sign,
)

SECRET = "s3cret"
BODY = b'{"type": "fire_smoke", "lon": 113.8, "lat": 34.8}'
NOW = 1_800_000_000


class Clock:
    def __init__(self) -> None:
        self.t = float(NOW)

    def __call__(self) -> float:
        return self.t


def test_a_good_signature_passes_with_headers_in_any_case() -> None:
    verifier = WebhookVerifier(300, Clock())
    headers = {k.lower(): v for k, v in sign(SECRET, BODY, NOW).items()}
    verifier.verify(SECRET, headers, BODY)


@pytest.mark.parametrize(
    ("secret", "body"),
    [("wrong", BODY), (SECRET, BODY + b" "), (SECRET, BODY.replace(b"113.8", b"113.9"))],
)
def test_a_bad_signature_or_changed_body_fails(secret: str, body: bytes) -> None:
    verifier = WebhookVerifier(300, Clock())
    with pytest.raises(WebhookAuthError, match="does not match"):
        verifier.verify(SECRET, sign(secret, BODY, NOW), body)


def test_a_replayed_request_fails_the_second_time() -> None:
    verifier = WebhookVerifier(300, Clock())
    headers = sign(SECRET, BODY, NOW)
    verifier.verify(SECRET, headers, BODY)
    with pytest.raises(WebhookAuthError, match="replayed"):
        verifier.verify(SECRET, headers, BODY)


def test_the_same_body_signed_at_another_second_is_not_a_replay() -> None:
    verifier = WebhookVerifier(300, Clock())
    verifier.verify(SECRET, sign(SECRET, BODY, NOW), BODY)
    verifier.verify(SECRET, sign(SECRET, BODY, NOW + 1), BODY)


@pytest.mark.parametrize("skew_s", [-301, 301])
def test_stale_or_future_timestamps_fail(skew_s: int) -> None:
    verifier = WebhookVerifier(300, Clock())
    with pytest.raises(WebhookAuthError, match="window"):
        verifier.verify(SECRET, sign(SECRET, BODY, NOW + skew_s), BODY)


def test_a_timestamp_tampered_after_signing_fails() -> None:
    verifier = WebhookVerifier(300, Clock())
    headers = sign(SECRET, BODY, NOW)
    headers[TIMESTAMP_HEADER] = str(NOW + 10)
    with pytest.raises(WebhookAuthError, match="does not match"):
        verifier.verify(SECRET, headers, BODY)


@pytest.mark.parametrize(
    ("headers", "match"),
    [
        ({}, "missing"),
        ({TIMESTAMP_HEADER: "noon", SIGNATURE_HEADER: "sha256=00"}, "Unix seconds"),
        ({TIMESTAMP_HEADER: str(NOW), SIGNATURE_HEADER: "md5=00"}, "must start"),
    ],
)
def test_malformed_headers_fail_with_a_reason(headers: dict[str, str], match: str) -> None:
    with pytest.raises(WebhookAuthError, match=match):
        WebhookVerifier(300, Clock()).verify(SECRET, headers, BODY)


def test_remembered_signatures_expire_so_memory_stays_bounded() -> None:
    clock = Clock()
    verifier = WebhookVerifier(300, clock)
    verifier.verify(SECRET, sign(SECRET, BODY, NOW), BODY)
    clock.t += 1000
    verifier.verify(SECRET, sign(SECRET, BODY, NOW + 1000), BODY)
    assert len(verifier._seen) == 1


def test_source_tokens_are_compared_by_hash() -> None:
    stored = hash_secret("token-A")
    assert stored.startswith("sha256:") and "token-A" not in stored
    assert secret_matches("token-A", stored)
    assert not secret_matches("token-B", stored)


def _source_settings() -> AlertSettings:
    return AlertSettings(
        sources={
            "signed": AlertSource(token_hash=hash_secret("tok-signed"), hmac_secret=SECRET),
            "plain": AlertSource(token_hash=hash_secret("tok-plain")),
            "mqtt_only": AlertSource(),
            "off": AlertSource(token_hash=hash_secret("tok-off"), enabled=False),
        }
    )


def test_an_http_source_needs_its_token_and_its_signature() -> None:
    s, verifier = _source_settings(), WebhookVerifier(300, Clock())
    authenticate_source(s, verifier, "signed", "tok-signed", sign(SECRET, BODY, NOW), BODY)
    authenticate_source(s, verifier, "plain", "tok-plain", {}, BODY)
    with pytest.raises(WebhookAuthError, match="bearer"):
        authenticate_source(s, verifier, "signed", "tok-plain", sign(SECRET, BODY, NOW + 1), BODY)
    with pytest.raises(WebhookAuthError, match="missing"):
        authenticate_source(s, verifier, "signed", "tok-signed", {}, BODY)


@pytest.mark.parametrize(
    ("source", "match"), [("nobody", "unknown"), ("off", "disabled"), ("mqtt_only", "no HTTP")]
)
def test_unknown_disabled_or_mqtt_only_sources_cannot_post(source: str, match: str) -> None:
    with pytest.raises(WebhookAuthError, match=match):
        authenticate_source(_source_settings(), WebhookVerifier(300, Clock()), source, "tok-off", {}, BODY)
