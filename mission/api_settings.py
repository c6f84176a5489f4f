"""``[api]`` in the TOML file: where the HTTP console listens and how it talks to browsers.

The console listens on 127.0.0.1 by default; CORS is off (no origin allowed) unless origins are
listed. The first admin token comes from ``SKYLOOP_BOOTSTRAP_TOKEN`` (see :mod:`mission.api.auth`),
never from this file.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ApiSettings(BaseModel):
    """The HTTP API and WebSocket console."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(8080, ge=1, le=65535)
    cors_origins: list[str] = Field(
        default_factory=list, description="browser origins allowed by CORS; empty = CORS off"
    )
    heartbeat_s: float = Field(15.0, gt=0, le=300, description="WebSocket heartbeat interval")
    live_queue: int = Field(1000, ge=10, description="events buffered per WebSocket client")
    max_body_bytes: int = Field(1_000_000, ge=1024, description="largest request body accepted")

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard(cls, origins: list[str]) -> list[str]:
        if "*" in origins:
            raise ValueError("'*' is refused: the API takes bearer tokens; list the console's origins")
        return origins
