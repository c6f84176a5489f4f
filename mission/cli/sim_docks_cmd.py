"""``skyloop sim docks``: run the reference district's simulated docks standalone on an MQTT broker.

    skyloop sim docks --config config/skyloop.toml --broker mqtt://127.0.0.1:1883 --speed 10

Docks come from the docks file named in the settings (``[district] docks``) or ``--docks``; dock types
from ``[dock_types.*]``. ``--broker embedded`` (the default when the settings say so) starts an
in-process broker and prints its URL. With one MQTT user per device (``docs/mosquitto``) write the
credentials as ``mqtt://{sn}:{sn}-password@host``. Runs until interrupted or for ``--duration`` sim
seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
from pathlib import Path

from docks.broker import EmbeddedBroker
from docks.broker_url import EMBEDDED, BrokerUrl, parse_broker_url
from docks.settings import MqttSettings
from mission.cli.errors import CliError
from mission.settings import SettingsError, load_settings
from sim.clock import SimClock
from sim.dock import SimDockConfig
from sim.dock_fleet import DockFileError, SimDockFleet, SimDockType, dock_configs_from_geojson
from sim.weather import GustyWind, Rainfall, Weather


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("docks", help="run the simulated docks on an MQTT broker")
    p.add_argument("--config", type=Path, default=None, help="skyloop.toml (default: the shipped one)")
    p.add_argument(
        "--broker",
        default=None,
        help="mqtt[s]://user:pass@host:port ('{sn}' in user or password becomes each dock's serial), "
        "or 'embedded' (default: [mqtt] broker_url of the config)",
    )
    p.add_argument("--speed", type=float, default=1.0, help="sim speed-up factor (default 1)")
    p.add_argument("--docks", type=Path, default=None, help="docks GeoJSON (default: from the config)")
    p.add_argument("--duration", type=float, default=None, help="stop after this many sim seconds")
    p.add_argument("--wind", type=float, default=3.0, help="mean wind speed, m/s (default 3)")
    p.add_argument("--wind-from", type=float, default=45.0, help="wind direction, degrees (default 45)")
    p.add_argument("--rain", type=int, default=0, choices=range(4), help="rainfall level 0-3")
    p.add_argument("--cover-s", type=float, default=15.0, help="cover open/close time, s (default 15)")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(handler=run)


def _positive(name: str, value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise CliError(f"{name} must be a positive number, got {value}")


def run(args: argparse.Namespace) -> int:
    _positive("--speed", args.speed)
    _positive("--duration", args.duration)
    _positive("--cover-s", args.cover_s)
    if not (math.isfinite(args.wind) and 0 <= args.wind <= 60):
        raise CliError(f"--wind must be within [0, 60] m/s, got {args.wind}")
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    mqtt: MqttSettings = settings.mqtt
    broker = args.broker or mqtt.broker_url
    url: BrokerUrl | None = None
    if broker != EMBEDDED:
        try:
            url = parse_broker_url(broker)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    types = {
        name: SimDockType(t.prep_s, t.launch_wind_limit_mps, t.charge_20_90_s)
        for name, t in settings.dock_types.items()
    }
    docks_path = args.docks or settings.path(settings.district.docks)
    try:
        configs = dock_configs_from_geojson(
            docks_path, types, cover_s=args.cover_s, osd_interval_s=mqtt.osd_interval_s
        )
    except DockFileError as exc:
        raise CliError(str(exc)) from None
    weather = Weather(GustyWind(args.wind, args.wind_from), Rainfall(args.rain))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        asyncio.run(_serve(configs, url, mqtt, weather, args.speed, args.duration))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        raise CliError(f"broker: {exc}") from None
    return 0


async def _serve(
    configs: list[SimDockConfig],
    url: BrokerUrl | None,
    mqtt: MqttSettings,
    weather: Weather,
    speed: float,
    duration_s: float | None,
) -> None:
    embedded = EmbeddedBroker() if url is None else None
    if embedded is not None:
        url = await embedded.start()
    assert url is not None
    clock = SimClock(speed)
    try:
        async with SimDockFleet(configs, url, clock, weather, mqtt) as fleet:
            try:
                await fleet.wait_connected(10.0)
            except ConnectionError as exc:
                raise OSError(f"cannot reach {url}: {exc}") from None
            print(f"{len(configs)} sim docks on {url} at speed x{speed:g}", flush=True)
            if duration_s is None:
                await asyncio.Event().wait()
            else:
                await clock.sleep(duration_s)
                sent = sum(d.osd_sent for d in fleet.docks.values())
                print(f"stopped after {duration_s:g} sim s; {sent} OSD messages sent", flush=True)
    finally:
        if embedded is not None:
            await embedded.stop()
