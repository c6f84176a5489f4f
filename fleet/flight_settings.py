"""Settings of the drone link (the ``[flight]`` section of skyloop.toml, ``SKYLOOP_FLIGHT__*``).

Times are wall-clock seconds. Heights are metres above the drone's home.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class AllowedArea(BaseModel):
    """Where drones may be sent: a WGS84 polygon ``[[lon, lat], ...]`` or a bounding box
    ``[min_lon, min_lat, max_lon, max_lat]`` (exactly one of them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    polygon_lon_lat: tuple[tuple[float, float], ...] | None = None
    bbox_lon_lat: tuple[float, float, float, float] | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> AllowedArea:
        if (self.polygon_lon_lat is None) == (self.bbox_lon_lat is None):
            raise ValueError("give exactly one of polygon_lon_lat and bbox_lon_lat")
        coords = list(self.polygon_lon_lat or [])
        if self.bbox_lon_lat is not None:
            min_lon, min_lat, max_lon, max_lat = self.bbox_lon_lat
            if not (min_lon < max_lon and min_lat < max_lat):
                raise ValueError("bbox_lon_lat must be [min_lon, min_lat, max_lon, max_lat]")
            coords = [(min_lon, min_lat), (max_lon, max_lat)]
        elif len(coords) < 3:
            raise ValueError("polygon_lon_lat needs at least 3 corners")
        for lon, lat in coords:
            if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError(f"not a WGS84 lon/lat: {lon!r}, {lat!r}")
        return self


class FlightSettings(BaseModel):
    """Timeouts, safety limits and sizing of the MAVSDK drone link."""

    model_config = ConfigDict(extra="forbid")

    connect_timeout_s: float = Field(10.0, gt=0, description="first heartbeat after add_drone/connect")
    command_timeout_s: float = Field(5.0, gt=0, description="arm, takeoff, goto, orbit, hold, rtl, land")
    param_timeout_s: float = Field(5.0, gt=0)
    mission_timeout_s: float = Field(20.0, gt=0, description="mission upload/download/clear/start")
    message_timeout_s: float = Field(
        1.5,
        gt=0,
        le=5,
        description="MAVSDK's wait for each answer (command ack, mission-transfer item) before it "
        "retries; its own default, 0.5 s, is short for a 4G link or a loaded host",
    )
    link_loss_s: float = Field(
        3.0, gt=0, description="no message for this long -> the drone is reported OFFLINE"
    )
    watchdog_period_s: float = Field(0.2, gt=0, le=5)
    #: Position/velocity stream rate asked from the autopilot; None keeps the autopilot's default.
    position_rate_hz: float | None = Field(None, gt=0, le=50)
    subscriber_queue: int = Field(256, ge=8, description="updates buffered per telemetry subscriber")
    max_drones: int = Field(64, ge=1, le=250, description="drones one fleet link may hold")
    #: Threads for MAVSDK's blocking calls; None = 4 per drone of ``max_drones``, created lazily.
    thread_pool_size: int | None = Field(None, ge=4)
    ceiling_m: float = Field(120.0, gt=0, le=500, description="highest commanded height above home")
    min_height_m: float = Field(2.0, ge=0, description="lowest commanded go-to/orbit height above home")
    max_speed_mps: float = Field(25.0, gt=0)
    max_orbit_radius_m: float = Field(1000.0, gt=0)
    allowed_area: AllowedArea | None = None

    @field_validator("ceiling_m")
    @classmethod
    def _ceiling_finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("ceiling_m must be finite")
        return value

    @model_validator(mode="after")
    def _heights_ordered(self) -> FlightSettings:
        if self.min_height_m >= self.ceiling_m:
            raise ValueError("min_height_m must be below ceiling_m")
        return self

    @property
    def pool_size(self) -> int:
        """Threads for blocking MAVSDK calls: enough that 16 timed-out commands starve nothing."""
        return self.thread_pool_size or max(8, 4 * self.max_drones)
