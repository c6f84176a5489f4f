"""Bearer tokens and roles: 401 for a missing, malformed, unknown or revoked token, 403 with the
reason for a role too low, tokens created and revoked by an admin and stored hashed only."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from mission.api.app import create_app
from mission.api.auth import hash_token
from tests.integration.api.conftest import ADMIN_TOKEN, bearer, make_token
from tests.integration.api.console_fakes import TestBackend

POINT = {"lon_deg": 113.80, "lat_deg": 34.80}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token-we-issued"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
    ],
    ids=["missing", "unknown", "wrong-scheme", "empty"],
)
def test_missing_or_wrong_token_is_401(client: TestClient, headers: dict[str, str]) -> None:
    r = client.get("/api/v1/docks", headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["detail"]


def test_viewer_may_read_but_not_launch(
    client: TestClient, backend: TestBackend, viewer: dict[str, str]
) -> None:
    assert client.get("/api/v1/docks", headers=viewer).status_code == 200
    r = client.post("/api/v1/missions", json=POINT, headers=viewer)
    assert r.status_code == 403
    assert "dispatcher" in r.json()["detail"] and "viewer" in r.json()["detail"]
    assert backend.commands == []


def test_dispatcher_may_not_manage_tokens(client: TestClient, dispatcher: dict[str, str]) -> None:
    r = client.post("/api/v1/tokens", json={"name": "x", "role": "admin"}, headers=dispatcher)
    assert r.status_code == 403
    assert "admin" in r.json()["detail"]
    assert client.get("/api/v1/audit", headers=dispatcher).status_code == 403


def test_admin_creates_and_revokes_tokens_stored_hashed(
    client: TestClient, backend: TestBackend, admin: dict[str, str]
) -> None:
    r = client.post("/api/v1/tokens", json={"name": "ops-wall", "role": "viewer"}, headers=admin)
    assert r.status_code == 201
    token, info = r.json()["token"], r.json()["info"]
    assert info["role"] == "viewer" and "token_hash" not in info
    listed = client.get("/api/v1/tokens", headers=admin).json()
    assert {t["name"] for t in listed} >= {"bootstrap", "ops-wall"}
    assert all(token not in str(t) for t in listed)
    # only the hash is stored
    records = asyncio.run(backend.store.list_tokens())
    mine = next(t for t in records if t.id == info["id"])
    assert mine.token_hash == hash_token(token) and token not in repr(mine)
    assert client.get("/api/v1/docks", headers=bearer(token)).status_code == 200
    assert client.delete(f"/api/v1/tokens/{info['id']}", headers=admin).status_code == 204
    r = client.get("/api/v1/docks", headers=bearer(token))
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    actions = [e["action"] for e in client.get("/api/v1/audit", headers=admin).json()]
    assert "token.create" in actions and "token.revoke" in actions


def test_token_names_are_validated(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post("/api/v1/tokens", json={"name": "bad name!", "role": "viewer"}, headers=admin)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "name"]
    r = client.post("/api/v1/tokens", json={"name": "ok", "role": "superuser"}, headers=admin)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "role"]


def test_duplicate_live_name_and_self_revocation_are_refused(
    client: TestClient, admin: dict[str, str]
) -> None:
    make_token(client, "twin", "viewer")
    r = client.post("/api/v1/tokens", json={"name": "twin", "role": "viewer"}, headers=admin)
    assert r.status_code == 409
    me = next(t for t in client.get("/api/v1/tokens", headers=admin).json() if t["name"] == "bootstrap")
    assert client.delete(f"/api/v1/tokens/{me['id']}", headers=admin).status_code == 409


def test_bootstrap_token_is_created_once_and_short_ones_refused() -> None:
    backend = TestBackend()
    for _ in range(2):  # a restart with the same token does not add a second one
        with TestClient(create_app(backend, bootstrap_token=ADMIN_TOKEN)) as c:
            assert c.get("/api/v1/tokens", headers=bearer(ADMIN_TOKEN)).status_code == 200
    assert [t.name for t in asyncio.run(backend.store.list_tokens())] == ["bootstrap"]
    with (
        pytest.raises(ValueError, match="at least"),
        TestClient(create_app(TestBackend(), bootstrap_token="short")),
    ):
        pass


def test_a_new_bootstrap_token_revokes_the_previous_one() -> None:
    backend = TestBackend()
    with TestClient(create_app(backend, bootstrap_token=ADMIN_TOKEN)):
        pass
    rotated = ADMIN_TOKEN + "-rotated"
    with TestClient(create_app(backend, bootstrap_token=rotated)) as c:
        assert c.get("/api/v1/audit", headers=bearer(rotated)).status_code == 200
        r = c.get("/api/v1/audit", headers=bearer(ADMIN_TOKEN))
        assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_bootstrap_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKYLOOP_BOOTSTRAP_TOKEN", ADMIN_TOKEN + "-env")
    with TestClient(create_app(TestBackend())) as c:
        assert c.get("/api/v1/audit", headers=bearer(ADMIN_TOKEN + "-env")).status_code == 200
        assert c.get("/api/v1/audit", headers=bearer(ADMIN_TOKEN)).status_code == 401
