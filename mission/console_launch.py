"""Launching missions for the console and the services: :class:`MissionLauncher`.

An intake decision that says LAUNCH (:meth:`~MissionLauncher.act_on`), a dispatcher's point on the
map (:meth:`~MissionLauncher.launch_to_point`, a *manual* incident unless one is named) and the
executor's request for relief (:meth:`~MissionLauncher.request_relief`) all go through
:meth:`~MissionLauncher.respond`: the mission is stored (*requested*) by ``MissionRunner.launch``,
``Dispatcher.dispatch`` stores the decision with every rejected dock and reserves the dock, a drone
handed over in the air ends its old mission first (``Retasked``), and the run is told ``Planned``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from mission.alerts import AlertDecision, IntakeAction
from mission.api.backend import CommandRejected, OperatorCommand
from mission.api.live_hub import LiveHub, LiveQueue
from mission.dispatch import Dispatcher
from mission.lifecycle_types import Abort, RequestRelief, Retasked
from mission.live_feed import LiveStore
from mission.model import AlertType, Incident, IncidentStatus, Mission, MissionKind, MissionState, utc_now
from mission.ports import MissionStore, NotFound
from mission.retask_policy import retaskable_now
from mission.runner import MissionRunner, UnknownMission
from mission.settings import Settings

log = logging.getLogger(__name__)

#: How long a launch waits for its run to take the planner's decision before answering.
PLANNED_WAIT_S = 2.0


class MissionLauncher:
    """See the module docstring. ``launched`` and ``launch_failures`` count since the start."""

    def __init__(
        self,
        store: MissionStore,
        runner: MissionRunner,
        dispatcher: Dispatcher,
        live: LiveHub,
        settings: Settings,
    ) -> None:
        self.store = store
        self.runner = runner
        self.dispatcher = dispatcher
        self.live = live
        self.settings = settings
        self.launched = 0
        self.launch_failures = 0
        self._launching: set[str] = set()  # incidents whose response is being launched now

    async def act_on(self, decision: AlertDecision, actor: str) -> Mission | None:
        """Carry out a stored intake decision: LAUNCH sends a drone to its incident (unless one is
        already on its way there); the other actions need nothing more. The alert is accepted
        either way: a dispatch that fails is logged and shown as the mission's abort reason."""
        if decision.action is not IntakeAction.LAUNCH or decision.incident is None:
            return None
        incident = decision.incident
        active = self._active_for(incident.id)
        if active is not None or incident.id in self._launching:
            log.info("incident %s already has a mission: no second launch", incident.id)
            return active
        self._launching.add(incident.id)
        try:
            return await self.respond(incident, actor)
        except CommandRejected as exc:
            log.error("alert %s: %s", decision.alert.id, exc)
            return None
        finally:
            self._launching.discard(incident.id)

    def _active_for(self, incident_id: str) -> Mission | None:
        for mission_id in self.runner.active:
            try:
                run = self.runner.get(mission_id)
            except UnknownMission:
                continue
            m = run.mission
            if m.incident_id == incident_id and m.kind is MissionKind.RESPONSE and not m.state.terminal:
                return m
        return None

    async def respond(
        self,
        incident: Incident,
        actor: str,
        *,
        kind: MissionKind = MissionKind.RESPONSE,
        lon_deg: float | None = None,
        lat_deg: float | None = None,
        relieves_mission_id: str | None = None,
    ) -> Mission:
        """Launch a mission to ``incident`` (or to a point of it): stored first, then dispatched
        (decision stored, dock reserved) and told its ``Planned``. A dispatch that fails aborts the
        stored mission with the reason and raises :class:`CommandRejected`."""
        mission = Mission(
            incident.id,
            incident.lon_deg if lon_deg is None else lon_deg,
            incident.lat_deg if lat_deg is None else lat_deg,
            kind=kind,
            requested_by=actor,
            relieves_mission_id=relieves_mission_id,
        )
        await self.runner.launch(mission)
        try:
            retaskable = await retaskable_now(
                self.runner, self.store, self.settings.missions.retask, incident.priority
            )
            result = await self.dispatcher.dispatch(mission, retaskable)
        except Exception as exc:
            self.launch_failures += 1
            log.exception("mission %s: dispatch failed", mission.id)
            self.runner.send(mission.id, Abort("system", f"dispatch failed: {exc}"))
            raise CommandRejected(f"mission {mission.id} could not be dispatched: {exc}") from exc
        # the stored mission rows come by on the live stream when the store is a LiveStore
        sub = self.live.subscribe() if isinstance(self.store, LiveStore) else None
        if result.superseded is not None:  # its drone is handed over in the air: it ends first
            self.runner.send(result.superseded, Retasked(mission.id))
        self.runner.send(mission.id, result.planned)
        self.launched += 1
        if result.decision.dock_id is not None and incident.status is IncidentStatus.OPEN:
            await self._mark_responding(incident.id)
        return await self._planned(mission, sub)

    async def request_relief(self, watching: Mission, request: RequestRelief) -> None:
        """The executor's relief hook (``ExecutorDeps.request_relief``): another drone to take over
        ``watching``'s watch, at the point it watches."""
        incident = None
        if request.incident_id is not None:
            try:
                incident = await self.store.get_incident(request.incident_id)
            except NotFound:
                log.warning("relief for %s: incident %s is gone", watching.id, request.incident_id)
        if incident is None:
            priority = self.settings.alerts.policy(AlertType.MANUAL).priority
            incident = Incident(AlertType.MANUAL, request.lon_deg, request.lat_deg, priority)
            await self.store.add_incident(incident)
        await self.respond(
            incident,
            "system",
            kind=MissionKind.RELIEF,
            lon_deg=request.lon_deg,
            lat_deg=request.lat_deg,
            relieves_mission_id=watching.id,
        )

    async def launch_to_point(self, command: OperatorCommand) -> Mission:
        """A dispatcher's launch: to the incident named, else to a new *manual* incident there."""
        if command.lon_deg is None or command.lat_deg is None:
            raise CommandRejected("a launch needs lon_deg and lat_deg")
        if command.incident_id is not None:
            incident = await self.store.get_incident(command.incident_id)  # NotFound → 404
            if incident.status is IncidentStatus.CLOSED:
                raise CommandRejected(f"incident {incident.id} is closed")
        else:
            incident = await self._manual_incident(command)
        return await self.respond(incident, command.actor, lon_deg=command.lon_deg, lat_deg=command.lat_deg)

    async def _manual_incident(self, command: OperatorCommand) -> Incident:
        """A dispatcher's point becomes an incident of its own (type ``manual``), stored first."""
        assert command.lon_deg is not None and command.lat_deg is not None
        priority = self.settings.alerts.policy(AlertType.MANUAL).priority
        incident = Incident(AlertType.MANUAL, command.lon_deg, command.lat_deg, priority)
        await self.store.add_incident(incident)
        return incident

    async def _mark_responding(self, incident_id: str) -> None:
        """open → responding (a later state, e.g. reported, is kept)."""
        fresh = await self.store.get_incident(incident_id)
        if fresh.status is IncidentStatus.OPEN:
            fresh.status, fresh.updated_at = IncidentStatus.RESPONDING, utc_now()
            await self.store.update_incident(fresh)

    async def _planned(self, mission: Mission, sub: LiveQueue | None) -> Mission:
        """The new mission once its run has stored the planner's decision (dock, drone, ETA), seen
        on the live stream ``sub``, so that the answer names them; after :data:`PLANNED_WAIT_S`
        (or without a stream) as it is then."""
        if sub is not None:
            try:
                async with asyncio.timeout(PLANNED_WAIT_S):
                    async for item in sub:
                        if _left_requested(item, mission.id):
                            break
            except TimeoutError:
                log.warning("mission %s: not planned after %.1f s", mission.id, PLANNED_WAIT_S)
            finally:
                sub.close()
        return await self.current(mission)

    async def current(self, mission: Mission) -> Mission:
        """The mission as it is now (the run's copy, else the stored one)."""
        try:
            return replace(self.runner.get(mission.id).mission)
        except UnknownMission:
            return await self.store.get_mission(mission.id)


def _left_requested(item: object, mission_id: str) -> bool:
    """``item`` is mission ``mission_id`` past *requested* (the planner's decision taken)."""
    return isinstance(item, Mission) and item.id == mission_id and item.state is not MissionState.REQUESTED
