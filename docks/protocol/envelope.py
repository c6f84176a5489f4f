"""The JSON envelope every message travels in: ``{tid, bid, timestamp, gateway, method, data}``.

``tid`` pairs a request with its reply; ``bid`` ties a whole business flow (one mission) together;
``timestamp`` is milliseconds since the Unix epoch; ``gateway`` is the serial of the device the
message is from or to; events add ``need_reply``.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from docks.protocol.topics import SN_PATTERN


def new_id() -> str:
    """A fresh tid/bid."""
    return str(uuid.uuid4())


def now_ms() -> int:
    return int(time.time() * 1000)


class Envelope(BaseModel):
    """The outer message; ``data`` is validated separately against the method's model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tid: str = Field(default_factory=new_id, min_length=1, max_length=64)
    bid: str = Field(default_factory=new_id, min_length=1, max_length=64)
    timestamp: int = Field(default_factory=now_ms, ge=0)
    gateway: str = Field(pattern=f"^{SN_PATTERN}$")
    method: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    data: dict[str, Any] = Field(default_factory=dict)
    need_reply: bool | None = None


class WireModel(BaseModel):
    """Base of commands and replies: unknown fields are an error (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TelemetryModel(BaseModel):
    """Base of device telemetry and events: unknown fields are ignored, so newer firmware that adds
    fields still decodes."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Empty(WireModel):
    """A service without parameters or output."""
