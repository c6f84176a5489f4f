"""Settings of leads (dedup, review policy) and of the grid platform they go to (``[leads]`` and
``[leads.grid]`` in ``config/skyloop.toml``; see docs/grid.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewRule(_Section):
    """When a lead of one class goes out without a dispatcher: confidence at or above ``auto_min``."""

    auto_min: float | None = Field(
        None, ge=0.0, le=1.0, description="None: always wait for a dispatcher; 0: always send"
    )


class GridSettings(_Section):
    """The city's grid platform: where leads go, how they are signed, how deliveries are retried."""

    webhook_url: str | None = Field(None, description="None: leads are stored and queued, not sent")
    secret: SecretStr = Field(SecretStr(""), description="HMAC-SHA256 key for our deliveries")
    callback_secret: SecretStr = Field(
        SecretStr(""), description="HMAC key the platform signs callbacks with"
    )
    callback_url: str | None = Field(
        None, description="where the platform sends callbacks (told in each lead)"
    )
    timeout_s: float = Field(10.0, gt=0)
    max_attempts: int = Field(30, ge=1, le=1000, description="30 ≈ 3.6 h of retries with the default backoff")
    backoff_base_s: float = Field(2.0, gt=0)
    backoff_max_s: float = Field(600.0, gt=0)
    jitter: float = Field(0.2, ge=0.0, le=1.0, description="± share of each delay drawn at random")
    poll_s: float = Field(1.0, gt=0, description="how often the outbox looks for due messages")
    batch: int = Field(20, ge=1, le=1000)
    snapshot: Literal["base64", "url"] = "base64"
    snapshot_base_url: str | None = Field(
        None, description="'url' mode: {base}/{lead_id}/snapshot.jpg, e.g. https://mc.example/api/v1/leads"
    )
    signature_tolerance_s: float = Field(300.0, gt=0, description="callbacks older or newer are refused")

    @model_validator(mode="after")
    def _consistent(self) -> GridSettings:
        if self.webhook_url is not None and not self.webhook_url.startswith(("http://", "https://")):
            raise ValueError("webhook_url must be an http:// or https:// URL")
        if self.webhook_url and not self.secret.get_secret_value():
            raise ValueError("webhook_url needs a secret to sign deliveries (SKYLOOP_LEADS__GRID__SECRET)")
        if self.callback_url and not self.callback_secret.get_secret_value():
            raise ValueError(
                "callback_url needs a callback_secret to verify callbacks"
                " (SKYLOOP_LEADS__GRID__CALLBACK_SECRET)"
            )
        if self.snapshot == "url" and not self.snapshot_base_url:
            raise ValueError("snapshot = 'url' needs snapshot_base_url")
        if self.backoff_max_s < self.backoff_base_s:
            raise ValueError("backoff_max_s must be >= backoff_base_s")
        return self


def _default_rules() -> dict[str, ReviewRule]:
    return {"fire": ReviewRule(auto_min=0.8), "smoke": ReviewRule(auto_min=0.8)}


class LeadSettings(_Section):
    """How payload detections become leads, and which go out without review."""

    dedup_window_s: float = Field(600.0, gt=0, description="detections this close in time may merge")
    dedup_min_radius_m: float = Field(10.0, ge=0, description="floor under the uncertainty radii")
    review: dict[str, ReviewRule] = Field(default_factory=_default_rules)
    default_review: ReviewRule = ReviewRule()
    grid: GridSettings = GridSettings()

    def auto_send(self, class_name: str, confidence: float) -> bool:
        """True when policy sends a lead of this class and confidence without a dispatcher."""
        rule = self.review.get(class_name, self.default_review)
        return rule.auto_min is not None and confidence >= rule.auto_min
