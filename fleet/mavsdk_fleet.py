"""The fleet side of the MAVSDK 4.x link: ONE ``Mavsdk`` object for all drones, one connection per
drone, systems attached to their drone by MAVLink system id, a watchdog, and the thread pool sized for
the fleet (never the loop's default executor, which has only ``cpu_count + 4`` threads: 16 timed-out
commands would starve every other call). :class:`MavsdkFleet` implements ``FleetLink``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import mavsdk
from mavsdk.cmavsdk_loader import _cmavsdk_lib
from mavsdk.component_type import ComponentType
from mavsdk.mavsdk import Configuration, Mavsdk

from fleet.drone_model import DroneSpec
from fleet.errors import ConnectError, InvalidCommand, UnknownDrone
from fleet.flight_settings import FlightSettings
from fleet.mavsdk_link import MavsdkDroneLink

if TYPE_CHECKING:
    from fleet.ports import DroneLink, FleetLink

log = logging.getLogger(__name__)
_mavsdk_log = logging.getLogger("mavsdk")
_RESERVED_SYSIDS = {0, 245, 255}


#: MAVSDK's lines about its callback thread falling behind (at ERROR since MAVSDK 4, each with a
#: "See: <url>" line): the queue overflowed, or one callback took over a second. Our callbacks only
#: queue the sample for the loop (fleet/mavsdk_telemetry.py); they fall behind when they wait for
#: the GIL of a busy process, and each subscription keeps only the newest sample, so a dropped one
#: is replaced by the next (docs/flight.md, *Known limits*): DEBUG lines, not errors an operator must
#: act on.
_EXPECTED_NOISE = (
    "Dropping subscription callbacks",
    "Callback took more than",
    "Callback called from",
    # a connection's socket closed under its receive thread: only when MAVSDK removes the connection
    # (the fleet closing), never while it is in use
    "Error from async_receive_from: Bad file descriptor",
)


def mavsdk_log_level(level: int, message: str) -> int:
    """The Python logging level of a MAVSDK log line (MAVSDK levels: 0 debug … 3 error).

    >>> mavsdk_log_level(3, "Dropping subscription callbacks (3 so far)") == logging.DEBUG
    True
    >>> mavsdk_log_level(2, "Vehicle type changed") == logging.WARNING
    True
    """
    if message.startswith(_EXPECTED_NOISE):
        return logging.DEBUG
    levels = {0: logging.DEBUG, 1: logging.INFO, 2: logging.WARNING, 3: logging.ERROR}
    return levels.get(level, logging.INFO)


def _route_mavsdk_logs() -> None:
    """Send MAVSDK's own log lines to Python logging instead of stdout."""

    def on_log(level: Any, message: str, _file: str | None, _line: int) -> bool:
        _mavsdk_log.log(mavsdk_log_level(int(level), message), "%s", message)
        return True

    mavsdk.log_subscribe(on_log)


def set_message_timeout(mav: Mavsdk, timeout_s: float) -> None:
    """MAVSDK's per-answer timeout (``Mavsdk::set_timeout_s`` in C++; the Python binding does not
    wrap it, so through its C library)."""
    setter = _cmavsdk_lib.mavsdk_set_timeout_s
    setter.argtypes = [ctypes.c_void_p, ctypes.c_double]
    setter.restype = None
    setter(mav._handle, timeout_s)


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
        self._closed = False

    async def __aenter__(self) -> MavsdkFleet:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        if self._closed:
            raise RuntimeError("this fleet link is closed; create a new MavsdkFleet")
        if self._mavsdk is not None:
            return
        loop = asyncio.get_running_loop()
        _route_mavsdk_logs()
        config = Configuration.create_with_component_type(ComponentType.GROUND_STATION)
        mav = await loop.run_in_executor(self._pool, Mavsdk, config)
        set_message_timeout(mav, self.settings.message_timeout_s)
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
        if self._closed:
            return
        self._closed = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for link in list(self._links.values()):
            await self._release(link)
        self._links.clear()
        # Let blocking calls still in flight end (MAVSDK's own timeouts bound them) before the
        # Mavsdk object they use is destroyed; queued ones are dropped.
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)
        if self._mavsdk is not None:
            mav, self._mavsdk = self._mavsdk, None
            await asyncio.to_thread(mav.destroy)

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
