"""The simulated world of the demo and the end-to-end tests, composed in one process.

``async with SimWorld(settings, SimOptions(speed=10)) as world`` brings up, on one
:class:`sim.clock.SimClock`:

- the MQTT broker (embedded amqtt unless ``broker_url`` names one),
- the sim docks of ``[district] docks`` (all, or the first ``dock_count``),
- one sim vehicle per dock, parked at the dock, each on its own UDP port with its own system id
  (``world.drone_specs()`` tells mission control how to reach them),
- one payload agent per drone (its serial is the drone's) whose cameras ride the vehicle and render
  the scene of the place it is over (:mod:`sim.scene_cameras`, :data:`sim.scenarios.PLACES`),
- the physical coupling of each drone and its dock (:mod:`sim.docking`: leaving, returning,
  landing, charging),
- the weather (a gusty wind, changeable by scenarios), the incidents, and the city's alert sources
  (:mod:`sim.alert_sources`) publishing on ``alerts/{source}``.

Every background task lives in the world's TaskGroup; leaving the block cancels and awaits them,
closes the vehicles' sockets, disconnects the docks and stops the broker.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import tempfile
from collections.abc import Callable, Coroutine, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from docks.broker import EmbeddedBroker
from docks.broker_url import BrokerUrl
from fleet.drone_model import DroneSpec
from mission.settings import Settings
from payload.agent import AgentConfig, OnboardAgent
from payload.agent_mqtt import MqttAgent
from payload.model import CameraModel, FrameKind
from payload.speaker import Speaker, WavFileSink, load_messages
from sim.alert_sources import AlertPublisher, Lake, SmartWaterPlatform, VideoAiCentre, ring_from_offsets
from sim.camera import CameraRenderer, Gimbal, vehicle_camera_pose
from sim.clock import SimClock
from sim.dock_fleet import SimDockFleet, SimDockType, dock_configs_from_geojson
from sim.docking import DockedDrone
from sim.incidents import Incident
from sim.scenarios import PLACES, SCENARIOS, run_scenario
from sim.scene_cameras import SceneFrameSource
from sim.vehicle.fleet import SimFleet
from sim.vehicle.vehicle import Vehicle, VehicleConfig
from sim.weather import GustyWind, Rainfall, Weather

log = logging.getLogger(__name__)

#: Wall seconds each group of MQTT clients may take to connect at start-up.
CONNECT_WAIT_S = 30.0


@dataclass(frozen=True)
class SimOptions:
    """How the sim world runs. Times are sim seconds unless named wall."""

    speed: float = 10.0
    dock_count: int | None = None
    """The first N docks of the docks file (None: all)."""
    broker_url: BrokerUrl | None = None
    """An external broker; None starts the embedded one on ``broker_port`` (0: any free port)."""
    broker_port: int = 0
    wind_mps: float = 3.0
    wind_from_deg: float = 45.0
    cover_s: float = 15.0
    home_alt_amsl_m: float = 95.0
    vehicle_health_delay_s: float = 2.0
    payload_agents: bool = True
    alert_review_s: float = 45.0
    """The video AI centre's own review before it raises an alarm."""
    battery_pct: float | None = None
    """Every drone's charge at start (None: the docks file's deterministic variety, 45 … 100 %)."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.speed) and 0 < self.speed <= 100):
            raise ValueError(f"speed must be within (0, 100], got {self.speed}")
        if self.dock_count is not None and not 1 <= self.dock_count <= 200:
            raise ValueError(f"dock_count must be within 1..200, got {self.dock_count}")
        if self.battery_pct is not None and not 0 <= self.battery_pct <= 100:
            raise ValueError(f"battery_pct must be within [0, 100], got {self.battery_pct}")
        if not 0 <= self.wind_mps <= 60:
            raise ValueError(f"wind must be within [0, 60] m/s, got {self.wind_mps}")


@dataclass
class SimDrone:
    """One drone of the world: its sim vehicle and, with agents on, its payload computer."""

    drone_sn: str
    dock_sn: str
    vehicle: Vehicle
    agent: OnboardAgent | None = None
    gimbal: Gimbal = field(default_factory=Gimbal)

    @property
    def spec(self) -> DroneSpec:
        c = self.vehicle.config
        return DroneSpec(self.drone_sn, c.connection_url, c.sysid)


def free_udp_ports(count: int) -> list[int]:
    """UDP ports on 127.0.0.1 nobody uses right now (held together so they are distinct)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def airframe_params(settings: Settings) -> dict[str, float]:
    """The sim airframes configured for the speed the planner prices (as an operator sets up the
    real ones): PX4's default auto-mode cruise is 5 m/s with a 12 m/s cap, the planner's 15 m/s."""
    cruise_mps = settings.planning.reach.cruise_mps
    return {"MPC_XY_CRUISE": cruise_mps, "MPC_XY_VEL_MAX": max(12.0, cruise_mps)}


