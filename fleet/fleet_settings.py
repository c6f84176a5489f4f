"""Fleet manager settings (``[fleet]`` in config/skyloop.toml, ``SKYLOOP_FLEET__*`` in the environment)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class FleetSettings(BaseModel):
    """Stale times, weather and range thresholds, event and persistence knobs.

    The gust margin taken off each dock type's launch wind limit is ``planning.wind_margin_mps``.
    """

    model_config = ConfigDict(extra="forbid")

    stale_after_s: float = Field(
        30.0, gt=0, le=600, description="a dock without OSD this long is unavailable (0.5 Hz: 15 missed)"
    )
    drone_stale_after_s: float = Field(
        5.0, gt=0, le=120, description="an airborne drone without telemetry this long cannot be re-tasked"
    )
    rain_ground_level: int = Field(2, ge=1, le=3, description="rain level that grounds (1 light … 3 heavy)")
    max_range_m: float = Field(10000.0, gt=0, description="farthest sortie target from the launch point")
    poor_network_quality: int = Field(1, ge=0, le=5, description="at or below this a note warns (0-5 scale)")
    check_interval_s: float = Field(1.0, gt=0, le=60, description="how often stale data is looked for")
    persist_interval_s: float = Field(5.0, gt=0, description="at most one state save per this period")
    subscriber_queue: int = Field(1000, ge=1, description="events buffered per subscriber; oldest dropped")
    state_file: Path | None = Field(None, description="JSON file of the last known fleet state; None: off")
