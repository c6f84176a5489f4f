"""The composition root: mission control from :class:`Settings`, every part in ONE TaskGroup.

``await MissionControl(settings, broker_url, drones).run()`` opens the store (migrating it), brings up
the fleet side (:class:`mission.app_fleet.FleetSide`: fleet manager, MQTT dock link, MAVSDK drones),
then in one TaskGroup:

- the mission runner (executor: dock link, drones, :class:`PayloadClient`; its ``request_relief``
  launches a relief mission through the dispatcher, its ``notify`` goes to the live stream), and
  :func:`mission.recovery.recover` of every unfinished mission before anything new is accepted;
- the grid service (lead feed from the payloads, outbox to the platform, callbacks) with the
  :class:`mission.verification.RevisitVerifier`;
- the MQTT alert subscriber (``alerts/+``), whose LAUNCH decisions are acted on like the API's;
- the HTTP API (:func:`mission.api.create_app` over :class:`MissionConsoleBackend`) under uvicorn.

Every service writes through a :class:`mission.live_feed.LiveStore`, so the live stream shows each
stored change. :meth:`stop` (or cancelling ``run``) shuts down in order: the HTTP server, the alert
subscriber, the missions (their drones fly on under their autopilot's failsafes, and the next start
recovers them), the grid service, the fleet side, the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any

import httpx
import uvicorn

from docks.broker_url import BrokerUrl
from docks.protocol.payload import AiDetection
from fleet.clock import Clock
from fleet.drone_model import DroneSpec
from fleet.registry import FleetRegistry
from mission.alert_intake import AlertIntake, alert_area
from mission.alerts import AlertDecision
from mission.alerts_mqtt import AlertSubscriber
from mission.api.app import create_app
from mission.api.auth import BOOTSTRAP_ENV, ensure_bootstrap_token
from mission.api.live_hub import LiveHub
from mission.app_fleet import FleetSide
from mission.console_backend import MissionConsoleBackend
from mission.dispatch import Dispatcher, wind_from_docks
from mission.executor import ExecutorDeps
from mission.flight_routes import FlightRoutes
from mission.geo_config import load_planning
from mission.grid_service import GridService
from mission.lead_feed import Attribution
from mission.lifecycle_types import RequestRelief
from mission.live_feed import LiveStore, follow_fleet, notify_live
from mission.live_view_mqtt import LiveFrameSubscriber
from mission.live_view_relay import LiveViewRelay
from mission.model import Mission, MissionKind
from mission.payload_client import PayloadClient
from mission.planner import Planner, dock_sites
from mission.recovery import Recovered, recover
from mission.runner import MissionRunner, UnknownMission
from mission.settings import Settings
from mission.store import SqlFleetStateStore, SqlMissionStore
from mission.store_settings import resolve_store_url
from mission.verification import RevisitVerifier

log = logging.getLogger(__name__)

#: Wall seconds between asking again for verifications nobody could fly (resolved leads).
VERIFY_RETRY_WALL_S = 30.0
#: Wall seconds recovery waits for the first telemetry of the drones of unfinished missions.
RECOVERY_TELEMETRY_WALL_S = 15.0


class MissionControl:
    """Mission control, composed (see the module docstring).

    ``drones``: how to reach each drone (``[drones]`` for ``serve``, the sim world's for the demo);
    ``payload_serials``: drone id → payload computer serial (default: the same string);
    the API's socket is bound at construction (``port`` 0: a free one), so ``url`` is known before
    :meth:`run`; ``ready`` is set once it serves."""

    def __init__(
        self,
        settings: Settings,
        broker_url: BrokerUrl,
        drones: Sequence[DroneSpec],
        *,
        payload_serials: Mapping[str, str] | None = None,
        registry: FleetRegistry | None = None,
        clock: Clock | None = None,
        host: str | None = None,
        port: int | None = None,
        store_url: str | None = None,
        bootstrap_token: str | None = None,
        verify_look_s: float = 30.0,
    ) -> None:
        self.settings = settings
        self.broker_url = broker_url
        self.drone_specs = list(drones)
        self.payload_serials = dict(payload_serials or {})
        self._drone_of_serial = {sn: drone for drone, sn in self.payload_serials.items()}
        self.registry = registry
        self.clock = clock
        self.host = host or settings.api.host
        # Bound now, so that the URL (and the grid callback URL) is known before the start;
        # OSError when the port is taken.
        self._sock = listen_socket(self.host, settings.api.port if port is None else port)
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://{self.host}:{self.port}"
        self.store_url = store_url or resolve_store_url(settings.store, settings.config_dir)
        self.bootstrap_token = bootstrap_token
        self.verify_look_s = verify_look_s
        self.ready = asyncio.Event()
        self._stop = asyncio.Event()
        self.recovered: list[Recovered] = []
        # Built by run():
        self.live = LiveHub()
        self.store: LiveStore | None = None
        self.fleet: FleetSide | None = None
        self.runner: MissionRunner | None = None
        self.grid: GridService | None = None
        self.backend: MissionConsoleBackend | None = None
        self.relay: LiveViewRelay | None = None
        self.alerts: AlertSubscriber | None = None
        self.verifier: RevisitVerifier | None = None
        self._server: uvicorn.Server | None = None

    def stop(self) -> None:
        """Ask :meth:`run` to shut down (it returns once everything has stopped)."""
        self._stop.set()

    def serial_of(self, drone_id: str) -> str:
        return self.payload_serials.get(drone_id, drone_id)

    # --- running ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Build everything, recover unfinished missions, serve until :meth:`stop` or cancelled."""
        s = self.settings
        planning = load_planning(s)
        sql = await SqlMissionStore.open(self.store_url, migrate=True)
        store = self.store = LiveStore(sql, self.live)
        try:
            token = (
                self.bootstrap_token if self.bootstrap_token is not None else os.environ.get(BOOTSTRAP_ENV)
            )
            if await ensure_bootstrap_token(store, token):  # a bad token stops the start here (ValueError)
                log.info("bootstrap admin token stored")
            fleet = FleetSide(s, self.broker_url, self.drone_specs, registry=self.registry, clock=self.clock)
            if s.fleet.state_file is None:
                fleet.manager.store = SqlFleetStateStore(sql)  # the fleet state lives in the store
            self.fleet = fleet
            async with fleet, httpx.AsyncClient() as http, asyncio.TaskGroup() as tg:
                await self._compose(tg, fleet, store, planning, http)
                await self._stop.wait()
                await self._shutdown()
        finally:
            self.ready.clear()
            self._sock.close()
            await store.close()
        log.info("mission control stopped")

    async def _compose(
        self,
        tg: asyncio.TaskGroup,
        fleet: FleetSide,
        store: LiveStore,
        planning: Any,
        http: httpx.AsyncClient,
    ) -> None:
        s = self.settings
        manager = fleet.manager
        registry = fleet.registry
        self._tasks: list[asyncio.Task[Any]] = []

        def spawn(coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
            task = tg.create_task(coro, name=name)
            self._tasks.append(task)
            return task

        follow_fleet(self.live, manager)
        planner = Planner(
            dock_sites(registry),
            planning.district.frame.to_local,
            target_s=s.planning.target_s,
            router=planning.router,
        )
        dispatcher = Dispatcher(manager, planner, store, lambda: wind_from_docks(manager))
        intake = AlertIntake(store, s.alerts, alert_area(planning, s.alerts))
        executor_settings = s.missions  # with the heights and cruise the planner priced (Settings)
        payload = PayloadClient(fleet.dock_link, self.serial_of)
        # the drones' live view: started on demand by the console's viewers, frames from MQTT
        relay = self.relay = LiveViewRelay(payload.start_live_view, payload.stop_live_view)
        deps = ExecutorDeps(
            store=store,
            fleet=manager,
            drones=fleet.drones.drone,
            docks=fleet.dock_link,
            payload=payload,
            settings=executor_settings,
            clock=manager.clock,
            notify=notify_live(self.live),
            request_relief=self._relief,
            routes=FlightRoutes.from_planning(planning),  # flights keep out of the keep-out zones
        )
        runner = self.runner = MissionRunner(deps)

        verifier = self.verifier = RevisitVerifier(
            store,
            self._respond,
            runner.send,
            fleet.dock_link,
            manager.clock,
            lambda coro, name: spawn(coro, name),
            look_s=self.verify_look_s,
        )
        verifier.attach()
        grid = self.grid = GridService(store, s.leads, verifier, http, attribute=self._attribute)
        verifier.callbacks = grid.callbacks
        backend = self.backend = MissionConsoleBackend(
            store=store,
            fleet=manager,
            intake=intake,
            dispatcher=dispatcher,
            runner=runner,
            grid=grid,
            live=self.live,
            planning=planning,
            settings=s,
            checks={"broker": self._broker_up},
            live_view=relay,
        )
        # Everything is built: missions recovered now may ask for relief at once, and pending
        # verifications launch missions through the backend.
        self._runner_task = spawn(runner.run(), "mission-runner")
        await runner.started()
        await self._telemetry_of_unfinished(store, fleet)
        self.recovered = await recover(store, runner, fleet.drones.drone, registry)
        if self.recovered:
            log.info("recovered %d unfinished mission(s)", len(self.recovered))
        grid_started = asyncio.Event()
        self._grid_task = spawn(self._hold(grid.start, fleet.dock_link, grid_started), "grid-service")
        await grid_started.wait()

        self.alerts = AlertSubscriber.from_settings(s, self.broker_url, intake.submit, self._on_alert)
        spawn(self.alerts.run(), "alert-subscriber")
        live_frames = LiveFrameSubscriber(
            self.broker_url,
            relay,
            lambda sn: self._drone_of_serial.get(sn, sn),
            client_id=f"{s.mqtt.client_id}-live"[:64],
            tls_ca_file=s.mqtt.tls_ca_file,
        )
        spawn(live_frames.run(), "live-view-frames")
        spawn(self._retry_verifications(), "verification-retry")

        app = create_app(backend, s, bootstrap_token=self.bootstrap_token)
        config = uvicorn.Config(app, host=self.host, port=self.port, log_level="warning", lifespan="on")
        server = self._server = uvicorn.Server(config)
        self._server_task = spawn(server.serve(sockets=[self._sock]), "http")
        self._server_task.add_done_callback(lambda _: self._stop.set())  # e.g. Ctrl-C caught by uvicorn
        while not server.started:
            if self._server_task.done():
                raise RuntimeError(f"the HTTP API stopped while starting on {self.url}")
            await asyncio.sleep(0.02)
        self.ready.set()
        log.info("mission control ready at %s", self.url)

    async def _telemetry_of_unfinished(
        self, store: LiveStore, fleet: FleetSide, wait_wall_s: float = RECOVERY_TELEMETRY_WALL_S
    ) -> None:
        """Before recovery: wait until the drones of unfinished missions have reported whether they
        fly and where (a fresh link knows nothing yet, which recovery would read as 'landed')."""
        wanted = {m.drone_id for m in await store.unfinished_missions() if m.drone_id is not None}
        wanted &= {spec.drone_id for spec in self.drone_specs}
        if not wanted:
            return

        def known(drone_id: str) -> bool:
            t = fleet.drones.drone(drone_id).telemetry()
            return t.in_air is not None and t.position is not None

        try:
            async with asyncio.timeout(wait_wall_s):
                while not all(known(d) for d in wanted):  # noqa: ASYNC110 (telemetry has no event)
                    await asyncio.sleep(0.1)
        except TimeoutError:
            silent = sorted(d for d in wanted if not known(d))
            log.warning("recovery: no telemetry yet from %s; recovered as unheard", ", ".join(silent))

    async def _hold(self, start: Any, link: Any, started: asyncio.Event) -> None:
        """Run the grid service's tasks in a TaskGroup of their own, until cancelled."""
        async with asyncio.TaskGroup() as tg:
            await start(tg, link)
            started.set()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._server_task
        if self.relay is not None:  # each payload told to stop (else it stops by itself)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await self.relay.close()
        self.live.close()
        if self.runner is not None:
            self.runner.stop()
            await self._runner_task
        if self.grid is not None:
            self.grid.stop_listening()
        for task in self._tasks:
            task.cancel()

    # --- the hooks between the parts -------------------------------------------------------------

    async def _broker_up(self) -> bool:
        return self.fleet is not None and self.fleet.dock_link.connected

    async def _on_alert(self, decision: AlertDecision) -> None:
        """An MQTT alert's stored decision, acted on as the API's are."""
        assert self.backend is not None
        await self.backend.act_on(decision, f"alert:{decision.alert.source}")

    async def _respond(self, *args: Any, **kwargs: Any) -> Mission:
        assert self.backend is not None
        return await self.backend.respond(*args, **kwargs)

    async def _relief(self, mission: Mission, request: RequestRelief) -> None:
        """The executor asks for a relief drone: a relief mission to the watch, planned as any."""
        assert self.store is not None and self.backend is not None
        if request.incident_id is None:
            return
        incident = await self.store.get_incident(request.incident_id)
        relief = await self.backend.respond(
            incident,
            f"relief:{mission.id}",
            kind=MissionKind.RELIEF,
            lon_deg=request.lon_deg,
            lat_deg=request.lat_deg,
            relieves_mission_id=mission.id,
        )
        log.info("mission %s: relief mission %s launched", mission.id, relief.id)

    def _attribute(self, sn: str, event: AiDetection) -> Attribution:
        """Payload serial → drone; the event's flight id names the mission, the mission its incident."""
        drone_id = self._drone_of_serial.get(sn, sn)
        incident_id = None
        if event.flight_id is not None and self.runner is not None:
            with contextlib.suppress(UnknownMission):
                incident_id = self.runner.get(event.flight_id).mission.incident_id
        return Attribution(drone_id, event.flight_id, incident_id)

    async def _retry_verifications(self) -> None:
        while True:
            await asyncio.sleep(VERIFY_RETRY_WALL_S)
            if self.grid is not None:
                try:
                    await self.grid.callbacks.pending_verifications()
                except Exception:
                    log.exception("asking again for verifications failed")


def listen_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: a free port) for uvicorn to serve on."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def new_admin_token() -> str:
    """A random admin token for the demo when ``SKYLOOP_BOOTSTRAP_TOKEN`` is not set."""
    return "sk-demo-" + secrets.token_urlsafe(24)
