"""Webhook signatures for alert sources (and the same scheme for any signed webhook).

A sender signs ``f"{timestamp}." + body`` with HMAC-SHA256 under the source's shared secret and
sends two headers:

- ``X-Skyloop-Timestamp``: Unix time in whole seconds when it signed;
- ``X-Skyloop-Signature``: ``sha256=<lowercase hex digest>``.

The receiver refuses a missing or malformed header, a timestamp further than the replay window from
its own clock (stale or from the future), a signature that does not match (compared in constant
time), and a signature it has already accepted within the window (a replay).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from mission.alert_settings import AlertSettings, secret_matches

TIMESTAMP_HEADER = "X-Skyloop-Timestamp"
SIGNATURE_HEADER = "X-Skyloop-Signature"
_PREFIX = "sha256="


class WebhookAuthError(Exception):
    """The request is not authentic; ``reason`` is safe to return to the sender."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Skyloop-Signature`` value for ``body`` signed at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return _PREFIX + mac.hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The two headers a sender adds (``timestamp`` defaults to now)."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: signature(secret, ts, body)}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup (a plain dict or an HTTP framework's headers)."""
    value = headers.get(name)
    if value is not None:
        return value
    lower = name.lower()
    for key, v in headers.items():
        if key.lower() == lower:
            return v
    return None


class WebhookVerifier:
    """Checks signed requests and remembers accepted signatures for the replay window.

    ``clock`` returns Unix seconds (injectable for tests). Memory is bounded by ``max_remembered``
    (the oldest signatures are forgotten first; they expire with the window anyway)."""

    def __init__(
        self,
        window_s: float = 300.0,
        clock: Callable[[], float] = time.time,
        max_remembered: int = 100_000,
    ) -> None:
        if window_s <= 0:
            raise ValueError("window_s must be > 0")
        self.window_s = window_s
        self._clock = clock
        self._max = max_remembered
        self._seen: OrderedDict[str, float] = OrderedDict()

    def verify(self, secret: str, headers: Mapping[str, str], body: bytes) -> None:
        """Return if authentic and fresh, else raise :class:`WebhookAuthError` saying why."""
        ts_text = _header(headers, TIMESTAMP_HEADER)
        sig = _header(headers, SIGNATURE_HEADER)
        if ts_text is None or sig is None:
            raise WebhookAuthError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
        try:
            ts = int(ts_text.strip())
        except ValueError:
            raise WebhookAuthError(f"{TIMESTAMP_HEADER} must be Unix seconds, got {ts_text[:40]!r}") from None
        now = self._clock()
        if abs(now - ts) > self.window_s:
            raise WebhookAuthError(
                f"timestamp {ts} is {now - ts:+.0f} s from now; the window is ±{self.window_s:.0f} s"
            )
        sig = sig.strip()
        if not sig.startswith(_PREFIX):
            raise WebhookAuthError(f"{SIGNATURE_HEADER} must start with {_PREFIX!r}")
        if not hmac.compare_digest(sig.lower(), signature(secret, ts, body)):
            raise WebhookAuthError("signature does not match")
        self._expire(now)
        key = sig.lower()
        if key in self._seen:
            raise WebhookAuthError("replayed request: this signature was already accepted")
        self._seen[key] = float(ts)
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)

    def _expire(self, now: float) -> None:
        """Forget signatures older than the window (kept in arrival order; timestamps of accepted
        requests lie within the window, so the front is the oldest to within the window)."""
        cutoff = now - 2.0 * self.window_s
        while self._seen:
            key, ts = next(iter(self._seen.items()))
            if ts >= cutoff:
                break
            del self._seen[key]


def authenticate_source(
    settings: AlertSettings,
    verifier: WebhookVerifier,
    source: str,
    bearer_token: str | None,
    headers: Mapping[str, str],
    body: bytes,
) -> None:
    """Check an HTTP alert from ``source``: a configured, enabled source with a token hash, the
    bearer token matching it, and — when the source has an ``hmac_secret`` — a valid, fresh,
    unreplayed signature over ``body``. Raise :class:`WebhookAuthError` (HTTP 401) saying why."""
    src = settings.sources.get(source)
    if src is None or not src.enabled:
        raise WebhookAuthError(f"unknown or disabled source {source!r}")
    if src.token_hash is None:
        raise WebhookAuthError(f"source {source!r} has no HTTP credentials configured")
    if not bearer_token or not secret_matches(bearer_token, src.token_hash):
        raise WebhookAuthError("wrong or missing bearer token")
    if src.hmac_secret is not None:
        verifier.verify(src.hmac_secret.get_secret_value(), headers, body)
