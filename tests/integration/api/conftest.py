"""Fixtures: the console app over :class:`TestBackend`, a TestClient running its lifespan (so the
bootstrap admin token exists), and viewer and dispatcher tokens created through the admin API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from mission.api.app import create_app
from mission.api_settings import ApiSettings
from tests.integration.api.console_fakes import TestBackend

ADMIN_TOKEN = "admin-bootstrap-token-0123456789abcdef"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def backend() -> TestBackend:
    b = TestBackend()
    b.feed_healthy_docks()
    return b


@pytest.fixture
def client(backend: TestBackend) -> Iterator[TestClient]:
    app = create_app(backend, ApiSettings(heartbeat_s=0.2), bootstrap_token=ADMIN_TOKEN)
    with TestClient(app) as c:
        yield c


def make_token(client: TestClient, name: str, role: str) -> str:
    r = client.post("/api/v1/tokens", json={"name": name, "role": role}, headers=bearer(ADMIN_TOKEN))
    assert r.status_code == 201, r.text
    token: str = r.json()["token"]
    return token


@pytest.fixture
def viewer(client: TestClient) -> dict[str, str]:
    return bearer(make_token(client, "vera", "viewer"))


@pytest.fixture
def dispatcher(client: TestClient) -> dict[str, str]:
    return bearer(make_token(client, "dan", "dispatcher"))


@pytest.fixture
def admin() -> dict[str, str]:
    return bearer(ADMIN_TOKEN)
