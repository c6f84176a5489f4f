"""Authentication of alert sources over HTTP: each source named in ``[alerts.sources]`` has its own
bearer token (stored as ``sha256:<hex>``) and, when configured, an HMAC webhook signature
(:mod:`mission.webhook_auth`: timestamp, signature, replay window).

A source without a ``token_hash`` may not post over HTTP (MQTT only). The API's own tokens never
authenticate a source, and a source's token never authenticates anything else.
"""

from __future__ import annotations

from collections.abc import Mapping

from mission.alert_settings import AlertSettings, secret_matches
from mission.api.auth import AuthError, bearer_from_header
from mission.api.backend import SourceRefused
from mission.webhook_auth import WebhookAuthError, WebhookVerifier


class SourceAuthenticator:
    """Checks a source's bearer token and webhook signature; raises :class:`SourceRefused`."""

    def __init__(self, settings: AlertSettings, verifier: WebhookVerifier | None = None) -> None:
        self.settings = settings
        self.verifier = verifier or WebhookVerifier(settings.replay_window_s)

    def check(self, source: str, headers: Mapping[str, str], body: bytes) -> None:
        src = self.settings.sources.get(source)
        if src is None or not src.enabled:
            raise SourceRefused("unknown or disabled source")
        if src.token_hash is None:
            raise SourceRefused("this source may not post over HTTP (no token configured)")
        try:
            token = bearer_from_header(headers.get("authorization"))
        except AuthError as exc:
            raise SourceRefused(str(exc)) from None
        if not secret_matches(token, src.token_hash):
            raise SourceRefused("wrong token")
        if src.hmac_secret is not None:
            try:
                self.verifier.verify(src.hmac_secret.get_secret_value(), headers, body)
            except WebhookAuthError as exc:
                raise SourceRefused(exc.reason) from None
