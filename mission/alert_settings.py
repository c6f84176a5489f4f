"""``[alerts]`` in skyloop.toml: who may send alerts, how they authenticate, and what each alert type
does (priority, deduplication radius and window, launch automatically or wait for a dispatcher).

Secrets: a source's bearer token is stored only as ``sha256:<hex>`` (:func:`hash_secret`); the
webhook HMAC key must be known to verify signatures, so it is a secret value best set from the
environment, e.g. ``SKYLOOP_ALERTS__SOURCES__VIDEO_AI__HMAC_SECRET=...``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from mission.model import AlertType, CoordSystem

_HASH_RE = re.compile(r"sha256:[0-9a-f]{64}")
_SOURCE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def hash_secret(secret: str) -> str:
    """The stored form of a source token: ``sha256:<hex>`` (tokens are long random strings)."""
    return "sha256:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(presented: str, stored_hash: str) -> bool:
    """Constant-time check of a presented token against its stored hash."""
    return hmac.compare_digest(hash_secret(presented), stored_hash)


class LaunchPolicy(StrEnum):
    AUTO = "auto"  # a new incident launches at once
    APPROVE = "approve"  # a new incident waits for a dispatcher


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlertSource(_Section):
    """One alert source (a city platform, the dispatcher console, ...)."""

    description: str = ""
    token_hash: str | None = Field(
        None, description="sha256:<hex> of the source's bearer token for HTTP (None: HTTP refused)"
    )
    hmac_secret: SecretStr | None = Field(
        None, description="key of the webhook signature (None: signatures not required)"
    )
    mqtt_user: str | None = Field(None, description="broker user allowed to publish alerts/{source}")
    crs: CoordSystem = Field(CoordSystem.WGS84, description="coordinate system when an alert names none")
    types: list[AlertType] | None = Field(None, description="alert types it may send (None: all)")
    enabled: bool = True

    @field_validator("token_hash")
    @classmethod
    def _hash_form(cls, value: str | None) -> str | None:
        if value is not None and not _HASH_RE.fullmatch(value):
            raise ValueError("token_hash must be 'sha256:' followed by 64 lowercase hex digits")
        return value


class TypePolicy(_Section):
    """What an alert type does. Priority 1 is the most urgent."""

    priority: int = Field(3, ge=1, le=5)
    launch: LaunchPolicy = LaunchPolicy.APPROVE
    dedup_radius_m: float = Field(300.0, ge=0, le=10_000)
    dedup_window_s: float = Field(1800.0, ge=0, le=7 * 86_400)


def _default_types() -> dict[AlertType, TypePolicy]:
    auto, approve = LaunchPolicy.AUTO, LaunchPolicy.APPROVE
    return {
        AlertType.FIRE_SMOKE: TypePolicy(priority=1, launch=auto, dedup_radius_m=500, dedup_window_s=3600),
        AlertType.PERSON_NEAR_WATER: TypePolicy(
            priority=1, launch=auto, dedup_radius_m=150, dedup_window_s=600
        ),
        AlertType.MANUAL: TypePolicy(priority=2, launch=auto, dedup_radius_m=0, dedup_window_s=0),
        AlertType.CROWD: TypePolicy(priority=2, launch=approve, dedup_radius_m=300, dedup_window_s=1800),
        AlertType.ROAD_OCCUPATION: TypePolicy(priority=3, launch=approve, dedup_radius_m=200),
        AlertType.STREET_VENDOR: TypePolicy(priority=4, launch=approve, dedup_radius_m=200),
        AlertType.OTHER: TypePolicy(priority=4, launch=approve),
    }


class AlertSettings(_Section):
    """Alert intake: sources, per-type policy, webhook replay window, area check."""

    sources: dict[str, AlertSource] = Field(default_factory=dict)
    types: dict[AlertType, TypePolicy] = Field(default_factory=_default_types)
    replay_window_s: float = Field(
        300.0, gt=0, le=3600, description="accepted webhook clock skew and replay memory"
    )
    max_age_s: float = Field(
        3600.0, gt=0, description="an alert whose own occurred_at is older than this is refused"
    )
    outside_reach_s: float | None = Field(
        None,
        gt=0,
        description="an alert outside the district is accepted when some dock reaches it within this "
        "(None: the planning target)",
    )
    mqtt_topic_prefix: str = Field("alerts", min_length=1, pattern=r"^[A-Za-z0-9_/-]+$")

    @field_validator("sources")
    @classmethod
    def _source_names(cls, value: dict[str, AlertSource]) -> dict[str, AlertSource]:
        for name in value:
            if not _SOURCE_RE.fullmatch(name):
                raise ValueError(f"source name {name!r}: use 1-64 letters, digits, '_' or '-'")
        return value

    def policy(self, alert_type: AlertType) -> TypePolicy:
        """The type's policy (an unlisted type: the default, which waits for approval)."""
        return self.types.get(alert_type, TypePolicy())

    def source_by_mqtt_user(self, user: str) -> str | None:
        """The source whose broker user is ``user`` (default: the source's own name)."""
        for name, src in self.sources.items():
            if (src.mqtt_user or name) == user:
                return name
        return None
