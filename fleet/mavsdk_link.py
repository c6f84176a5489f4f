"""The DroneLink and FleetLink on MAVSDK 4.x (the native ``mavsdk`` binding, no mavsdk_server).

One :class:`MavsdkFleet` owns ONE ``Mavsdk`` object and one connection per drone, and a thread pool
sized for the fleet for MAVSDK's blocking calls (never the loop's default executor, which has only
``cpu_count + 4`` threads: 16 timed-out commands would starve every other call). Drones are told apart
by MAVLink system id, so system ids must be unique in a fleet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import mavsdk
from mavsdk.component_type import ComponentType
from mavsdk.mavsdk import Configuration, Mavsdk
from mavsdk.plugins.action import Action, OrbitYawBehavior
from mavsdk.plugins.mission import Mission, MissionItem
from mavsdk.plugins.mission import MissionPlan as MavsdkMissionPlan
from mavsdk.plugins.param import Param
from mavsdk.plugins.telemetry import Telemetry
from mavsdk.system import System

from fleet.drone_model import DroneSpec, DroneTelemetry, Height, LinkState, MissionPlan
from fleet.errors import (
    CommandTimeout,
    ConnectError,
    DroneError,
    DroneOffline,
    InvalidCommand,
    ParamError,
    UnknownDrone,
    error_for_result,
)
from fleet.flight_checks import (
    check_height,
    check_orbit,
    check_param_name,
    check_point,
    check_waypoints,
)
from fleet.flight_settings import FlightSettings
from fleet.mavsdk_telemetry import TelemetryFeed
from fleet.ports import DroneLink, FleetLink
from fleet.telemetry_hub import Subscription, TelemetryHub

log = logging.getLogger(__name__)
_mavsdk_log = logging.getLogger("mavsdk")
T = TypeVar("T")
_RESERVED_SYSIDS = {0, 245, 255}


def _route_mavsdk_logs() -> None:
    """Send MAVSDK's own log lines to Python logging instead of stdout."""
    levels = {0: logging.DEBUG, 1: logging.INFO, 2: logging.WARNING, 3: logging.ERROR}

    def on_log(level: Any, message: str, _file: str | None, _line: int) -> bool:
        _mavsdk_log.log(levels.get(int(level), logging.INFO), "%s", message)
        return True

    mavsdk.log_subscribe(on_log)