class SimWorld:
    """See the module docstring. Implements :class:`sim.scenarios.ScenarioWorld`."""

    def __init__(self, settings: Settings, options: SimOptions | None = None) -> None:
        self.settings = settings
        self.options = o = options or SimOptions()
        self.clock = SimClock(o.speed)
        self.weather = Weather(GustyWind(o.wind_mps, o.wind_from_deg))
        types = {
            name: SimDockType(t.prep_s, t.launch_wind_limit_mps, t.charge_20_90_s)
            for name, t in settings.dock_types.items()
        }
        configs = dock_configs_from_geojson(
            settings.path(settings.district.docks),
            types,
            cover_s=o.cover_s,
            osd_interval_s=settings.mqtt.osd_interval_s,
        )
        configs = configs[: o.dock_count] if o.dock_count else configs
        if o.battery_pct is not None:
            configs = [replace(c, battery_pct=o.battery_pct) for c in configs]
        self.dock_configs = configs
        ports = free_udp_ports(len(self.dock_configs))
        self.vehicle_configs = [
            VehicleConfig(
                home_lat_deg=c.latitude_deg,
                home_lon_deg=c.longitude_deg,
                home_alt_amsl_m=o.home_alt_amsl_m,
                sysid=i + 1,
                gcs_port=port,
                local_port=0,
                health_delay_s=o.vehicle_health_delay_s,
                battery_remaining=c.battery_pct / 100.0,
                params=airframe_params(settings),
            )
            for i, (c, port) in enumerate(zip(self.dock_configs, ports, strict=True))
        ]
        self.incidents: list[Incident] = []
        self.places = {
            name: (p, CameraRenderer(p.scene(), weather=self.weather)) for name, p in PLACES.items()
        }
        for _, renderer in self.places.values():
            renderer.incidents = self.incidents  # one list: what scenarios add, every camera sees
        self.video_ai = VideoAiCentre(review_s=o.alert_review_s)
        self.smart_water = SmartWaterPlatform(self.lakes())
        self.broker: EmbeddedBroker | None = None
        self.url: BrokerUrl | None = o.broker_url
        self.docks: SimDockFleet | None = None
        self.vehicles: SimFleet | None = None
        self.drones: list[SimDrone] = []
        self.agents: dict[str, MqttAgent] = {}
        self.publisher: AlertPublisher | None = None
        self._stack = AsyncExitStack()
        self._tg: asyncio.TaskGroup | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self.log_lines: list[str] = []

    # --- lifecycle ---------------------------------------------------------------------------------

    async def __aenter__(self) -> SimWorld:
        try:
            await self._start()
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _start(self) -> None:
        if self.url is None:
            self.broker = EmbeddedBroker(self.options.broker_port)
            self.url = await self.broker.start()
            self._stack.push_async_callback(self.broker.stop)
        url = self.url
        self.docks = SimDockFleet(self.dock_configs, url, self.clock, self.weather, self.settings.mqtt)
        await self._stack.enter_async_context(self.docks)
        self._stack.push_async_callback(self._quiesce_docks)
        # Clients connect one group after the other: amqtt 0.12 can drop a client that connects
        # while another one subscribes ("dictionary changed size during iteration"); it reconnects,
        # but only after its connect timeout.
        await self.docks.wait_connected(CONNECT_WAIT_S)
        self.vehicles = SimFleet(self.vehicle_configs, self.clock, self.weather)
        await self._stack.enter_async_context(self.vehicles)
        self._tg = await self._stack.enter_async_context(asyncio.TaskGroup())
        audio_dir = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="skyloop-audio-")))
        for dock, vehicle in zip(self.dock_configs, self.vehicles.vehicles, strict=True):
            drone = SimDrone(dock.drone_sn or f"{dock.sn}-UAV", dock.sn, vehicle)
            if self.options.payload_agents:
                drone.agent = self._agent(drone, audio_dir)
                runner = MqttAgent(
                    drone.agent,
                    url.host,
                    url.port,
                    username=url.username,
                    password=url.password,
                    osd_interval_s=max(0.5, 2.0 / self.clock.speed),
                )
                self.agents[drone.drone_sn] = runner
                self.spawn(runner.run(), f"payload:{drone.drone_sn}")
                async with asyncio.timeout(CONNECT_WAIT_S):
                    await runner.connected.wait()
            self.drones.append(drone)
        self.spawn(self._couple_drones_and_docks(), "dock-drone-coupling")
        self.publisher = AlertPublisher(
            [self.video_ai, self.smart_water], lambda: self.incidents, url, self.clock
        )
        self.spawn(self.publisher.run(), "alert-sources")
        await self.publisher.session.wait_connected(CONNECT_WAIT_S)

    async def _couple_drones_and_docks(self, period_s: float = 1.0) -> None:
        """The drones and their docks, coupled as hardware is (:mod:`sim.docking`)."""
        assert self.docks is not None
        pairs = [DockedDrone(d.vehicle, self.docks[d.dock_sn]) for d in self.drones]
        while True:
            for pair in pairs:
                pair.step()
            await self.clock.sleep(period_s)

    def _agent(self, drone: SimDrone, audio_dir: Path) -> OnboardAgent:
        ps = self.settings.payload
        pose_at = vehicle_camera_pose(drone.vehicle, drone.gimbal)
        rgb = SceneFrameSource(
            self.places, FrameKind.RGB, CameraModel(1280, 720, ps.rgb_hfov_deg), pose_at, self.clock.now_s
        )
        thermal = SceneFrameSource(
            self.places,
            FrameKind.THERMAL,
            CameraModel(640, 512, ps.thermal_hfov_deg),
            pose_at,
            self.clock.now_s,
        )
        params = ps.pipeline_params(self.settings.config_dir)
        lakes = tuple(lake.ring_lonlat for lake in self.smart_water.lakes)
        params = replace(params, water_lonlat=(*params.water_lonlat, *lakes))
        messages = load_messages(self.settings.path(ps.speaker_messages))
        sink_dir = audio_dir / drone.drone_sn
        speaker = Speaker(WavFileSink(sink_dir), messages, None)
        config = AgentConfig(drone.drone_sn, ps.rate_hz, ps.snapshot_max_bytes, pipeline=params)
        return OnboardAgent(config, rgb, thermal, speaker, None, self.clock.now_s)

    def lakes(self) -> list[Lake]:
        """The water of every scene (what the smart-water platform watches and the payload knows)."""
        return [
            Lake(name, ring_from_offsets(renderer.scene.origin_lon_deg, renderer.scene.origin_lat_deg, water))
            for name, (_, renderer) in self.places.items()
            for water in renderer.scene.water
        ]

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coro`` in the world's TaskGroup (cancelled and awaited on exit)."""
        if self._tg is None:
            coro.close()
            raise RuntimeError("the sim world is not running")
        task = self._tg.create_task(coro, name=name)
        self._tasks.append(task)
        return task

    async def _quiesce_docks(self) -> None:
        """Stop the docks publishing before they disconnect (see tests/integration/fleet: a cancel
        landing as an MQTT publish completes can be swallowed on Python 3.11)."""
        if self.docks is None:
            return
        for dock in self.docks.docks.values():
            dock.inject(stale_telemetry=True)
        await asyncio.sleep(min(1.0, 2 * self.settings.mqtt.osd_interval_s / self.clock.speed))

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        self._tg = None
        await self._stack.aclose()

    async def wait_docks_connected(self, timeout_s: float = 10.0) -> None:
        assert self.docks is not None
        await self.docks.wait_connected(timeout_s)

    async def wait_agents_connected(self, timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s):
            await asyncio.gather(*(a.connected.wait() for a in self.agents.values()))

    # --- what mission control needs --------------------------------------------------------------

    def drone_specs(self) -> list[DroneSpec]:
        return [d.spec for d in self.drones]

    @property
    def dock_ids(self) -> list[str]:
        return [c.sn for c in self.dock_configs]

    def endpoints(self) -> list[str]:
        """One line per endpoint: the broker, each drone's MAVLink UDP link."""
        lines = [f"MQTT broker  {self.url}" + (" (embedded)" if self.broker else "")]
        for d in self.drones:
            c = d.vehicle.config
            lines.append(
                f"{d.drone_sn:<10} MAVLink sysid {c.sysid:<3} {c.connection_url}  (dock {d.dock_sn}, "
                f"payload on thing/product/{d.drone_sn}/services)"
            )
        return lines

    # --- ScenarioWorld ------------------------------------------------------------------------------

    def add_incident(self, incident: Incident, reported_as: str | None = None) -> None:
        if any(i.incident_id == incident.incident_id for i in self.incidents):
            raise ValueError(f"incident {incident.incident_id!r} exists already")
        if reported_as:
            self.video_ai.reported_as[incident.incident_id] = reported_as
        self.incidents.append(incident)

    def end_incident(self, incident_id: str) -> None:
        for k, inc in enumerate(self.incidents):
            if inc.incident_id == incident_id and inc.end_s is None:
                self.incidents[k] = replace(inc, end_s=max(self.clock.now_s(), inc.start_s + 1e-3))

    def set_wind(self, speed_mps: float, from_deg: float) -> None:
        self.weather.wind = GustyWind(speed_mps, from_deg)

    def set_rain(self, level: Rainfall) -> None:
        self.weather.rainfall = level

    def inject_dock(self, index: int, faults: Mapping[str, bool]) -> str:
        if self.docks is None:
            raise RuntimeError("the sim world is not running")
        sn = self.dock_ids[index % len(self.dock_ids)]
        self.docks[sn].inject(**faults)
        return sn

    def start_scenario(self, name: str, report: Callable[[str], None] | None = None) -> asyncio.Task[Any]:
        """Play a named scenario of :data:`sim.scenarios.SCENARIOS` (KeyError for an unknown name)."""
        scenario = SCENARIOS[name]

        def note(line: str) -> None:
            self.log_lines.append(line)
            (report or log.info)(line)

        return self.spawn(run_scenario(scenario, self, self.clock, note), f"scenario:{name}")
