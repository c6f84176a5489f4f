"""``skyloop sim vehicles``: run simulated PX4 quadrotors standalone until Ctrl-C.

    skyloop sim vehicles --count 4 --home 8.54,47.37 --spacing-m 10 --port-base 14540 --speed 1

Vehicle i pushes MAVLink from 127.0.0.1:(local port base + i) to 127.0.0.1:(port base + i), like PX4
SITL; connect MAVSDK with the printed ``udpin://`` URL (QGroundControl: a UDP link on that port).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math

from mission.cli.errors import CliError
from sim.clock import SimClock
from sim.vehicle import SimFleet, VehicleConfig, spaced_configs
from sim.vehicle.params import ParamError, ParamTable
from sim.weather import SteadyWind, Weather

MAX_VEHICLES = 254


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("vehicles", help="run simulated PX4 quadrotors (MAVLink over UDP)")
    p.add_argument("--count", type=int, default=1, help="number of vehicles (default 1)")
    p.add_argument("--home", required=True, help="LON,LAT[,ALT_AMSL_M] of the first vehicle (WGS84)")
    p.add_argument("--spacing-m", type=float, default=5.0, help="grid spacing between homes, m (default 5)")
    p.add_argument("--port-base", type=int, default=14540, help="GCS UDP port of vehicle 0 (default 14540)")
    p.add_argument(
        "--local-port-base",
        type=int,
        default=18570,
        help="vehicle 0's own UDP port; 0 = any free (default 18570)",
    )
    p.add_argument("--speed", type=float, default=1.0, help="sim speed-up factor (default 1)")
    p.add_argument(
        "--sysid-base", type=int, default=1, help="vehicle i gets sysid BASE+i (default 1, as PX4 SITL)"
    )
    p.add_argument(
        "--same-sysid", action="store_true", help="give every vehicle sysid 1 (one MAVSDK per vehicle)"
    )
    p.add_argument("--heartbeat-hz", type=float, default=1.0, help="heartbeat rate in sim time (default 1)")
    p.add_argument("--health-delay-s", type=float, default=2.0, help="sim s until sensors are healthy")
    p.add_argument("--wind", type=float, default=0.0, help="steady wind speed, m/s (default 0)")
    p.add_argument("--wind-from", type=float, default=0.0, help="wind direction (from), degrees")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="set a PX4 parameter")
    p.add_argument("--duration", type=float, default=None, help="stop after this many sim seconds")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(handler=run)


def parse_home(text: str) -> tuple[float, float, float]:
    """``LON,LAT[,ALT]`` -> (lon, lat, alt); CliError on anything else."""
    parts = [x.strip() for x in text.split(",")]
    if len(parts) not in (2, 3):
        raise CliError(f"--home must be LON,LAT or LON,LAT,ALT, got {text!r}")
    try:
        values = [float(x) for x in parts]
    except ValueError:
        raise CliError(f"--home must be numbers LON,LAT[,ALT], got {text!r}") from None
    lon, lat = values[0], values[1]
    alt = values[2] if len(values) == 3 else 0.0
    if not all(math.isfinite(v) for v in values) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise CliError(f"--home {text!r} is not a WGS84 longitude,latitude")
    if not -500 <= alt <= 9000:
        raise CliError(f"--home altitude must be within [-500, 9000] m AMSL, got {alt}")
    return lon, lat, alt


def parse_params(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    table = ParamTable()
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = table.set(name.strip(), float(value))
        except ParamError as exc:
            raise CliError(f"--param {item!r}: {exc}") from None
        except ValueError:
            raise CliError(f"--param must be NAME=NUMBER, got {item!r}") from None
    return out


def _check(args: argparse.Namespace) -> None:
    def positive(name: str, value: float | None) -> None:
        if value is not None and not (math.isfinite(value) and value > 0):
            raise CliError(f"{name} must be a positive number, got {value}")

    if not 1 <= args.count <= MAX_VEHICLES:
        raise CliError(f"--count must be within 1..{MAX_VEHICLES}, got {args.count}")
    if not args.same_sysid and not 1 <= args.sysid_base <= 255 - args.count:
        raise CliError(
            f"--sysid-base {args.sysid_base} + --count {args.count} must stay within sysids 1..254"
        )
    positive("--speed", args.speed)
    positive("--heartbeat-hz", args.heartbeat_hz)
    positive("--duration", args.duration)
    if not (math.isfinite(args.spacing_m) and 0 <= args.spacing_m <= 100_000):
        raise CliError(f"--spacing-m must be within [0, 100000], got {args.spacing_m}")
    if not (math.isfinite(args.health_delay_s) and args.health_delay_s >= 0):
        raise CliError(f"--health-delay-s must be >= 0, got {args.health_delay_s}")
    if not 1024 <= args.port_base <= 65535 - args.count:
        raise CliError(f"--port-base must leave room for {args.count} ports within 1024..65535")
    if args.local_port_base != 0 and not 1024 <= args.local_port_base <= 65535 - args.count:
        raise CliError("--local-port-base must be 0 or leave room for the vehicles within 1024..65535")
    lo, hi = args.port_base, args.port_base + args.count
    if args.local_port_base != 0 and max(lo, args.local_port_base) < min(
        hi, args.local_port_base + args.count
    ):
        raise CliError("--port-base and --local-port-base ranges overlap")
    if not (math.isfinite(args.wind) and 0 <= args.wind <= 60):
        raise CliError(f"--wind must be within [0, 60] m/s, got {args.wind}")
    if not math.isfinite(args.wind_from):
        raise CliError("--wind-from must be a number of degrees")


def run(args: argparse.Namespace) -> int:
    _check(args)
    lon, lat, alt = parse_home(args.home)
    params = parse_params(args.param)
    configs = spaced_configs(
        args.count,
        lon,
        lat,
        alt,
        spacing_m=args.spacing_m,
        port_base=args.port_base,
        local_port_base=args.local_port_base,
        sysid_base=None if args.same_sysid else args.sysid_base,
        heartbeat_hz=args.heartbeat_hz,
        health_delay_s=args.health_delay_s,
        params=params,
    )
    weather = Weather(SteadyWind(args.wind, args.wind_from))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        asyncio.run(_serve(configs, weather, args.speed, args.duration))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        raise CliError(f"cannot open the vehicles' UDP ports: {exc}") from None
    return 0


async def _serve(
    configs: list[VehicleConfig], weather: Weather, speed: float, duration_s: float | None
) -> None:
    clock = SimClock(speed)
    async with SimFleet(configs, clock, weather) as fleet:
        print(f"{len(configs)} sim vehicle(s) at speed x{speed:g}; MAVSDK connection URLs:", flush=True)
        for v in fleet.vehicles:
            c = v.config
            print(
                f"  sysid {c.sysid}  home {c.home_lon_deg:.7f},{c.home_lat_deg:.7f}  "
                f"udp 127.0.0.1:{v.endpoint.local_port} -> {c.gcs_port}  {v.connection_url}",
                flush=True,
            )
        if duration_s is None:
            await asyncio.Event().wait()
        else:
            await clock.sleep(duration_s)
            sent = sum(v.endpoint.sent_count for v in fleet.vehicles)
            print(f"stopped after {duration_s:g} sim s; {sent} MAVLink messages sent", flush=True)
