"""``GET /api/v1/speaker-messages``: the stored loudspeaker messages the speak command plays, for
the console's speak dialog."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from mission.api.app import create_app
from mission.model import AlertType
from mission.settings import load_settings
from payload.speaker import load_messages
from tests.integration.api.conftest import ADMIN_TOKEN, bearer
from tests.integration.api.console_fakes import TestBackend


def test_viewers_read_every_stored_message_in_both_languages(
    client: TestClient, viewer: dict[str, str]
) -> None:
    assert client.get("/api/v1/speaker-messages").status_code == 401
    r = client.get("/api/v1/speaker-messages", headers=viewer)
    assert r.status_code == 200, r.text
    body = r.json()
    settings = load_settings()
    stored = load_messages(settings.path(settings.payload.speaker_messages))
    assert body["lang"] == settings.missions.speaker_lang
    assert [m["key"] for m in body["messages"]] == list(stored)
    for m in body["messages"]:
        assert (m["zh"], m["en"]) == (stored[m["key"]]["zh"], stored[m["key"]]["en"])
    # every incident type has exactly one message meant for it, the one its on-scene tasks play
    types = {m["key"]: set(m["incident_types"]) for m in body["messages"]}
    assert sorted(t for ts in types.values() for t in ts) == sorted(t.value for t in AlertType)
    assert "crowd" in types["crowd"] and "fire_smoke" in types["fire"]
    assert {"street_vendor", "road_occupation"} <= types["stalls"]
    assert {"manual", "other"} <= types["general"]


def test_the_configured_file_and_language_are_served(tmp_path: Path) -> None:
    (tmp_path / "msgs.toml").write_text(
        '[crowd]\nzh = "请散开"\nen = "Please disperse"\n\n[general]\nzh = "注意安全"\nen = "Stay safe"\n',
        encoding="utf-8",
    )
    base = load_settings()
    settings = base.model_copy(
        update={
            "payload": base.payload.model_copy(update={"speaker_messages": tmp_path / "msgs.toml"}),
            "missions": base.missions.model_copy(update={"speaker_lang": "en"}),
        }
    )
    with TestClient(create_app(TestBackend(), settings, bootstrap_token=ADMIN_TOKEN)) as c:
        body = c.get("/api/v1/speaker-messages", headers=bearer(ADMIN_TOKEN)).json()
    assert body["lang"] == "en"
    assert [(m["key"], m["en"]) for m in body["messages"]] == [
        ("crowd", "Please disperse"),
        ("general", "Stay safe"),
    ]
    assert body["messages"][0]["incident_types"] == ["crowd"]
    assert "fire_smoke" in body["messages"][1]["incident_types"]  # no fire message: the general one


def test_a_stored_message_is_what_the_speak_command_takes(
    client: TestClient, backend: TestBackend, dispatcher: dict[str, str]
) -> None:
    launched = client.post("/api/v1/missions", json={"lon_deg": 113.78, "lat_deg": 34.76}, headers=dispatcher)
    assert launched.status_code == 202, launched.text
    key = client.get("/api/v1/speaker-messages", headers=dispatcher).json()["messages"][0]["key"]
    r = client.post(
        f"/api/v1/missions/{launched.json()['id']}/commands",
        json={"command": "speak", "message": key},
        headers=dispatcher,
    )
    assert r.status_code == 202, r.text
    assert backend.commands[-1].message == key and backend.commands[-1].text is None
