"""Benchmark of the MAVSDK drone link against the sim vehicle: ``python -m bench.flight``.

Prints one table: connect time for 1 and N vehicles, command round trips (COMMAND_LONG ack and the
parameter protocol) p50/p99, telemetry messages per second handled by the link, the sim's achieved
real-time factor with N vehicles, and the process's CPU and memory (sim and link share the process,
as in the demo).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import socket
import statistics
import time
from dataclasses import replace

from fleet.drone_model import DroneSpec
from fleet.flight_settings import FlightSettings
from fleet.flight_waits import wait_until
from fleet.mavsdk_fleet import MavsdkFleet
from fleet.mavsdk_link import MavsdkDroneLink
from sim.clock import SimClock
from sim.vehicle.fleet import SimFleet, spaced_configs

HOME_LAT_DEG, HOME_LON_DEG, HOME_AMSL_M = 34.76, 113.73, 95.0


def _free_ports(count: int) -> list[int]:
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(count)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _world(count: int, speed: float) -> tuple[SimFleet, MavsdkFleet, list[MavsdkDroneLink], float]:
    """Start ``count`` vehicles and a fleet link; return them and the wall time until all are online."""
    configs = [
        replace(c, gcs_port=port)
        for c, port in zip(
            spaced_configs(count, HOME_LON_DEG, HOME_LAT_DEG, HOME_AMSL_M, local_port_base=0, sysid_base=1),
            _free_ports(count),
            strict=True,
        )
    ]
    sim = SimFleet(configs, SimClock(speed))
    await sim.start()
    fleet = MavsdkFleet(FlightSettings(connect_timeout_s=30.0, max_drones=max(count, 16)))
    await fleet.start()
    t0 = time.perf_counter()
    links = [await fleet.add_drone(DroneSpec(f"d{c.sysid}", c.connection_url, c.sysid)) for c in configs]
    await asyncio.gather(*(link.connect() for link in links))
    return sim, fleet, links, time.perf_counter() - t0


async def _close(sim: SimFleet, fleet: MavsdkFleet) -> None:
    await fleet.close()
    await sim.stop()


async def run(count: int, speed: float, rounds: int, window_s: float) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    sim, fleet, _links, one_s = await _world(1, speed)
    await _close(sim, fleet)
    rows.append(("connect, 1 vehicle", f"{one_s * 1000:.0f}", "ms (add_drone -> first heartbeat)"))

    sim, fleet, links, all_s = await _world(count, speed)
    try:
        rows.append((f"connect, {count} vehicles", f"{all_s * 1000:.0f}", "ms (until all online)"))
        await asyncio.gather(
            *(wait_until(link, lambda t: t.home is not None, 30.0, "home") for link in links)
        )

        async def timed(make: object, n: int) -> list[float]:
            out = []
            for _ in range(n):
                t0 = time.perf_counter()
                await make()  # type: ignore[operator]
                out.append((time.perf_counter() - t0) * 1000)
            return out

        holds = await asyncio.gather(*(timed(link.hold, rounds) for link in links))
        params = await asyncio.gather(
            *(timed(lambda link=link: link.get_param("MPC_XY_CRUISE"), rounds) for link in links)
        )
        for label, samples in (("hold (COMMAND_LONG ack)", holds), ("get_param", params)):
            flat = [x for per in samples for x in per]
            rows.append(
                (
                    f"round trip {label}, {count} concurrent",
                    f"p50 {statistics.median(flat):.1f} / p99 {_percentile(flat, 99):.1f}",
                    f"ms over {len(flat)} calls",
                )
            )

        before = sum(link.telemetry().messages for link in links)
        ticks0, cpu0, wall0 = sim.ticks, _cpu_s(), time.perf_counter()
        await asyncio.sleep(window_s)
        wall = time.perf_counter() - wall0
        cpu = _cpu_s() - cpu0
        handled = sum(link.telemetry().messages for link in links) - before
        rows.append(("telemetry handled", f"{handled / wall:.0f}", f"messages/s over {count} vehicles"))
        nominal_ticks = wall / sim.tick_wall_s
        achieved = (sim.ticks - ticks0) / nominal_ticks
        rows.append(
            (
                f"sim real-time factor, {count} vehicles",
                f"{speed * min(1.0, achieved):.1f}x",
                f"of {speed:g}x asked; {achieved * 100:.0f} % of {1 / sim.tick_wall_s:.0f} ticks/s",
            )
        )
        rows.append(("CPU (sim + link, one process)", f"{cpu / wall * 100:.0f}", "% of one core"))
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows.append(("memory (peak RSS)", f"{rss_mib:.0f}", "MiB"))
    finally:
        await _close(sim, fleet)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=16, help="vehicles in the fleet run")
    parser.add_argument("--speed", type=float, default=10.0, help="sim speed-up")
    parser.add_argument("--rounds", type=int, default=20, help="commands per vehicle per kind")
    parser.add_argument("--window-s", type=float, default=5.0, help="telemetry/CPU measuring window")
    args = parser.parse_args()
    rows = asyncio.run(run(args.count, args.speed, args.rounds, args.window_s))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    print(f"{'metric':<{width[0]}}  {'value':>{width[1]}}  unit")
    print(f"{'-' * width[0]}  {'-' * width[1]}  {'-' * width[2]}")
    for name, value, unit in rows:
        print(f"{name:<{width[0]}}  {value:>{width[1]}}  {unit}")


if __name__ == "__main__":
    main()
