"""One drone's DroneLink on MAVSDK 4.x (the native ``mavsdk`` binding, no mavsdk_server): commands
with timeouts from settings, checks before sending, MAVSDK results translated to typed errors, and the
drone's telemetry hub. :class:`~fleet.mavsdk_fleet.MavsdkFleet` creates and owns these links.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import mavsdk
from mavsdk.plugins.action import Action, OrbitYawBehavior
from mavsdk.plugins.geofence import FenceType, Geofence, GeofenceData
from mavsdk.plugins.geofence import Point as FencePoint
from mavsdk.plugins.geofence import Polygon as MavsdkFencePolygon
from mavsdk.plugins.mission import Mission, MissionItem
from mavsdk.plugins.mission import MissionPlan as MavsdkMissionPlan
from mavsdk.plugins.param import Param
from mavsdk.plugins.telemetry import Telemetry
from mavsdk.system import System

from fleet.drone_model import DroneSpec, DroneTelemetry, Height, LinkState, MissionPlan
from fleet.errors import (
    CommandTimeout,
    DroneOffline,
    InvalidCommand,
    MissionError,
    ParamError,
    error_for_result,
)
from fleet.flight_checks import (
    check_height,
    check_orbit,
    check_param_name,
    check_point,
    check_speed,
    check_waypoints,
)
from fleet.flight_settings import FlightSettings
from fleet.geofence import FencePolygon, GeofencePlan, same_polygons
from fleet.mavsdk_telemetry import TelemetryFeed
from fleet.telemetry_hub import Subscription, TelemetryHub

log = logging.getLogger(__name__)
T = TypeVar("T")


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
        self._geofence: Geofence | None = None
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
        await self._call("arm", "action", self._plugin(self._action, "arm").arm)

    async def disarm(self) -> None:
        await self._call("disarm", "action", self._plugin(self._action, "disarm").disarm)

    async def takeoff(self, height: Height) -> None:
        home = await self._home_ready()
        rel_alt_m = check_height(self.drone_id, "takeoff", height, home, self._settings)
        action = self._plugin(self._action, "takeoff")
        await self._call("takeoff", "action", lambda: action.set_takeoff_altitude(rel_alt_m))
        await self._call("takeoff", "action", action.takeoff)

    async def goto(
        self,
        lat_deg: float,
        lon_deg: float,
        height: Height,
        yaw_deg: float | None = None,
        speed_mps: float | None = None,
    ) -> None:
        check_point(self.drone_id, "goto", lat_deg, lon_deg, self._settings)
        if yaw_deg is not None and not math.isfinite(yaw_deg):
            raise InvalidCommand(self.drone_id, "goto", f"yaw_deg must be finite or None, got {yaw_deg!r}")
        if speed_mps is not None:
            check_speed(self.drone_id, "goto", speed_mps, self._settings)
        home = await self._home_ready()
        check_height(self.drone_id, "goto", height, home, self._settings)
        amsl_m = self._amsl("goto", height, home)
        yaw = math.nan if yaw_deg is None else yaw_deg
        action = self._plugin(self._action, "goto")
        if speed_mps is not None:
            await self._call("goto", "action", lambda: action.set_current_speed(speed_mps))
        await self._call("goto", "action", lambda: action.goto_location(lat_deg, lon_deg, amsl_m, yaw))

    async def orbit(
        self, centre_lat_deg: float, centre_lon_deg: float, height: Height, radius_m: float, speed_mps: float
    ) -> None:
        check_point(self.drone_id, "orbit", centre_lat_deg, centre_lon_deg, self._settings)
        check_orbit(self.drone_id, radius_m, speed_mps, self._settings)
        home = await self._home_ready()
        check_height(self.drone_id, "orbit", height, home, self._settings)
        amsl_m = self._amsl("orbit", height, home)
        action = self._plugin(self._action, "orbit")
        yaw = OrbitYawBehavior.HOLD_FRONT_TO_CIRCLE_CENTER
        await self._call(
            "orbit",
            "action",
            lambda: action.do_orbit(radius_m, speed_mps, yaw, centre_lat_deg, centre_lon_deg, amsl_m),
        )

    async def hold(self) -> None:
        await self._call("hold", "action", self._plugin(self._action, "hold").hold)

    async def return_to_launch(self) -> None:
        await self._call(
            "return_to_launch", "action", self._plugin(self._action, "return_to_launch").return_to_launch
        )

    async def land(self) -> None:
        await self._call("land", "action", self._plugin(self._action, "land").land)

    async def get_param(self, name: str) -> float | int:
        check_param_name(self.drone_id, "get_param", name)
        param = self._plugin(self._param, "get_param")
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
        param = self._plugin(self._param, "set_param")
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
        home = await self._home_ready()
        heights = check_waypoints(self.drone_id, plan.waypoints, home, self._settings)
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
        mission = self._plugin(self._mission, "upload_mission")
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
        mission = self._plugin(self._mission, "start_mission")
        await self._call("start_mission", "mission", mission.start_mission, self._settings.mission_timeout_s)

    async def clear_mission(self) -> None:
        mission = self._plugin(self._mission, "clear_mission")
        await self._call("clear_mission", "mission", mission.clear_mission, self._settings.mission_timeout_s)

    async def upload_geofence(self, plan: GeofencePlan) -> None:
        if not plan.polygons:
            raise InvalidCommand(self.drone_id, "upload_geofence", "no polygons (clear the fence instead)")
        data = GeofenceData(
            polygons=[
                MavsdkFencePolygon(
                    [FencePoint(lat, lon) for lon, lat in p.ring_lon_lat],
                    FenceType.INCLUSION if p.inclusion else FenceType.EXCLUSION,
                )
                for p in plan.polygons
            ],
            circles=[],
        )
        fence = self._plugin(self._geofence, "upload_geofence")
        timeout = self._settings.mission_timeout_s
        await self._call("upload_geofence", "geofence", lambda: fence.upload_geofence(data), timeout)
        stored: GeofenceData = await self._call(
            "upload_geofence", "geofence", fence.download_geofence, timeout
        )
        got = [
            FencePolygon(
                f"stored{i}",
                tuple((pt.longitude_deg, pt.latitude_deg) for pt in poly.points),
                poly.fence_type == FenceType.INCLUSION,
            )
            for i, poly in enumerate(stored.polygons)
        ]
        if not same_polygons(plan.polygons, got):
            raise MissionError(
                self.drone_id,
                "upload_geofence",
                f"the autopilot stores {len(got)} fence polygon(s), not the {len(plan.polygons)} sent",
            )
        for name, value in plan.params:
            await self.set_param(name, value)
            back = await self.get_param(name)
            if not math.isclose(float(back), float(value), abs_tol=1e-3):
                raise ParamError(self.drone_id, "upload_geofence", f"{name} reads back {back}, not {value}")

    # -- plumbing -------------------------------------------------------------------------------------

    def _home_amsl_m(self) -> float | None:
        home = self.hub.snapshot().home
        return home.abs_alt_m if home is not None else None

    async def _home_ready(self) -> float | None:
        """The home altitude AMSL; on a link that has just come up, wait for the autopilot's first
        home position (bounded by the command timeout) instead of refusing the command at once."""
        home = self._home_amsl_m()
        if home is not None or self.hub.state is not LinkState.ONLINE:
            return home
        sub = self.hub.subscribe()
        try:
            async with asyncio.timeout(self._settings.command_timeout_s):
                async for update in sub:
                    if isinstance(update, DroneTelemetry) and update.home is not None:
                        return update.home.abs_alt_m
                    if self.hub.state is not LinkState.ONLINE:
                        break
        except TimeoutError:
            pass
        finally:
            sub.close()
        return self._home_amsl_m()

    def _amsl(self, command: str, height: Height, home_amsl_m: float | None) -> float:
        if home_amsl_m is None:
            self._require_online(command)
            raise InvalidCommand(
                self.drone_id, command, "home position not known yet: cannot convert the height"
            )
        return height.amsl_alt_m(home_amsl_m)

    def _plugin(self, plugin: T | None, command: str) -> T:
        self._require_online(command)
        if plugin is None:  # pragma: no cover - ONLINE implies attached
            raise DroneOffline(self.drone_id, command, "not attached to a MAVSDK system")
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
        self._geofence = Geofence(system)
        self._feed = TelemetryFeed(system, telemetry, mission, self.hub, loop)
        self._telemetry, self._mission, self._action, self._param = telemetry, mission, action, param
        self._system = system

    def detach(self) -> None:
        """Unsubscribe and release the plugins (on a worker thread)."""
        if self._feed is not None:
            self._feed.close()
        for plugin in (self._action, self._param, self._mission, self._telemetry, self._geofence):
            if plugin is not None:
                plugin.destroy()
        self._feed = self._action = self._param = self._mission = self._telemetry = None
        self._geofence = None
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
