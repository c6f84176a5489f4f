"""Operators' commands for the console: :class:`MissionCommands`.

A launch goes to :class:`mission.console_launch.MissionLauncher`; a command on a mission (abort,
return, hold, go to, speak) becomes the lifecycle's input (:func:`mission.api.commands.lifecycle_input`)
checked against the mission's state by ``MissionRunner.command``. A go-to point inside a keep-out
zone is refused first (:class:`mission.api.commands.PointInKeepOut`, naming the zone); one whose
straight line crosses a zone is accepted and flown around it (:mod:`mission.flight_routes`). Lead
reviews and outbox retries act through the grid service. The API's routes write the audit log.
"""

from __future__ import annotations

import logging

from mission.api.backend import CommandKind, CommandRejected, OperatorCommand
from mission.api.commands import PointInKeepOut, lifecycle_input
from mission.console_launch import MissionLauncher
from mission.flight_routes import FlightRoutes
from mission.grid_service import GridService
from mission.leads import LeadError
from mission.model import Lead, Mission, OutboxMessage, OutboxStatus
from mission.ports import MissionStore, NotFound
from mission.runner import MissionRunner

log = logging.getLogger(__name__)


class MissionCommands:
    """See the module docstring; ``routes`` None: no keep-out zones to check."""

    def __init__(
        self,
        store: MissionStore,
        runner: MissionRunner,
        launcher: MissionLauncher,
        grid: GridService,
        routes: FlightRoutes | None,
    ) -> None:
        self.store = store
        self.runner = runner
        self.launcher = launcher
        self.grid = grid
        self.routes = routes

    async def command(self, command: OperatorCommand) -> Mission:
        if command.kind is CommandKind.LAUNCH:
            return await self.launcher.launch_to_point(command)
        if command.mission_id is None:
            raise CommandRejected(f"{command.kind.value} needs a mission")
        mission = await self.store.get_mission(command.mission_id)  # NotFound → 404
        if mission.state.terminal:
            raise CommandRejected(f"mission {mission.id} is {mission.state.value}")
        try:
            event = lifecycle_input(command)
        except ValueError as exc:
            raise CommandRejected(str(exc)) from None
        if command.kind is CommandKind.GOTO:
            self._check_outside_keep_outs(command)
        self.runner.command(mission.id, event)  # UnknownMission / InvalidTransition → 409
        return await self.launcher.current(mission)

    def _check_outside_keep_outs(self, command: OperatorCommand) -> None:
        """:class:`PointInKeepOut` for a go-to point inside a zone."""
        assert command.lon_deg is not None and command.lat_deg is not None
        zone = None if self.routes is None else self.routes.zone_at(command.lon_deg, command.lat_deg)
        if zone is not None:
            raise PointInKeepOut(zone.id, zone.name, command.lon_deg, command.lat_deg)

    async def review_lead(self, lead_id: str, approve: bool, actor: str, note: str = "") -> Lead:
        intake = self.grid.intake
        try:
            if approve:
                return await intake.approve(lead_id, actor)
            return await intake.reject(lead_id, actor, note)
        except LeadError as exc:
            if str(exc).startswith("no lead"):
                raise NotFound(str(exc)) from None
            raise

    async def retry_message(self, message_id: str, actor: str) -> OutboxMessage:
        message = await self._find_message(message_id)
        if message.status is not OutboxStatus.DEAD:
            raise CommandRejected(f"message {message_id} is {message.status.value}, not dead")
        log.info("outbox message %s retried by %s", message_id, actor)
        return await self.grid.outbox.requeue(message)

    async def _find_message(self, message_id: str) -> OutboxMessage:
        for message in await self.store.list_messages(10_000):
            if message.id == message_id:
                return message
        raise NotFound(f"no outbox message {message_id}")
