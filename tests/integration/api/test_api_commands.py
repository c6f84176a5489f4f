"""Operator commands become the mission lifecycle's inputs, which the lifecycle then accepts or
refuses by the mission's state (the refusal the app answers with 409)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from mission.api.app import create_app
from mission.api.backend import CommandKind, OperatorCommand
from mission.api.commands import lifecycle_input
from mission.lifecycle import InvalidTransition, transition
from mission.lifecycle_types import Abort, GoToPoint, Hold, Return, SpeakCommand
from mission.model import Mission, MissionState
from tests.integration.api.conftest import ADMIN_TOKEN, bearer
from tests.integration.api.console_fakes import TestBackend


def test_each_command_maps_to_its_lifecycle_input() -> None:
    def cmd(kind: CommandKind, **kw: object) -> OperatorCommand:
        return OperatorCommand(kind, "dan", "M1", **kw)  # type: ignore[arg-type]

    assert lifecycle_input(cmd(CommandKind.ABORT, reason="false alarm")) == Abort("dan", "false alarm")
    assert lifecycle_input(cmd(CommandKind.ABORT)) == Abort("dan")
    assert lifecycle_input(cmd(CommandKind.RETURN)) == Return("dan")
    assert lifecycle_input(cmd(CommandKind.HOLD)) == Hold("dan")
    assert lifecycle_input(cmd(CommandKind.GOTO, lon_deg=113.8, lat_deg=34.8)) == GoToPoint(
        "dan", lat_deg=34.8, lon_deg=113.8
    )
    assert lifecycle_input(cmd(CommandKind.SPEAK, text="step back")) == SpeakCommand("dan", text="step back")
    assert lifecycle_input(cmd(CommandKind.SPEAK, message="water_warning")) == SpeakCommand(
        "dan", message="water_warning"
    )
    with pytest.raises(ValueError, match="lon_deg"):
        lifecycle_input(cmd(CommandKind.GOTO))
    with pytest.raises(ValueError, match="not a command on a mission"):
        lifecycle_input(cmd(CommandKind.LAUNCH))


def test_a_command_the_state_does_not_allow_is_refused_by_the_lifecycle() -> None:
    closed = Mission(None, 113.8, 34.8, state=MissionState.CLOSED)
    with pytest.raises(InvalidTransition):
        transition(closed, lifecycle_input(OperatorCommand(CommandKind.HOLD, "dan", closed.id)), seq=2)


class LifecycleBackend(TestBackend):
    """Commands checked by the real lifecycle, as the composition root's runner does."""

    async def command(self, command: OperatorCommand) -> Mission:
        if command.kind is CommandKind.LAUNCH:
            return await super().command(command)
        assert command.mission_id is not None
        mission = await self.store.get_mission(command.mission_id)
        transition(mission, lifecycle_input(command), seq=2)
        return mission


def test_the_app_answers_an_invalid_transition_with_409() -> None:
    backend = LifecycleBackend()
    with TestClient(create_app(backend, bootstrap_token=ADMIN_TOKEN)) as client:
        launched = client.post(
            "/api/v1/missions", json={"lon_deg": 113.8, "lat_deg": 34.8}, headers=bearer(ADMIN_TOKEN)
        )
        mission_id = launched.json()["id"]
        backend.store.missions[mission_id].state = MissionState.CLOSED
        r = client.post(
            f"/api/v1/missions/{mission_id}/commands", json={"command": "hold"}, headers=bearer(ADMIN_TOKEN)
        )
        assert r.status_code == 409 and "not possible" in r.json()["detail"]
