"""The console over the real services, served by uvicorn on 127.0.0.1: :class:`MissionConsoleBackend`
on the SQL store (SQLite or PostgreSQL, behind :class:`LiveStore`), a real :class:`FleetManager` fed
with healthy dock states (16 reference docks), the real alert intake, planner and dispatcher, and a
:class:`MissionRunner` whose links are the fakes of ``tests/unit/mission/fakes_links.py`` — flight
is not what these tests are about."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from fleet.manager import FleetManager
from mission.alert_intake import AlertIntake, alert_area
from mission.api.app import create_app
from mission.api.live_hub import LiveHub
from mission.app_fleet import build_registry
from mission.console_backend import MissionConsoleBackend
from mission.dispatch import Dispatcher, wind_from_docks
from mission.executor import ExecutorDeps
from mission.flight_routes import FlightRoutes
from mission.geo_config import load_planning
from mission.grid_service import GridService
from mission.lead_settings import GridSettings, LeadSettings
from mission.live_feed import LiveStore, follow_fleet, notify_live
from mission.model import Lead, Mission
from mission.payload_client import PayloadClient
from mission.planner import Planner, dock_sites
from mission.runner import MissionRunner
from mission.settings import Settings, load_settings
from mission.store import SqlMissionStore
from mission.supervision import ExecutorSettings
from tests.integration.api.console_fakes import FixedClock
from tests.integration.sockets import listening_socket, wait_started
from tests.unit.fleet.fleet_helpers import healthy_dock
from tests.unit.mission.alert_helpers import alert_settings
from tests.unit.mission.fakes_links import FakeDockLink, FakeDrone

ADMIN_TOKEN = "console-admin-token-0123456789abcdef"
CALLBACK_SECRET = "callback-secret-for-the-console-tests"


class NoVerifier:
    """Verification revisits are W2's wiring; these tests only record that one was asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def request_verification(self, lead: Lead) -> str | None:
        self.asked.append(lead.id)
        return None


#: Wall-clock patience for any one change (a guard against a hang on a loaded machine, not a timing check).
WAIT_S = 30.0
#: Patience for one HTTP answer: coverage geometry for the district took 18 s at a load of 12 on two cores.
HTTP_WAIT_S = 120.0


@dataclass
class ConsoleStack:
    url: str
    http: httpx.AsyncClient
    backend: MissionConsoleBackend
    store: LiveStore
    fleet: FleetManager
    runner: MissionRunner
    docks: FakeDockLink
    drones: dict[str, FakeDrone]
    verifier: NoVerifier

    def auth(self, token: str = ADMIN_TOKEN) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def token(self, name: str, role: str) -> dict[str, str]:
        r = await self.http.post("/api/v1/tokens", json={"name": name, "role": role}, headers=self.auth())
        assert r.status_code == 201, r.text
        return self.auth(r.json()["token"])

    async def until(
        self, mission_id: str, test: Callable[[Mission], bool], timeout_s: float = WAIT_S
    ) -> Mission:
        """The stored mission once ``test`` holds (a guard against hanging, not a timing check)."""
        async with asyncio.timeout(timeout_s):
            while True:
                m = await self.store.get_mission(mission_id)
                if test(m):
                    return m
                await asyncio.sleep(0.01)


def console_settings() -> Settings:
    settings = load_settings()
    leads = LeadSettings(grid=GridSettings(callback_secret=CALLBACK_SECRET))
    return settings.model_copy(update={"alerts": alert_settings(), "leads": leads})


@asynccontextmanager
async def console_stack(store_url: str, **executor: Any) -> AsyncIterator[ConsoleStack]:
    """The stack over an empty, migrated store at ``store_url``."""
    settings = console_settings()
    planning = load_planning(settings)
    live = LiveHub()
    store = LiveStore(await SqlMissionStore.open(store_url, migrate=False), live)
    registry = build_registry(settings)
    clock = FixedClock()
    fleet = FleetManager(registry, clock=clock)
    for entry in registry:
        fleet.put_dock_state(healthy_dock(entry.dock_id, clock.now_s()))
    follow_fleet(live, fleet)
    planner = Planner(
        dock_sites(registry),
        planning.district.frame.to_local,
        target_s=settings.planning.target_s,
        router=planning.router,
    )
    dispatcher = Dispatcher(fleet, planner, store, lambda: wind_from_docks(fleet))
    intake = AlertIntake(store, settings.alerts, alert_area(planning, settings.alerts))
    drones = {e.drone_id: FakeDrone(e.drone_id, e.record.lat_deg, e.record.lon_deg) for e in registry}
    docks = FakeDockLink()
    deps = ExecutorDeps(
        store=store,
        fleet=fleet,
        drones=drones.__getitem__,
        docks=docks,
        payload=PayloadClient(docks),
        settings=ExecutorSettings(**{"watch_budget_s": 3600.0, **executor}),
        notify=notify_live(live),
        routes=FlightRoutes.from_planning(planning),  # around the reference keep-out zones
    )
    runner = MissionRunner(deps)
    verifier = NoVerifier()
    sock = listening_socket()
    port: int = sock.getsockname()[1]
    async with httpx.AsyncClient() as grid_http, asyncio.TaskGroup() as tg:
        runner_task = tg.create_task(runner.run())
        await runner.started()
        grid = GridService(store, settings.leads, verifier, grid_http)
        backend = MissionConsoleBackend(
            store=store,
            fleet=fleet,
            intake=intake,
            dispatcher=dispatcher,
            runner=runner,
            grid=grid,
            live=live,
            planning=planning,
            settings=settings,
        )
        deps.request_relief = backend.request_relief
        app = create_app(backend, settings.api, bootstrap_token=ADMIN_TOKEN)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        server_task = tg.create_task(server.serve(sockets=[sock]))
        await wait_started(server, server_task, WAIT_S)
        url = f"127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=f"http://{url}", timeout=HTTP_WAIT_S) as http:
                yield ConsoleStack(url, http, backend, store, fleet, runner, docks, drones, verifier)
        finally:
            server.should_exit = True
            live.close()
            await server_task
            runner.stop()
            await runner_task
            await store.close()
            sock.close()


async def next_message(
    ws: Any, kind: str, test: Callable[[dict[str, Any]], bool] = lambda _: True
) -> dict[str, Any]:
    """The next live message of type ``kind`` for which ``test`` holds (others are skipped)."""
    async with asyncio.timeout(WAIT_S):
        while True:
            message: dict[str, Any] = json.loads(await ws.recv())
            if message["type"] == kind and test(message):
                return message


class LiveLog:
    """Every live message a socket received, in order, so a test can wait for messages whose
    relative order the services do not fix (an incident's status and its mission's transitions
    are stored by different tasks)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []

    async def seen(
        self, kind: str, test: Callable[[dict[str, Any]], bool] = lambda _: True, timeout_s: float = WAIT_S
    ) -> dict[str, Any]:
        """The first message so far, or yet to come, of type ``kind`` for which ``test`` holds."""
        for message in self.messages:
            if message["type"] == kind and test(message):
                return message
        async with asyncio.timeout(timeout_s):
            while True:
                message = json.loads(await self.ws.recv())
                self.messages.append(message)
                if message["type"] == kind and test(message):
                    return message
