"""Operator commands from the API as mission-lifecycle inputs: the composition root's
``ConsoleBackend.command`` posts ``lifecycle_input(command)`` to
:meth:`mission.runner.MissionRunner.command`, which checks it against the mission's state first
(``InvalidTransition`` and ``UnknownMission`` are answered 409 by the app). A go-to point inside a
keep-out zone is refused before that with :class:`PointInKeepOut` (answered 422, naming the zone)."""

from __future__ import annotations

from mission.api.backend import CommandKind, CommandRejected, OperatorCommand
from mission.lifecycle_types import Abort, GoToPoint, Hold, MissionInput, Return, SpeakCommand


class PointInKeepOut(CommandRejected):
    """A go-to point lies inside a keep-out zone: no flight may go there (the API answers 422)."""

    def __init__(self, zone_id: str, zone_name: str, lon_deg: float, lat_deg: float) -> None:
        self.zone_id, self.zone_name = zone_id, zone_name
        super().__init__(
            f"go to ({lon_deg:.6f}, {lat_deg:.6f}) refused: the point lies inside keep-out zone "
            f"{zone_id} ({zone_name}): no flight may go there"
        )


def lifecycle_input(command: OperatorCommand) -> MissionInput:
    """The lifecycle event for a command on a mission (LAUNCH is a new mission, not an input).
    Raises ValueError for a command missing what it needs."""
    kind, actor = command.kind, command.actor
    if kind is CommandKind.ABORT:
        return Abort(actor, command.reason) if command.reason else Abort(actor)
    if kind is CommandKind.RETURN:
        return Return(actor)
    if kind is CommandKind.HOLD:
        return Hold(actor)
    if kind is CommandKind.GOTO:
        if command.lon_deg is None or command.lat_deg is None:
            raise ValueError("goto needs lon_deg and lat_deg")
        return GoToPoint(actor, lat_deg=command.lat_deg, lon_deg=command.lon_deg)
    if kind is CommandKind.SPEAK:
        return SpeakCommand(actor, text=command.text, message=command.message)
    raise ValueError(f"{kind.value} is not a command on a mission")
