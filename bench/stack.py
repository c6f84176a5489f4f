"""Benchmark of the demo stack: ``python -m bench.stack [--docks 16] [--speeds 1,10] [--window-s 10]``.

For each speed-up it brings up the whole stack of ``skyloop demo`` in this process (the sim world of
:mod:`mission.app_sim` on the embedded broker and the fleet side of :mod:`mission.app_fleet`) and
prints one row:

* **start-up**: wall seconds from nothing to the components up (broker, docks, vehicles, payload
  agents and alert sources connected; fleet side subscribed, MAVSDK links added), to every dock
  available in the fleet manager, and to every drone's MAVSDK link healthy;
* **CPU**: process CPU time (every thread: MAVSDK's, the payload agents', asyncio's) per wall second
  over ``--window-s`` of steady running after start-up, in % of one core, and the messages the fleet
  manager took in per wall second over that window.

Drones start fully charged so that every dock can become available.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from dataclasses import dataclass

from fleet.flight_waits import wait_until
from mission.app_fleet import FleetSide, build_registry
from mission.app_sim import SimOptions, SimWorld
from mission.settings import load_settings


@dataclass
class Row:
    docks: int
    speed: float
    up_s: float
    available_s: float
    healthy_s: float
    cpu_pct: float
    osd_per_s: float
    telemetry_per_s: float


async def measure(docks: int, speed: float, window_s: float) -> Row:
    settings = load_settings()
    t0 = time.monotonic()
    async with SimWorld(settings, SimOptions(speed=speed, dock_count=docks, battery_pct=100.0)) as world:
        assert world.url is not None
        registry = build_registry(settings, only=world.dock_ids)
        async with FleetSide(
            settings, world.url, world.drone_specs(), registry=registry, clock=world.clock
        ) as fleet:
            up_s = time.monotonic() - t0
            manager = fleet.manager
            async with manager.subscribe() as sub, asyncio.timeout(120.0):
                while not all(manager.availability(d).available for d in registry.dock_ids):
                    await anext(sub)
            available_s = time.monotonic() - t0
            links = [fleet.drones.drone(spec.drone_id) for spec in world.drone_specs()]
            await asyncio.gather(
                *(
                    wait_until(link, lambda t: t.health is not None and t.health.all_ok, 120.0, "healthy")
                    for link in links
                )
            )
            healthy_s = time.monotonic() - t0
            osd0, tel0 = manager.osd_ingested, manager.telemetry_ingested
            cpu0, wall0 = time.process_time(), time.monotonic()
            await asyncio.sleep(window_s)
            cpu_s, wall_s = time.process_time() - cpu0, time.monotonic() - wall0
            return Row(
                docks,
                speed,
                up_s,
                available_s,
                healthy_s,
                100.0 * cpu_s / wall_s,
                (manager.osd_ingested - osd0) / wall_s,
                (manager.telemetry_ingested - tel0) / wall_s,
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stack", description=__doc__.split("\n")[0])
    parser.add_argument("--docks", type=int, default=16)
    parser.add_argument("--speeds", default="1,10", help="comma-separated speed-ups (default 1,10)")
    parser.add_argument("--window-s", type=float, default=10.0, help="wall seconds of steady running per row")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    speeds = [float(x) for x in args.speeds.split(",") if x.strip()]
    print(f"demo stack, {args.docks} docks + drones + payload agents, embedded broker, one process")
    print(
        f"{'speed':>5} | {'up s':>5} | {'docks available s':>17} | {'drones healthy s':>16} | "
        f"{'CPU % of a core':>15} | {'dock OSD/s':>10} | {'drone telemetry/s':>18}"
    )
    for speed in speeds:
        r = asyncio.run(measure(args.docks, speed, args.window_s))
        print(
            f"{r.speed:>5g} | {r.up_s:>5.2f} | {r.available_s:>17.2f} | {r.healthy_s:>16.2f} | "
            f"{r.cpu_pct:>15.0f} | {r.osd_per_s:>10.1f} | {r.telemetry_per_s:>18.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
