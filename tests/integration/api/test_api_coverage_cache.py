"""GET /api/v1/coverage through a :class:`mission.coverage_now.CoverageCache` (as the composition
root's backend answers): a repeated request is the kept answer, a dock going offline or the wind
moving to another step is a new one, and each equals the uncached computation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from geo.model import Wind
from mission.api.app import create_app
from mission.api.backend import CoverageNow
from mission.api.fleet_views import coverage_now, coverage_without, unavailable_now
from mission.api_settings import ApiSettings
from mission.coverage_now import CoverageCache
from mission.planner_coverage import coverage_wind
from tests.integration.api.conftest import ADMIN_TOKEN, bearer
from tests.integration.api.console_fakes import TestBackend


class CachedBackend(TestBackend):
    __test__ = False

    def __init__(self) -> None:
        super().__init__()
        self.cache = CoverageCache(self.planning)

    async def coverage_now(self, k: int = 1) -> CoverageNow:
        return await coverage_now(self.planning, self.manager, self.wind, k, self.cache)


@pytest.fixture
def cached() -> CachedBackend:
    b = CachedBackend()
    b.feed_healthy_docks()
    return b


@pytest.fixture
def cached_client(cached: CachedBackend) -> Iterator[TestClient]:
    app = create_app(cached, ApiSettings(heartbeat_s=0.2), bootstrap_token=ADMIN_TOKEN)
    with TestClient(app) as c:
        yield c


def expected(b: CachedBackend) -> dict[str, Any]:
    """The uncached answer for the docks and wind now, as the API's JSON numbers."""
    c = coverage_without(b.planning, unavailable_now(b.planning, b.manager), coverage_wind(b.wind))
    return {
        "available": list(c.available),
        "uncovered_area_km2": c.uncovered_area_km2,
        "wind": c.wind_speed_mps,
    }


def check(report: dict[str, Any], want: dict[str, Any]) -> None:
    assert sorted(report["available"]) == sorted(want["available"])
    assert report["uncovered_area_km2"] == pytest.approx(want["uncovered_area_km2"], rel=1e-9, abs=1e-12)
    assert report["wind_speed_mps"] == want["wind"]


def test_coverage_is_kept_until_the_docks_or_the_wind_change(
    cached_client: TestClient, cached: CachedBackend
) -> None:
    auth = bearer(ADMIN_TOKEN)
    first = cached_client.get("/api/v1/coverage", headers=auth)
    assert first.status_code == 200, first.text
    check(first.json(), expected(cached))
    assert cached_client.get("/api/v1/coverage", headers=auth).json() == first.json()
    assert cached.cache.misses == 1

    down = cached.planning.docks[0].id
    cached.manager.ingest_status(down, online=False)
    less = cached_client.get("/api/v1/coverage", headers=auth).json()
    assert cached.cache.misses == 2
    assert down in less["unavailable"] and "offline" in less["unavailable"][down]
    check(less, expected(cached))
    assert less["uncovered_area_km2"] > first.json()["uncovered_area_km2"]

    cached.wind = Wind(6.2, 250.0)  # on the 6.5 m/s step
    windy = cached_client.get("/api/v1/coverage", headers=auth).json()
    assert cached.cache.misses == 3 and windy["wind_speed_mps"] == 6.5 and windy["wind_from_deg"] == 250.0
    check(windy, expected(cached))
    cached.wind = Wind(6.4, 248.0)  # the same steps: the kept answer
    assert cached_client.get("/api/v1/coverage", headers=auth).json() == windy
    assert cached.cache.misses == 3
