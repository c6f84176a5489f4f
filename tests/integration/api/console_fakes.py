"""A :class:`mission.api.backend.ConsoleBackend` for the API tests, built from real parts where the
API's behaviour depends on them — the fleet manager (fed with dock states), geo's coverage, alert
intake with its policies, source authentication with webhook signatures — and small stand-ins for
what the API tests are not about: the planner and executor behind operator commands, and lead
review (a command is recorded as a mission event; the mission state does not move on). A go-to
point inside a keep-out zone is refused as the real backend refuses it (``PointInKeepOut``)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any

from docks.protocol.payload import LiveFrame
from fleet.manager import FleetManager
from fleet.model import SortieSpec
from geo.model import Wind
from mission.alert_intake import AlertIntake
from mission.alerts import AlertArea, AlertDecision
from mission.api.backend import (
    CommandKind,
    CommandRejected,
    ConsoleBackend,
    CoverageNow,
    DockView,
    DroneView,
    OperatorCommand,
)
from mission.api.commands import PointInKeepOut
from mission.api.fleet_views import coverage_now, dock_views, drone_views
from mission.api.live_hub import LiveHub, LiveQueue
from mission.api.source_auth import SourceAuthenticator
from mission.app_fleet import build_registry
from mission.flight_routes import FlightRoutes
from mission.geo_config import PlanningInputs, load_planning
from mission.live_view_relay import LiveViewRelay
from mission.model import (
    DispatchDecision,
    Lead,
    LeadStatus,
    Mission,
    MissionEvent,
    MissionState,
    OutboxMessage,
    OutboxStatus,
    RejectedOption,
)
from mission.planner import Planner, dock_sites
from mission.ports import NotFound
from mission.settings import load_settings
from tests.unit.fleet.fleet_helpers import healthy_dock
from tests.unit.mission.alert_helpers import alert_settings
from tests.unit.mission.fake_store import FakeStore

NOW_S = 1000.0


class FixedClock:
    """The fleet manager's clock, standing still: nothing goes stale during a test."""

    def __init__(self, now_s: float = NOW_S) -> None:
        self.t = now_s

    def now_s(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


class TestBackend:
    """See the module docstring. ``commands`` records every command carried out."""

    __test__ = False  # not a pytest test class

    def __init__(self, wind: Wind | None = None) -> None:
        settings = load_settings()
        self.planning: PlanningInputs = load_planning(settings)
        self.clock = FixedClock()
        self.manager = FleetManager(build_registry(settings), clock=self.clock)
        self.wind = wind or Wind.calm()
        self._store = FakeStore()
        area = AlertArea(
            self.planning.district.boundary_m,
            self.planning.district.frame.to_local,
            self.planning.docks,
            self.planning.target_s,
        )
        self.intake = AlertIntake(self._store, alert_settings(), area)
        self.sources = SourceAuthenticator(alert_settings())
        self.commands: list[OperatorCommand] = []
        self.live = LiveHub()
        self.live.follow_fleet(self.manager)
        self.healthy = {"store": True, "fleet": True}
        #: live-view requests the relay sent to payloads: ("start", drone, camera) / ("stop", drone)
        self.payload_calls: list[tuple[str, ...]] = []
        self.refuse_live_view = False
        self.relay = LiveViewRelay(self._start_view, self._stop_view)
        self.routes = FlightRoutes.from_planning(self.planning)
        self.planner = Planner(
            dock_sites(self.manager.registry),
            self.planning.district.frame.to_local,
            target_s=self.planning.target_s,
            router=self.planning.router,
        )

    def feed_healthy_docks(self) -> None:
        """Every dock online, idle, charged, in calm weather."""
        for entry in self.manager.registry:
            self.manager.put_dock_state(healthy_dock(entry.dock_id, self.clock.now_s()))

    # --- ConsoleBackend --------------------------------------------------------------------------

    @property
    def store(self) -> FakeStore:
        return self._store

    def docks(self) -> Sequence[DockView]:
        return dock_views(self.manager)

    def drones(self) -> Sequence[DroneView]:
        return drone_views(self.manager)

    async def coverage_now(self, k: int = 1) -> CoverageNow:
        return await coverage_now(self.planning, self.manager, self.wind, k)

    async def authenticate_source(self, source: str, headers: Mapping[str, str], body: bytes) -> None:
        self.sources.check(source, headers, body)

    async def submit_alert(self, raw: Mapping[str, Any], source: str) -> AlertDecision:
        decision = await self.intake.submit(dict(raw), source)
        self.live.publish(decision.alert)
        if decision.incident is not None:
            self.live.publish(decision.incident)
        return decision

    async def decide_alert(self, alert_id: str, approve: bool, actor: str, note: str = "") -> AlertDecision:
        if approve:
            return await self.intake.approve(alert_id, actor)
        return await self.intake.reject(alert_id, actor, note or f"rejected by {actor}")

    async def preview_launch(self, lon_deg: float, lat_deg: float) -> DispatchDecision:
        """The real planner on the fed fleet's candidates in ``self.wind``; nothing stored."""
        spec = SortieSpec(lon_deg, lat_deg, None, wind=self.wind)
        candidates = self.manager.candidates(spec)
        return self.planner.plan("preview", lon_deg, lat_deg, candidates, self.wind)

    async def command(self, command: OperatorCommand) -> Mission:
        if command.kind is CommandKind.LAUNCH:
            return await self._launch(command)
        assert command.mission_id is not None
        mission = await self._store.get_mission(command.mission_id)
        if mission.state.terminal:
            raise CommandRejected(f"mission {mission.id} is {mission.state.value}")
        if command.kind is CommandKind.GOTO and self.routes is not None:
            assert command.lon_deg is not None and command.lat_deg is not None
            zone = self.routes.zone_at(command.lon_deg, command.lat_deg)
            if zone is not None:
                raise PointInKeepOut(zone.id, zone.name, command.lon_deg, command.lat_deg)
        events = await self._store.mission_events(mission.id)
        data = {k: v for k, v in vars(command).items() if v is not None and k not in ("kind", "actor")}
        event = MissionEvent(
            mission.id,
            len(events) + 1,
            "command",
            actor=command.actor,
            data={"command": command.kind.value, **data},
        )
        await self._store.append_event(event)
        self.commands.append(command)
        self.live.publish(event)
        return mission

    async def _launch(self, command: OperatorCommand) -> Mission:
        assert command.lon_deg is not None and command.lat_deg is not None
        mission = Mission(
            command.incident_id, command.lon_deg, command.lat_deg, requested_by=command.actor, dock_id="D01"
        )
        first = MissionEvent(mission.id, 1, "state", to_state=MissionState.REQUESTED, actor=command.actor)
        await self._store.add_mission(mission, first)
        await self._store.add_decision(
            DispatchDecision(
                mission.id,
                "D01",
                "D01-UAV",
                eta_s=150.0,
                target_s=300.0,
                promise_breached=False,
                rejected=(RejectedOption("D02", "D02-UAV", "busy", "busy: on mission M", None),),
            )
        )
        self.commands.append(command)
        self.live.publish(mission)
        return mission

    async def review_lead(self, lead_id: str, approve: bool, actor: str, note: str = "") -> Lead:
        lead = await self._store.get_lead(lead_id)
        if lead.status is not LeadStatus.PENDING_REVIEW:
            raise CommandRejected(f"lead {lead_id} is {lead.status.value}, not pending review")
        lead = replace(
            lead, status=LeadStatus.APPROVED if approve else LeadStatus.REJECTED, reviewed_by=actor
        )
        await self._store.update_lead(lead)
        self.live.publish(lead)
        return lead

    async def retry_message(self, message_id: str, actor: str) -> OutboxMessage:
        found = [m for m in await self._store.list_messages(10_000) if m.id == message_id]
        if not found:
            raise NotFound(f"no outbox message {message_id}")
        message = found[0]
        if message.status is not OutboxStatus.DEAD:
            raise CommandRejected(f"message {message_id} is {message.status.value}, not dead")
        message = replace(message, status=OutboxStatus.PENDING, attempts=0, last_error=None)
        await self._store.update_message(message)
        return message

    async def _start_view(self, drone_id: str, camera: str) -> None:
        if self.refuse_live_view:
            raise RuntimeError("payload answered 10002: no such camera")
        self.payload_calls.append(("start", drone_id, camera))

    async def _stop_view(self, drone_id: str) -> None:
        self.payload_calls.append(("stop", drone_id))

    def live_view(self, drone_id: str, camera: str) -> AbstractAsyncContextManager[asyncio.Queue[LiveFrame]]:
        if drone_id not in {d.drone_id for d in self.drones()}:
            raise NotFound(f"drone {drone_id} not found")
        return self.relay.watch(drone_id, camera)

    def subscribe_live(self, maxsize: int = 1000) -> LiveQueue:
        return self.live.subscribe(maxsize)

    async def health(self) -> Mapping[str, bool]:
        return dict(self.healthy)


def _conforms(backend: TestBackend) -> ConsoleBackend:
    return backend  # mypy checks that TestBackend honours the Protocol
