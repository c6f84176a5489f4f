"""Shared builders for the alert tests: settings with two sources, the reference district as the
area, a manual clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from mission.alert_settings import AlertSettings, AlertSource, hash_secret
from mission.alerts import AlertArea
from mission.geo_config import PlanningInputs, load_planning
from mission.model import AlertType
from mission.settings import load_settings

VIDEO_TOKEN = "video-token-0123456789"
WATER_TOKEN = "water-token-0123456789"
HMAC_SECRET = "shared-hmac-secret"


def alert_settings() -> AlertSettings:
    return AlertSettings(
        sources={
            "video_ai": AlertSource(token_hash=hash_secret(VIDEO_TOKEN), hmac_secret=HMAC_SECRET),
            "smart_water": AlertSource(
                token_hash=hash_secret(WATER_TOKEN), crs="gcj02", types=[AlertType.PERSON_NEAR_WATER]
            ),
            "console": AlertSource(),
        }
    )


@cache
def planning() -> PlanningInputs:
    return load_planning(load_settings())


def reference_area() -> AlertArea:
    p = planning()
    return AlertArea(p.district.boundary_m, p.district.frame.to_local, p.docks, p.target_s)


def centre_wgs84() -> tuple[float, float]:
    """A point well inside the reference district."""
    p = planning()
    c = p.district.boundary_m.representative_point()
    lon, lat = p.district.frame.to_wgs84(c.x, c.y)
    return float(lon), float(lat)


def offset_wgs84(east_m: float, north_m: float) -> tuple[float, float]:
    """The district centre moved by (east, north) metres."""
    p = planning()
    c = p.district.boundary_m.representative_point()
    lon, lat = p.district.frame.to_wgs84(c.x + east_m, c.y + north_m)
    return float(lon), float(lat)


class ManualClock:
    """UTC time that moves only when told."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
