"""Settings of the dock link: broker, timeouts, staleness, payload limit (``[mqtt]`` in skyloop.toml)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from docks.broker_url import EMBEDDED, parse_broker_url


class MqttSettings(BaseModel):
    """How mission control and the sim docks reach the MQTT broker."""

    model_config = ConfigDict(extra="forbid")

    broker_url: str = Field(
        EMBEDDED, description="'embedded' starts an in-process broker; else mqtt[s]://user:pass@host:port"
    )
    client_id: str = Field("skyloop-mission", min_length=1, max_length=64)
    request_timeout_s: float = Field(10.0, gt=0, description="default wait for a services_reply")
    connect_timeout_s: float = Field(
        30.0, gt=0, description="wait for the first connection to the broker when mission control starts"
    )
    service_timeouts_s: dict[str, float] = Field(
        default_factory=lambda: {
            "cover_open": 60.0,
            "cover_close": 60.0,
            "flighttask_prepare": 150.0,
            "device_reboot": 180.0,
        },
        description="per-method wait for long jobs (the dock replies when the job ends)",
    )
    stale_after_s: float = Field(10.0, gt=0, description="no OSD for this long makes a dock stale")
    max_payload_bytes: int = Field(65_536, ge=1024, le=16_777_216)
    keepalive_s: int = Field(
        10, ge=2, le=600, description="MQTT keepalive; the broker fires the will after 1.5x"
    )
    reconnect_min_s: float = Field(0.2, gt=0)
    reconnect_max_s: float = Field(30.0, gt=0)
    osd_interval_s: float = Field(2.0, gt=0, description="sim docks: OSD period (0.5 Hz)")
    tls_ca_file: Path | None = Field(None, description="CA bundle to trust for mqtts:// (None: system CAs)")

    @field_validator("broker_url")
    @classmethod
    def _url_parses(cls, value: str) -> str:
        if value != EMBEDDED:
            parse_broker_url(value)
        return value

    @field_validator("service_timeouts_s")
    @classmethod
    def _positive_timeouts(cls, value: dict[str, float]) -> dict[str, float]:
        for method, seconds in value.items():
            if not seconds > 0:
                raise ValueError(f"timeout of {method} must be > 0")
        return value

    @model_validator(mode="after")
    def _backoff_order(self) -> MqttSettings:
        if self.reconnect_min_s > self.reconnect_max_s:
            raise ValueError("reconnect_min_s must not exceed reconnect_max_s")
        if self.stale_after_s <= self.osd_interval_s:
            raise ValueError("stale_after_s must exceed osd_interval_s")
        return self

    def timeout_for(self, method: str) -> float:
        return self.service_timeouts_s.get(method, self.request_timeout_s)
