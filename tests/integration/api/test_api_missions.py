"""Missions: a dispatcher's launch accepted and audited (who, when), operator commands validated
(422 naming the field) and audited whether carried out or refused, the mission in full with its
event timeline and the dispatch decision with every rejected dock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from mission.api.backend import CommandKind
from mission.model import MissionState
from tests.integration.api.console_fakes import TestBackend

POINT = {"lon_deg": 113.80, "lat_deg": 34.80}


def launch(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    r = client.post("/api/v1/missions", json=POINT | {"note": "smoke seen from the tower"}, headers=headers)
    assert r.status_code == 202, r.text
    mission: dict[str, Any] = r.json()
    return mission


def test_dispatcher_launch_is_accepted_and_audited(
    client: TestClient, backend: TestBackend, dispatcher: dict[str, str], admin: dict[str, str]
) -> None:
    before = datetime.now(UTC)
    mission = launch(client, dispatcher)
    assert mission["requested_by"] == "dan" and mission["state"] == "requested"
    assert [c.kind for c in backend.commands] == [CommandKind.LAUNCH]
    assert (backend.commands[0].lon_deg, backend.commands[0].lat_deg) == (POINT["lon_deg"], POINT["lat_deg"])
    entry = client.get("/api/v1/audit", headers=admin).json()[0]
    assert (entry["actor"], entry["role"], entry["action"]) == ("dan", "dispatcher", "command.launch")
    assert entry["target"] == mission["id"] and entry["details"]["outcome"] == "accepted"
    at = datetime.fromisoformat(entry["at"])
    assert before - timedelta(seconds=1) <= at <= datetime.now(UTC) + timedelta(seconds=1)


def test_mission_detail_has_timeline_and_rejected_docks(
    client: TestClient, dispatcher: dict[str, str], viewer: dict[str, str]
) -> None:
    mission = launch(client, dispatcher)
    client.post(f"/api/v1/missions/{mission['id']}/commands", json={"command": "hold"}, headers=dispatcher)
    detail = client.get(f"/api/v1/missions/{mission['id']}", headers=viewer).json()
    assert detail["mission"]["id"] == mission["id"]
    assert [e["seq"] for e in detail["events"]] == [1, 2]
    assert detail["events"][0]["to_state"] == "requested" and detail["events"][1]["kind"] == "command"
    assert detail["decision"]["dock_id"] == "D01"
    assert detail["decision"]["rejected"][0]["dock_id"] == "D02"
    assert detail["decision"]["rejected"][0]["reason_code"] == "busy"
    events = client.get(f"/api/v1/missions/{mission['id']}/events", headers=viewer).json()
    assert events == detail["events"]
    listed = client.get("/api/v1/missions", params={"active": True}, headers=viewer).json()
    assert [m["id"] for m in listed] == [mission["id"]]
    assert client.get("/api/v1/missions/nope", headers=viewer).status_code == 404
    assert client.get("/api/v1/missions/nope/events", headers=viewer).status_code == 404


def test_every_command_reaches_the_backend_with_its_arguments(
    client: TestClient, backend: TestBackend, dispatcher: dict[str, str]
) -> None:
    mission_id = launch(client, dispatcher)["id"]
    url = f"/api/v1/missions/{mission_id}/commands"
    bodies: list[dict[str, Any]] = [
        {"command": "hold"},
        {"command": "goto", "lon_deg": 113.81, "lat_deg": 34.81},
        {"command": "speak", "text": "Please step back from the water."},
        {"command": "speak", "message": "water_warning"},
        {"command": "return"},
        {"command": "abort", "reason": "false alarm"},
    ]
    for body in bodies:
        r = client.post(url, json=body, headers=dispatcher)
        assert r.status_code == 202, r.text
    sent = backend.commands[1:]
    assert [c.kind.value for c in sent] == [b["command"] for b in bodies]
    assert (sent[1].lon_deg, sent[1].lat_deg) == (113.81, 34.81)
    assert sent[2].text == "Please step back from the water." and sent[2].message is None
    assert sent[3].message == "water_warning" and sent[3].text is None
    assert sent[5].reason == "false alarm"
    assert all(c.actor == "dan" and c.mission_id == mission_id for c in sent)


def test_malformed_commands_are_422_naming_the_field(
    client: TestClient, backend: TestBackend, dispatcher: dict[str, str]
) -> None:
    mission_id = launch(client, dispatcher)["id"]
    url = f"/api/v1/missions/{mission_id}/commands"
    cases = [
        ({"command": "goto", "lon_deg": 113.8}, "lat_deg"),
        ({"command": "goto", "lon_deg": 113.8, "lat_deg": 95.0}, "lat_deg"),
        ({"command": "speak", "text": ""}, "text"),
        ({"command": "goto", "lon_deg": 113.8, "lat_deg": 34.8, "alt_m": 80}, "alt_m"),
        ({"command": "abort"}, "reason"),
        ({"command": "hold", "speed": 3}, "speed"),
    ]
    for body, field in cases:
        r = client.post(url, json=body, headers=dispatcher)
        assert r.status_code == 422, body
        assert field in r.json()["detail"][0]["loc"], r.json()
    r = client.post(
        url, json={"command": "speak", "text": "hi", "message": "water_warning"}, headers=dispatcher
    )
    assert r.status_code == 422 and "exactly one of text or message" in r.json()["detail"][0]["msg"]
    r = client.post(url, json={"command": "self_destruct"}, headers=dispatcher)
    assert r.status_code == 422 and "command" in str(r.json()["detail"][0])
    r = client.post("/api/v1/missions", json={"lon_deg": 113.8}, headers=dispatcher)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "lat_deg"]
    assert len(backend.commands) == 1  # only the launch


def test_refused_commands_are_answered_and_audited(
    client: TestClient, backend: TestBackend, dispatcher: dict[str, str], admin: dict[str, str]
) -> None:
    r = client.post("/api/v1/missions/unknown/commands", json={"command": "hold"}, headers=dispatcher)
    assert r.status_code == 404
    mission_id = launch(client, dispatcher)["id"]
    url = f"/api/v1/missions/{mission_id}/commands"
    assert (
        client.post(url, json={"command": "abort", "reason": "test"}, headers=dispatcher).status_code == 202
    )
    # the fake does not move state; make the mission terminal through the store to see the refusal
    backend.store.missions[mission_id].state = MissionState.ABORTED
    r = client.post(url, json={"command": "return"}, headers=dispatcher)
    assert r.status_code == 409 and "aborted" in r.json()["detail"]
    log = client.get("/api/v1/audit", headers=admin).json()
    commands = [e for e in reversed(log) if e["action"].startswith("command.")]
    outcomes = [(e["action"], e["target"], e["details"]["outcome"]) for e in commands]
    assert outcomes == [
        ("command.hold", "unknown", "refused"),
        ("command.launch", mission_id, "accepted"),
        ("command.abort", mission_id, "accepted"),
        ("command.return", mission_id, "refused"),
    ]
