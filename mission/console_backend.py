"""The console's backend over the running services: :class:`MissionConsoleBackend` implements
:class:`mission.api.backend.ConsoleBackend` for the composition root (``mission/app.py``).

An alert from the API goes: :meth:`MissionConsoleBackend.submit_alert` → ``AlertIntake.submit``
(stored) → on LAUNCH :meth:`~MissionConsoleBackend.respond` → ``MissionRunner.launch`` (the mission
stored, *requested*) → ``Dispatcher.dispatch`` (the decision stored with every rejected dock, the
dock reserved) → ``MissionRunner.send(Planned)`` → the executor prepares the dock and takes off.

The work is done in modules named for it, this class holds them together:

- :mod:`mission.console_launch` — launches (alerts, clicks on the map, relief) and their dispatch;
- :mod:`mission.console_commands` — operators' commands on missions (a go-to into a keep-out zone
  refused), lead reviews, outbox retries;
- :mod:`mission.console_preview` — what the planner would decide for a launch now;
- :mod:`mission.console_status` — ``/healthz`` and ``/metrics``;
- fleet views and coverage come from :mod:`mission.api.fleet_views` (coverage answers kept by
  :class:`mission.coverage_now.CoverageCache`).

The API's routes write the audit log; the backend acts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from docks.protocol.payload import LiveFrame
from fleet.manager import FleetManager
from mission.alert_intake import AlertIntake
from mission.alerts import AlertDecision
from mission.api.backend import ConsoleBackend, CoverageNow, DockView, DroneView, OperatorCommand
from mission.api.fleet_views import coverage_now, dock_views, drone_views
from mission.api.live_hub import LiveHub, LiveQueue
from mission.api.metrics import ServiceMetrics
from mission.api.source_auth import SourceAuthenticator
from mission.console_commands import MissionCommands
from mission.console_launch import PLANNED_WAIT_S, MissionLauncher
from mission.console_preview import PREVIEW_ID, preview_launch
from mission.console_status import HealthCheck, health, service_counters
from mission.coverage_now import CoverageCache
from mission.dispatch import Dispatcher
from mission.flight_routes import FlightRoutes
from mission.geo_config import PlanningInputs
from mission.grid_callbacks import CallbackResult
from mission.grid_service import GridService
from mission.lifecycle_types import RequestRelief
from mission.live_view_relay import LiveViewError, LiveViewRelay
from mission.model import DispatchDecision, Incident, Lead, Mission, MissionKind, OutboxMessage
from mission.ports import MissionStore, NotFound
from mission.runner import MissionRunner
from mission.settings import Settings

__all__ = ["PLANNED_WAIT_S", "PREVIEW_ID", "HealthCheck", "MissionConsoleBackend"]


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
        self.coverage_cache = CoverageCache(planning)
        self.settings = settings
        self.checks: dict[str, HealthCheck] = dict(checks or {})
        self.relay = live_view
        self.sources = SourceAuthenticator(settings.alerts)
        self.launcher = MissionLauncher(store, runner, dispatcher, live, settings)
        routes = FlightRoutes.from_planning(planning)
        self.commands = MissionCommands(store, runner, self.launcher, grid, routes)

    # --- fleet -----------------------------------------------------------------------------------

    @property
    def store(self) -> MissionStore:
        return self._store

    def docks(self) -> Sequence[DockView]:
        return dock_views(self.fleet)

    def drones(self) -> Sequence[DroneView]:
        return drone_views(self.fleet)

    async def coverage_now(self, k: int = 1) -> CoverageNow:
        """In the wind the dispatcher plans with now (the docks' weather stations), on the cache's
        wind steps; an answer for the same docks and wind step is the kept one."""
        wind = self.dispatcher.wind()
        return await coverage_now(self.planning, self.fleet, wind, k, self.coverage_cache)

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

    # --- launches (mission.console_launch) -------------------------------------------------------

    @property
    def launched(self) -> int:
        return self.launcher.launched

    @property
    def launch_failures(self) -> int:
        return self.launcher.launch_failures

    async def act_on(self, decision: AlertDecision, actor: str) -> Mission | None:
        """Carry out a stored intake decision (LAUNCH sends a drone unless one is on its way)."""
        return await self.launcher.act_on(decision, actor)

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
        """Launch a mission to ``incident`` (:meth:`mission.console_launch.MissionLauncher.respond`)."""
        return await self.launcher.respond(
            incident,
            actor,
            kind=kind,
            lon_deg=lon_deg,
            lat_deg=lat_deg,
            relieves_mission_id=relieves_mission_id,
        )

    async def request_relief(self, watching: Mission, request: RequestRelief) -> None:
        """The executor's relief hook (``ExecutorDeps.request_relief``)."""
        await self.launcher.request_relief(watching, request)

    # --- missions and leads (mission.console_commands, mission.console_preview) ------------------

    async def preview_launch(self, lon_deg: float, lat_deg: float) -> DispatchDecision:
        """What the planner would decide for a launch there now (nothing stored or reserved)."""
        return await preview_launch(
            self.dispatcher, self.runner, self._store, self.settings, lon_deg, lat_deg
        )

    async def command(self, command: OperatorCommand) -> Mission:
        return await self.commands.command(command)

    async def review_lead(self, lead_id: str, approve: bool, actor: str, note: str = "") -> Lead:
        return await self.commands.review_lead(lead_id, approve, actor, note)

    async def retry_message(self, message_id: str, actor: str) -> OutboxMessage:
        return await self.commands.retry_message(message_id, actor)

    async def grid_callback(self, body: bytes, headers: Mapping[str, str]) -> CallbackResult:
        """The grid platform's callback (``POST /api/v1/grid/callbacks``): ``GridCallbacks.handle``."""
        return await self.grid.callbacks.handle(body, headers)

    # --- supervision and status (mission.console_status) -----------------------------------------

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
        return service_counters(self.intake, self.launcher, self.grid)

    def service_gauges(self) -> Mapping[str, float]:
        """For /metrics: missions running in this process."""
        return {"missions_running": len(self.runner.active)}

    async def health(self) -> Mapping[str, bool]:
        """``store`` answers a read, ``fleet`` has an online dock, and every extra check."""
        return await health(self._store, self.docks(), self.checks)


def _conforms(backend: MissionConsoleBackend) -> ConsoleBackend:
    return backend  # mypy checks that the backend honours the API's Protocol


def _exports_metrics(backend: MissionConsoleBackend) -> ServiceMetrics:
    return backend  # mypy checks the /metrics additions
