"""The console's backend over the running services: :class:`MissionConsoleBackend` implements
:class:`mission.api.backend.ConsoleBackend` for the composition root (``mission/app.py``).

An alert from the API goes: :meth:`MissionConsoleBackend.submit_alert` → ``AlertIntake.submit``
(stored) → on LAUNCH :meth:`respond` → ``MissionRunner.launch`` (the mission stored, *requested*)
→ ``Dispatcher.dispatch`` (the decision stored with every rejected dock, the dock reserved) →
``MissionRunner.send(Planned)`` → the executor prepares the dock and takes off.

Operator commands on a mission go to ``MissionRunner.command`` as the lifecycle's input
(:func:`mission.api.commands.lifecycle_input`), checked against the mission's state first; a launch
to a point is a *manual* incident (or the one named), dispatched and launched the same way. The API's
routes write the audit log; the backend acts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any

from docks.protocol.payload import LiveFrame
from fleet.manager import FleetManager
from fleet.model import SortieSpec
from mission.alert_intake import AlertIntake
from mission.alerts import AlertDecision, IntakeAction
from mission.api.backend import (
    CommandKind,
    CommandRejected,
    ConsoleBackend,
    CoverageNow,
    DockView,
    DroneView,
    OperatorCommand,
)
from mission.api.commands import lifecycle_input
from mission.api.fleet_views import coverage_now, dock_views, drone_views
from mission.api.live_hub import LiveHub, LiveQueue
from mission.api.metrics import ServiceMetrics
from mission.api.source_auth import SourceAuthenticator
from mission.dispatch import Dispatcher
from mission.geo_config import PlanningInputs
from mission.grid_callbacks import CallbackResult
from mission.grid_service import GridService
from mission.leads import LeadError
from mission.lifecycle_types import Abort, RequestRelief, Retasked
from mission.live_feed import LiveStore
from mission.live_view_relay import LiveViewError, LiveViewRelay
from mission.model import (
    AlertType,
    DispatchDecision,
    Incident,
    IncidentStatus,
    Lead,
    Mission,
    MissionKind,
    MissionState,
    OutboxMessage,
    OutboxStatus,
    utc_now,
)
from mission.ports import MissionStore, NotFound
from mission.retask_policy import retaskable_now
from mission.runner import MissionRunner, UnknownMission
from mission.settings import Settings

log = logging.getLogger(__name__)

#: How long a launch waits for its run to take the planner's decision before answering.
PLANNED_WAIT_S = 2.0

#: The ``mission_id`` of a launch preview's decision (never stored).
PREVIEW_ID = "preview"

#: A component's health check for ``/healthz`` (e.g. the broker link's ``connected``).
HealthCheck = Callable[[], Awaitable[bool]]


class MissionConsoleBackend:
    """See the module docstring.

    ``store`` is the store every service writes through — :class:`mission.live_feed.LiveStore`
    over the SQL store, so that every stored change reaches ``live``; ``live`` is the hub the API's
    WebSocket subscribes to (follow the fleet with :func:`mission.live_feed.follow_fleet`);
    ``checks`` adds components to ``/healthz`` (e.g. ``{"broker": ...}``)."""

    def __init__(
        self,
        *,
        store: MissionStore,
        fleet: FleetManager,
        intake: AlertIntake,
        dispatcher: Dispatcher,
        runner: MissionRunner,
        grid: GridService,
        live: LiveHub,
        planning: PlanningInputs,
        settings: Settings,
        checks: Mapping[str, HealthCheck] | None = None,
        live_view: LiveViewRelay | None = None,
    ) -> None:
        self._store = store
        self.fleet = fleet
        self.intake = intake
        self.dispatcher = dispatcher
        self.runner = runner
        self.grid = grid
        self.live = live
        self.planning = planning
        self.settings = settings
        self.checks: dict[str, HealthCheck] = dict(checks or {})
        self.relay = live_view
        self.sources = SourceAuthenticator(settings.alerts)
        #: Missions launched through this backend and dispatches that failed, for /metrics.
        self.launched = 0
        self.launch_failures = 0
        self._launching: set[str] = set()  # incidents whose response is being launched now

    # --- fleet -----------------------------------------------------------------------------------

    @property
    def store(self) -> MissionStore:
        return self._store

    def docks(self) -> Sequence[DockView]:
        return dock_views(self.fleet)

    def drones(self) -> Sequence[DroneView]:
        return drone_views(self.fleet)

    async def coverage_now(self, k: int = 1) -> CoverageNow:
        """In the wind the dispatcher plans with now (the docks' weather stations)."""
        return await coverage_now(self.planning, self.fleet, self.dispatcher.wind(), k)

    # --- alerts ----------------------------------------------------------------------------------

    async def authenticate_source(self, source: str, headers: Mapping[str, str], body: bytes) -> None:
        self.sources.check(source, headers, body)

    async def submit_alert(self, raw: Mapping[str, Any], source: str) -> AlertDecision:
        decision = await self.intake.submit(dict(raw), source)
        await self.act_on(decision, f"alert:{source}")
        return decision

    async def decide_alert(self, alert_id: str, approve: bool, actor: str, note: str = "") -> AlertDecision:
        if not approve:
            return await self.intake.reject(alert_id, actor, note or f"rejected by {actor}")
        decision = await self.intake.approve(alert_id, actor)
        await self.act_on(decision, actor)
        return decision

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
                self.runner, self._store, self.settings.missions.retask, incident.priority
            )
            result = await self.dispatcher.dispatch(mission, retaskable)
        except Exception as exc:
            self.launch_failures += 1
            log.exception("mission %s: dispatch failed", mission.id)
            self.runner.send(mission.id, Abort("system", f"dispatch failed: {exc}"))
            raise CommandRejected(f"mission {mission.id} could not be dispatched: {exc}") from exc
        # the stored mission rows come by on the live stream when the store is a LiveStore
        sub = self.live.subscribe() if isinstance(self._store, LiveStore) else None
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
                incident = await self._store.get_incident(request.incident_id)
            except NotFound:
                log.warning("relief for %s: incident %s is gone", watching.id, request.incident_id)
        if incident is None:
            priority = self.settings.alerts.policy(AlertType.MANUAL).priority
            incident = Incident(AlertType.MANUAL, request.lon_deg, request.lat_deg, priority)
            await self._store.add_incident(incident)
        await self.respond(
            incident,
            "system",
            kind=MissionKind.RELIEF,
            lon_deg=request.lon_deg,
            lat_deg=request.lat_deg,
            relieves_mission_id=watching.id,
        )

    async def _mark_responding(self, incident_id: str) -> None:
        """open → responding (a later state, e.g. reported, is kept)."""
        fresh = await self._store.get_incident(incident_id)
        if fresh.status is IncidentStatus.OPEN:
            fresh.status, fresh.updated_at = IncidentStatus.RESPONDING, utc_now()
            await self._store.update_incident(fresh)

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
        return await self._current(mission)

    async def _current(self, mission: Mission) -> Mission:
        """The mission as it is now (the run's copy, else the stored one)."""
        try:
            return replace(self.runner.get(mission.id).mission)
        except UnknownMission:
            return await self._store.get_mission(mission.id)

    # --- missions and leads ----------------------------------------------------------------------

    async def preview_launch(self, lon_deg: float, lat_deg: float) -> DispatchDecision:
        """The dispatcher's planner on the fleet's candidates now, in the wind it plans with; nothing
        is stored or reserved (a launch that follows plans again and may differ if the fleet moved).
        Airborne drones count as a click-launch (a ``manual`` incident) would re-task them."""
        d = self.dispatcher
        wind = d.wind()
        spec = SortieSpec(lon_deg, lat_deg, d.on_scene_s, wind=wind)
        priority = self.settings.alerts.policy(AlertType.MANUAL).priority
        retaskable = await retaskable_now(self.runner, self._store, self.settings.missions.retask, priority)
        candidates = d.fleet.candidates(spec)
        return d.planner.plan(PREVIEW_ID, lon_deg, lat_deg, candidates, wind, retaskable=retaskable)

    async def command(self, command: OperatorCommand) -> Mission:
        if command.kind is CommandKind.LAUNCH:
            return await self._launch_to_point(command)
        if command.mission_id is None:
            raise CommandRejected(f"{command.kind.value} needs a mission")
        mission = await self._store.get_mission(command.mission_id)  # NotFound → 404
        if mission.state.terminal:
            raise CommandRejected(f"mission {mission.id} is {mission.state.value}")
        try:
            event = lifecycle_input(command)
        except ValueError as exc:
            raise CommandRejected(str(exc)) from None
        self.runner.command(mission.id, event)  # UnknownMission / InvalidTransition → 409
        return await self._current(mission)

    async def _launch_to_point(self, command: OperatorCommand) -> Mission:
        if command.lon_deg is None or command.lat_deg is None:
            raise CommandRejected("a launch needs lon_deg and lat_deg")
        if command.incident_id is not None:
            incident = await self._store.get_incident(command.incident_id)  # NotFound → 404
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
        await self._store.add_incident(incident)
        return incident

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

    async def grid_callback(self, body: bytes, headers: Mapping[str, str]) -> CallbackResult:
        """The grid platform's callback (``POST /api/v1/grid/callbacks``): ``GridCallbacks.handle``."""
        return await self.grid.callbacks.handle(body, headers)

    async def _find_message(self, message_id: str) -> OutboxMessage:
        for message in await self._store.list_messages(10_000):
            if message.id == message_id:
                return message
        raise NotFound(f"no outbox message {message_id}")

    # --- supervision -----------------------------------------------------------------------------

    def live_view(self, drone_id: str, camera: str) -> AbstractAsyncContextManager[asyncio.Queue[LiveFrame]]:
        """The drone's camera through the relay (``live_view``); NotFound for an unknown drone."""
        if drone_id not in {d.drone_id for d in drone_views(self.fleet)}:
            raise NotFound(f"drone {drone_id} not found")
        if self.relay is None:
            raise LiveViewError("live view is not set up in this mission control")
        return self.relay.watch(drone_id, camera)

    def subscribe_live(self, maxsize: int = 1000) -> LiveQueue:
        return self.live.subscribe(maxsize)

    def service_counters(self) -> Mapping[str, float]:
        """For /metrics (:class:`mission.api.metrics.ServiceMetrics`): totals since start."""
        out: dict[str, float] = {f"alerts_{action}": n for action, n in self.intake.counts.items()}
        out["alerts_invalid"] = self.intake.invalid
        out["missions_launched"] = self.launched
        out["mission_dispatch_failures"] = self.launch_failures
        out.update(self.grid.counters())
        return out

    def service_gauges(self) -> Mapping[str, float]:
        """For /metrics: missions running in this process."""
        return {"missions_running": len(self.runner.active)}

    async def health(self) -> Mapping[str, bool]:
        """``store`` answers a read, ``fleet`` has an online dock, and every extra check."""
        components: dict[str, bool] = {}
        try:
            await self._store.list_missions(active_only=True, limit=1)
            components["store"] = True
        except Exception:
            log.exception("store health check failed")
            components["store"] = False
        components["fleet"] = any(d.state is not None and d.state.online for d in self.docks())
        for name, check in self.checks.items():
            try:
                components[name] = bool(await check())
            except Exception:
                log.exception("health check %s failed", name)
                components[name] = False
        return components


def _left_requested(item: object, mission_id: str) -> bool:
    """``item`` is mission ``mission_id`` past *requested* (the planner's decision taken)."""
    return isinstance(item, Mission) and item.id == mission_id and item.state is not MissionState.REQUESTED


def _conforms(backend: MissionConsoleBackend) -> ConsoleBackend:
    return backend  # mypy checks that the backend honours the API's Protocol


def _exports_metrics(backend: MissionConsoleBackend) -> ServiceMetrics:
    return backend  # mypy checks the /metrics additions
