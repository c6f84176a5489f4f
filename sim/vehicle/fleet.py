"""Many simulated vehicles in one asyncio process, each on its own UDP port, ticked by one loop.

``async with SimFleet(configs, clock) as fleet: ...`` starts them; :func:`spaced_configs` lays out N
vehicles on a grid around a home point with PX4 SITL's port convention (vehicle i pushes from
``local_port_base + i`` to ``port_base + i``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import TracebackType

from sim.clock import SimClock
from sim.vehicle.model import LocalFrame
from sim.vehicle.vehicle import Vehicle, VehicleConfig
from sim.weather import Weather

log = logging.getLogger(__name__)

#: Wall-clock period of the shared physics/stream loop.
TICK_WALL_S = 0.02


def spaced_configs(
    count: int,
    home_lon_deg: float,
    home_lat_deg: float,
    home_alt_amsl_m: float = 0.0,
    spacing_m: float = 5.0,
    port_base: int = 14540,
    local_port_base: int = 18570,
    sysid_base: int | None = 1,
    **common: object,
) -> list[VehicleConfig]:
    """``count`` vehicles on a square grid (``spacing_m`` apart, first at home, rows go north).
    Vehicle i gets sysid ``sysid_base + i`` (PX4 SITL: instance i has MAV_SYS_ID i + 1), so one
    MAVSDK object can hold them all; ``sysid_base=None`` gives every vehicle sysid 1 (tell them apart
    by port, one MAVSDK object each). ``local_port_base = 0`` binds ephemeral ports. ``common`` goes
    to every config."""
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    if not spacing_m >= 0:
        raise ValueError(f"spacing must be >= 0 m, got {spacing_m}")
    if sysid_base is not None and not 1 <= sysid_base <= 255 - count:
        raise ValueError(f"sysids {sysid_base}..{sysid_base + count - 1} do not fit in 1..254")
    if not 1 <= port_base <= 65535 - count:
        raise ValueError(f"port base {port_base} leaves no room for {count} ports")
    frame = LocalFrame(home_lat_deg, home_lon_deg, home_alt_amsl_m)
    side = math.ceil(math.sqrt(count))
    out = []
    for i in range(count):
        lat, lon = frame.to_global((i // side) * spacing_m, (i % side) * spacing_m)
        base = VehicleConfig(home_lat_deg=lat, home_lon_deg=lon, home_alt_amsl_m=home_alt_amsl_m)
        out.append(
            replace(
                base,
                sysid=1 if sysid_base is None else sysid_base + i,
                gcs_port=port_base + i,
                local_port=0 if local_port_base == 0 else local_port_base + i,
                **common,  # type: ignore[arg-type]
            )
        )
    return out


class SimFleet:
    """Runs vehicles; ``vehicles[i]`` for test hooks (cut the link, set the battery)."""

    def __init__(
        self,
        configs: Sequence[VehicleConfig],
        clock: SimClock | None = None,
        weather: Weather | None = None,
        tick_wall_s: float = TICK_WALL_S,
    ) -> None:
        self.clock = clock or SimClock()
        self.weather = weather or Weather()
        self.vehicles = [Vehicle(c, self.clock, self.weather) for c in configs]
        self.tick_wall_s = tick_wall_s
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0

    async def start(self) -> None:
        try:
            for v in self.vehicles:
                await v.start()
        except OSError:
            self.close_sockets()
            raise
        self._task = asyncio.create_task(self._run(), name="sim-fleet")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.close_sockets()

    def close_sockets(self) -> None:
        for v in self.vehicles:
            v.stop()

    async def __aenter__(self) -> SimFleet:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def urls(self) -> list[str]:
        return [v.connection_url for v in self.vehicles]

    def by_port(self) -> Mapping[int, Vehicle]:
        return {v.config.gcs_port: v for v in self.vehicles}

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_t = loop.time()
        while True:
            for v in self.vehicles:
                try:
                    v.tick()
                except Exception:  # one vehicle's bug must not stop the others
                    log.exception("vehicle %d (port %d): tick failed", v.config.sysid, v.config.gcs_port)
            self.ticks += 1
            next_t += self.tick_wall_s
            delay = next_t - loop.time()
            if delay < 0:  # overloaded: do not try to catch up in a burst
                next_t = loop.time()
                delay = 0.0
            await asyncio.sleep(delay)