class MavsdkDroneLink:
    """One drone on the fleet's ``Mavsdk``: commands with timeouts, typed errors, telemetry fan-out."""

    def __init__(self, spec: DroneSpec, settings: FlightSettings, pool: ThreadPoolExecutor) -> None:
        self.spec = spec
        self._settings = settings
        self._pool = pool
        self.hub = TelemetryHub(spec.drone_id, settings.link_loss_s, settings.subscriber_queue)
        self.connection: Any = None
        self._system: System | None = None
        self._action: Action | None = None
        self._param: Param | None = None
        self._mission: Mission | None = None
        self._telemetry: Telemetry | None = None
        self._feed: TelemetryFeed | None = None

    # -- DroneLink: state and telemetry -------------------------------------------------------------

    @property
    def drone_id(self) -> str:
        return self.spec.drone_id

    @property
    def link_state(self) -> LinkState:
        return self.hub.state

    @property
    def attached(self) -> bool:
        return self._system is not None

    def telemetry(self) -> DroneTelemetry:
        return self.hub.snapshot()

    def subscribe(self) -> Subscription:
        return self.hub.subscribe()

    async def connect(self, timeout_s: float | None = None) -> None:
        timeout = timeout_s if timeout_s is not None else self._settings.connect_timeout_s
        try:
            async with asyncio.timeout(timeout):
                while self.hub.state is not LinkState.ONLINE:
                    if self.hub.state is LinkState.CLOSED:
                        raise DroneOffline(self.drone_id, "connect", "link closed")
                    await self.hub.wait_state_change()
        except TimeoutError:
            raise DroneOffline(
                self.drone_id,
                "connect",
                f"no heartbeat from system {self.spec.system_id} within {timeout:g} s",
            ) from None

    # -- DroneLink: commands --------------------------------------------------------------------------

    async def arm(self) -> None:
        await self._call("arm", "action", self._plugin(self._action).arm)

    async def disarm(self) -> None:
        await self._call("disarm", "action", self._plugin(self._action).disarm)

    async def takeoff(self, height: Height) -> None:
        rel_alt_m = check_height(self.drone_id, "takeoff", height, self._home_amsl_m(), self._settings)
        action = self._plugin(self._action)
        await self._call("takeoff", "action", lambda: action.set_takeoff_altitude(rel_alt_m))
        await self._call("takeoff", "action", action.takeoff)

    async def goto(
        self, lat_deg: float, lon_deg: float, height: Height, yaw_deg: float | None = None
    ) -> None:
        check_point(self.drone_id, "goto", lat_deg, lon_deg, self._settings)
        if yaw_deg is not None and not math.isfinite(yaw_deg):
            raise InvalidCommand(self.drone_id, "goto", f"yaw_deg must be finite or None, got {yaw_deg!r}")
        home = self._home_amsl_m()
        check_height(self.drone_id, "goto", height, home, self._settings)
        amsl_m = self._amsl("goto", height, home)
        yaw = math.nan if yaw_deg is None else yaw_deg
        action = self._plugin(self._action)
        await self._call("goto", "action", lambda: action.goto_location(lat_deg, lon_deg, amsl_m, yaw))

    async def orbit(
        self, centre_lat_deg: float, centre_lon_deg: float, height: Height, radius_m: float, speed_mps: float
    ) -> None:
        check_point(self.drone_id, "orbit", centre_lat_deg, centre_lon_deg, self._settings)
        check_orbit(self.drone_id, radius_m, speed_mps, self._settings)
        home = self._home_amsl_m()
        check_height(self.drone_id, "orbit", height, home, self._settings)
        amsl_m = self._amsl("orbit", height, home)
        action = self._plugin(self._action)
        yaw = OrbitYawBehavior.HOLD_FRONT_TO_CIRCLE_CENTER
        await self._call(
            "orbit",
            "action",
            lambda: action.do_orbit(radius_m, speed_mps, yaw, centre_lat_deg, centre_lon_deg, amsl_m),
        )

    async def hold(self) -> None:
        await self._call("hold", "action", self._plugin(self._action).hold)

    async def return_to_launch(self) -> None:
        await self._call("return_to_launch", "action", self._plugin(self._action).return_to_launch)

    async def land(self) -> None:
        await self._call("land", "action", self._plugin(self._action).land)

    async def get_param(self, name: str) -> float | int:
        check_param_name(self.drone_id, "get_param", name)
        param = self._plugin(self._param)
        timeout = self._settings.param_timeout_s
        try:
            value: float = await self._call(
                "get_param", "param", lambda: param.get_param_float(name), timeout
            )
            return value
        except ParamError as exc:
            if exc.result != "WRONG_TYPE":
                raise
        ivalue: int = await self._call("get_param", "param", lambda: param.get_param_int(name), timeout)
        return ivalue

    async def set_param(self, name: str, value: float | int) -> None:
        check_param_name(self.drone_id, "set_param", name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidCommand(self.drone_id, "set_param", f"{name}: not a finite number: {value!r}")
        param = self._plugin(self._param)
        timeout = self._settings.param_timeout_s
        as_int = isinstance(value, int)
        for attempt in (as_int, not as_int):
            if not attempt and not float(value).is_integer():
                continue
            setter: Callable[[], Any] = (
                (lambda: param.set_param_int(name, int(value)))
                if attempt
                else (lambda: param.set_param_float(name, float(value)))
            )
            try:
                await self._call("set_param", "param", setter, timeout)
                return
            except ParamError as exc:
                if exc.result != "WRONG_TYPE":
                    raise
        raise ParamError(
            self.drone_id, "set_param", f"{name}: {value!r} fits neither its type", result="WRONG_TYPE"
        )

    async def upload_mission(self, plan: MissionPlan) -> None:
        heights = check_waypoints(self.drone_id, plan.waypoints, self._home_amsl_m(), self._settings)
        items = [
            MissionItem(
                latitude_deg=wp.lat_deg,
                longitude_deg=wp.lon_deg,
                relative_altitude_m=rel_alt_m,
                speed_m_s=wp.speed_mps if wp.speed_mps is not None else math.nan,
                is_fly_through=wp.fly_through,
                loiter_time_s=wp.loiter_s,
                acceptance_radius_m=wp.acceptance_radius_m
                if wp.acceptance_radius_m is not None
                else math.nan,
            )
            for wp, rel_alt_m in zip(plan.waypoints, heights, strict=True)
        ]
        mission = self._plugin(self._mission)
        timeout = self._settings.mission_timeout_s
        await self._call(
            "upload_mission",
            "mission",
            lambda: mission.set_return_to_launch_after_mission(plan.return_after),
            timeout,
        )
        await self._call(
            "upload_mission", "mission", lambda: mission.upload_mission(MavsdkMissionPlan(items)), timeout
        )

    async def start_mission(self) -> None:
        mission = self._plugin(self._mission)
        await self._call("start_mission", "mission", mission.start_mission, self._settings.mission_timeout_s)

    async def clear_mission(self) -> None:
        mission = self._plugin(self._mission)
        await self._call("clear_mission", "mission", mission.clear_mission, self._settings.mission_timeout_s)

    # -- plumbing -------------------------------------------------------------------------------------

    def _home_amsl_m(self) -> float | None:
        home = self.hub.snapshot().home
        return home.abs_alt_m if home is not None else None

    def _amsl(self, command: str, height: Height, home_amsl_m: float | None) -> float:
        if home_amsl_m is None:
            self._require_online(command)
            raise InvalidCommand(
                self.drone_id, command, "home position not known yet: cannot convert the height"
            )
        return height.amsl_alt_m(home_amsl_m)

    def _plugin(self, plugin: T | None) -> T:
        if plugin is None:
            raise DroneOffline(self.drone_id, "command", "never connected (no heartbeat yet)")
        return plugin

    def _require_online(self, command: str) -> None:
        state = self.hub.state
        if state is not LinkState.ONLINE:
            raise DroneOffline(self.drone_id, command, f"link is {state}")

    async def _call(
        self, command: str, plugin: str, fn: Callable[[], T], timeout_s: float | None = None
    ) -> T:
        """Run a blocking MAVSDK call on the fleet's pool with a timeout; translate its result."""
        self._require_online(command)
        timeout = timeout_s if timeout_s is not None else self._settings.command_timeout_s
        future = asyncio.get_running_loop().run_in_executor(self._pool, fn)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise CommandTimeout(self.drone_id, command, timeout) from None
        except mavsdk.MavsdkError as exc:
            result = getattr(exc, "result", None)
            name = getattr(result, "name", str(result))
            raise error_for_result(self.drone_id, command, plugin, name, str(exc)) from exc

    def poll_connected(self) -> None:
        """Ask MAVSDK directly whether the system is connected (its callback can be dropped under load)."""
        system = self._system
        if system is not None and self._feed is not None and self._feed.started:
            self.hub.set_connected(system.is_connected())

    def attach(self, system: System, loop: asyncio.AbstractEventLoop) -> None:
        """Create this drone's plugins and its telemetry feed (on a worker thread)."""
        telemetry = Telemetry(system)
        mission = Mission(system)
        action = Action(system)
        param = Param(system)
        self._feed = TelemetryFeed(system, telemetry, mission, self.hub, loop)
        self._telemetry, self._mission, self._action, self._param = telemetry, mission, action, param
        self._system = system

    def detach(self) -> None:
        """Unsubscribe and release the plugins (on a worker thread)."""
        if self._feed is not None:
            self._feed.close()
        for plugin in (self._action, self._param, self._mission, self._telemetry):
            if plugin is not None:
                plugin.destroy()
        self._feed = self._action = self._param = self._mission = self._telemetry = None
        self._system = None

    async def start_feed(self) -> None:
        feed = self._feed
        if feed is None:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool, feed.start)
        rate = self._settings.position_rate_hz
        telemetry = self._telemetry
        if rate is not None and telemetry is not None:
            try:
                await loop.run_in_executor(self._pool, telemetry.set_rate_position, rate)
                await loop.run_in_executor(self._pool, telemetry.set_rate_velocity_ned, rate)
            except mavsdk.MavsdkError as exc:
                log.warning("drone %s: could not set telemetry rate %s Hz: %s", self.drone_id, rate, exc)


