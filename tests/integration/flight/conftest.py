"""A flight world for the integration tests: N vehicles (the sim vehicle, or real PX4 SITL SIH when
``SKYLOOP_PX4_BIN`` is set) behind the real MAVSDK fleet link. Nothing is faked.

Every test takes the ``backend`` fixture: "sim" always runs; "px4" is marked ``px4`` and skips with a
reason unless a PX4 binary is configured. Times given to a world are *sim* seconds; it converts them
to wall-clock seconds with its speed-up.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from fleet.drone_model import DroneSpec
from fleet.flight_settings import FlightSettings
from fleet.mavsdk_fleet import MavsdkFleet
from fleet.mavsdk_link import MavsdkDroneLink
from sim.clock import SimClock
from sim.px4_sitl import MAX_INSTANCES, Px4Home, Px4Sitl, plan_instances, px4_binary_from_env
from sim.vehicle.fleet import SimFleet, spaced_configs
from sim.vehicle.vehicle import Vehicle
from sim.weather import Weather

#: Reference home: Zhengdong New District, Zhengzhou (about 95 m AMSL).
HOME_LAT_DEG, HOME_LON_DEG, HOME_AMSL_M = 34.7600, 113.7300, 95.0
PX4_SPEED = float(os.environ.get("SKYLOOP_PX4_SPEED", "1"))


@pytest.fixture(params=["sim", pytest.param("px4", marks=pytest.mark.px4)])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "px4" and px4_binary_from_env() is None:
        pytest.skip("SKYLOOP_PX4_BIN is not set: no PX4 SITL binary to run these scenarios on real PX4")
    return name


def free_udp_ports(count: int) -> list[int]:
    """Ports nobody listens on right now (other test runs use the PX4 defaults 14540+)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@dataclass
class FlightWorld:
    backend: str
    fleet: MavsdkFleet
    links: list[MavsdkDroneLink]
    speed: float
    sim: SimFleet | None = None
    weather: Weather = field(default_factory=Weather)

    def wall_s(self, sim_s: float) -> float:
        """Wall-clock seconds that ``sim_s`` seconds of vehicle time take."""
        return sim_s / self.speed

    def vehicle(self, i: int) -> Vehicle:
        """The sim vehicle behind link i (sim backend only: test hooks like cutting the link)."""
        if self.sim is None:
            pytest.skip(f"this scenario needs a sim test hook that the {self.backend} backend lacks")
        return self.sim.vehicles[i]


@asynccontextmanager
async def flight_world(
    backend: str,
    count: int = 1,
    *,
    speed: float = 20.0,
    settings: FlightSettings | None = None,
    spacing_m: float = 8.0,
    weather: Weather | None = None,
    connect: bool = True,
    **vehicle: Any,
) -> AsyncIterator[FlightWorld]:
    """Start ``count`` vehicles and a MAVSDK fleet link connected to all of them."""
    settings = settings or FlightSettings(connect_timeout_s=20.0)
    weather = weather or Weather()
    async with AsyncExitStack() as stack:
        if backend == "sim":
            ports = free_udp_ports(count)
            configs = [
                replace(c, gcs_port=port)
                for c, port in zip(
                    spaced_configs(
                        count,
                        HOME_LON_DEG,
                        HOME_LAT_DEG,
                        HOME_AMSL_M,
                        spacing_m=spacing_m,
                        local_port_base=0,
                        sysid_base=1,
                        **vehicle,
                    ),
                    ports,
                    strict=True,
                )
            ]
            sim = SimFleet(configs, SimClock(speed), weather)
            await stack.enter_async_context(sim)
            specs = [DroneSpec(f"drone-{i + 1}", c.connection_url, c.sysid) for i, c in enumerate(configs)]
            world_speed = speed
        else:
            px4 = px4_binary_from_env()
            assert px4 is not None
            if count > MAX_INSTANCES:
                pytest.skip(f"PX4 SITL runs at most {MAX_INSTANCES} instances on its default ports")
            sim = None
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="skyloop-px4-")))
            homes = [Px4Home(HOME_LAT_DEG + i * 1e-4, HOME_LON_DEG, HOME_AMSL_M) for i in range(count)]
            plans = plan_instances(
                px4,
                homes,
                root,
                speed_factor=PX4_SPEED,
                home_format=os.environ.get("SKYLOOP_PX4_HOME_FORMAT", "deg"),  # type: ignore[arg-type]
            )
            stack.enter_context(Px4Sitl(plans))
            specs = [DroneSpec(f"drone-{p.index + 1}", p.mavlink_url, p.system_id) for p in plans]
            world_speed = PX4_SPEED
        fleet = MavsdkFleet(settings)
        await stack.enter_async_context(fleet)
        links = [await fleet.add_drone(spec) for spec in specs]
        if connect:
            for link in links:
                await link.connect()
        yield FlightWorld(backend, fleet, links, world_speed, sim, weather)