class MavsdkFleet:
    """The fleet's drone links on one ``Mavsdk`` object; use ``async with MavsdkFleet(settings)``."""

    def __init__(self, settings: FlightSettings | None = None) -> None:
        self.settings = settings or FlightSettings()
        self._pool = ThreadPoolExecutor(self.settings.pool_size, thread_name_prefix="mavsdk")
        self._mavsdk: Mavsdk | None = None
        self._links: dict[str, MavsdkDroneLink] = {}
        self._scan_wanted = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._new_system_handle: Any = None

    async def __aenter__(self) -> MavsdkFleet:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        if self._mavsdk is not None:
            return
        loop = asyncio.get_running_loop()
        _route_mavsdk_logs()
        config = Configuration.create_with_component_type(ComponentType.GROUND_STATION)
        mav = await loop.run_in_executor(self._pool, Mavsdk, config)
        self._mavsdk = mav
        self._new_system_handle = mav.subscribe_on_new_system(
            lambda _ud: loop.call_soon_threadsafe(self._scan_wanted.set)
        )
        self._tasks = [
            asyncio.create_task(self._scan_loop(), name="mavsdk-scan"),
            asyncio.create_task(self._watchdog_loop(), name="mavsdk-watchdog"),
        ]

    @property
    def drone_ids(self) -> list[str]:
        return list(self._links)

    def drone(self, drone_id: str) -> MavsdkDroneLink:
        try:
            return self._links[drone_id]
        except KeyError:
            raise UnknownDrone(drone_id, "lookup", "no such drone in the fleet") from None

    async def add_drone(self, spec: DroneSpec) -> MavsdkDroneLink:
        await self.start()
        assert self._mavsdk is not None
        if not spec.drone_id:
            raise InvalidCommand(spec.drone_id, "add_drone", "drone_id must not be empty")
        if spec.drone_id in self._links:
            raise InvalidCommand(spec.drone_id, "add_drone", "a drone with this id is already in the fleet")
        if not 1 <= spec.system_id <= 254 or spec.system_id in _RESERVED_SYSIDS:
            raise InvalidCommand(
                spec.drone_id, "add_drone", f"system id {spec.system_id} is not a vehicle id"
            )
        taken = {link.spec.system_id: link.drone_id for link in self._links.values()}
        if spec.system_id in taken:
            raise InvalidCommand(
                spec.drone_id,
                "add_drone",
                f"system id {spec.system_id} is already used by {taken[spec.system_id]}",
            )
        if len(self._links) >= self.settings.max_drones:
            raise InvalidCommand(
                spec.drone_id, "add_drone", f"the fleet is full ({self.settings.max_drones})"
            )
        link = MavsdkDroneLink(spec, self.settings, self._pool)
        loop = asyncio.get_running_loop()
        try:
            link.connection = await loop.run_in_executor(
                self._pool, self._mavsdk.add_any_connection_with_handle, spec.url
            )
        except (mavsdk.MavsdkError, ConnectionError) as exc:  # mavsdk's own ConnectionError is a MavsdkError
            raise ConnectError(spec.drone_id, "add_drone", f"{spec.url}: {exc}") from exc
        self._links[spec.drone_id] = link
        self._scan_wanted.set()
        return link

    async def remove_drone(self, drone_id: str) -> None:
        link = self.drone(drone_id)
        del self._links[drone_id]
        await self._release(link)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for link in list(self._links.values()):
            await self._release(link)
        self._links.clear()
        if self._mavsdk is not None:
            mav, self._mavsdk = self._mavsdk, None
            await asyncio.get_running_loop().run_in_executor(self._pool, mav.destroy)
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _release(self, link: MavsdkDroneLink) -> None:
        loop = asyncio.get_running_loop()
        link.hub.close()
        await loop.run_in_executor(self._pool, link.detach)
        if self._mavsdk is not None and link.connection is not None:
            await loop.run_in_executor(self._pool, self._mavsdk.remove_connection, link.connection)

    async def _scan_loop(self) -> None:
        """Attach newly heard systems to their links (on a new-system event, or every 0.1 s while a
        registered drone has not been heard yet: its autopilot component may come a moment later)."""
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that races its timeout.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.1):
                    await self._scan_wanted.wait()
            self._scan_wanted.clear()
            waiting = {link.spec.system_id: link for link in self._links.values() if not link.attached}
            if not waiting or self._mavsdk is None:
                continue
            try:
                await self._attach_new(waiting)
            except Exception:
                log.exception("scanning MAVSDK systems failed")

    async def _attach_new(self, waiting: dict[int, MavsdkDroneLink]) -> None:
        loop = asyncio.get_running_loop()
        mav = self._mavsdk
        assert mav is not None

        def find() -> list[MavsdkDroneLink]:
            found = []
            for system in mav.get_systems():
                link = waiting.get(system.get_system_id())
                if link is not None and system.has_autopilot():
                    link.attach(system, loop)
                    found.append(link)
            return found

        for link in await loop.run_in_executor(self._pool, find):
            if self._links.get(link.drone_id) is link:
                await link.start_feed()
                log.info("drone %s: system %d attached", link.drone_id, link.spec.system_id)

    async def _watchdog_loop(self) -> None:
        period = self.settings.watchdog_period_s
        while True:
            await asyncio.sleep(period)
            for link in list(self._links.values()):
                link.poll_connected()
                link.hub.check()


if TYPE_CHECKING:  # mypy checks that the adapters honour the ports

    def _honours_ports(fleet: MavsdkFleet, link: MavsdkDroneLink) -> tuple[FleetLink, DroneLink]:
        return fleet, link


__all__ = ["DroneError", "MavsdkDroneLink", "MavsdkFleet"]
