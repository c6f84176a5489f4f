"""``skyloop demo``: the simulated district and mission control's fleet side in one process.

    skyloop demo [--speed X] [--port P] [--scenario NAME] [--duration S] [--docks N]

Prints the 5-minute coverage of the reference district, then brings up :class:`mission.app_demo.DemoStack`:
the sim world (:mod:`mission.app_sim`: broker, 16 docks, 16 drones with payload agents, weather,
incidents, the city's alert sources), the grid platform STAND-IN (failing its first two deliveries on
purpose) and mission control (:mod:`mission.app`) with its HTTP API on ``--port``. Prints the endpoints,
the console URL and the admin token (``SKYLOOP_BOOTSTRAP_TOKEN`` or a generated one), then the active
missions and the fleet's availability every few seconds. ``--scenario`` plays a scripted day whose
alerts launch drones by themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import math
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from docks.broker_url import EMBEDDED, parse_broker_url
from fleet.manager import FleetManager
from fleet.registry import FleetConfigError
from mission.api.auth import BOOTSTRAP_ENV
from mission.cli.errors import CliError
from mission.cli.paths import DEFAULT_CONFIG
from mission.settings import Settings, SettingsError, load_settings
from sim.dock_fleet import DockFileError
from sim.scenarios import SCENARIOS

if TYPE_CHECKING:
    from mission.app_demo import DemoStack


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="run mission control with a simulated 16-dock fleet")
    p.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="settings TOML")
    p.add_argument("--speed", type=float, default=10.0, help="sim speed-up factor (default 10)")
    p.add_argument("--port", type=int, default=8000, help="console/API port (default 8000; 0: any free port)")
    p.add_argument(
        "--scenario",
        default=None,
        help=f"a scripted day: {', '.join(SCENARIOS)}",
    )
    p.add_argument("--duration", type=float, default=None, help="stop after this many sim seconds")
    p.add_argument("--docks", type=int, default=None, help="only the first N docks (default: all)")
    p.add_argument("--every", type=float, default=5.0, help="wall seconds between fleet tables (default 5)")
    p.add_argument("--no-coverage", action="store_true", help="skip the coverage report at start")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(handler=run)


def _check(args: argparse.Namespace) -> None:
    if not (math.isfinite(args.speed) and 0 < args.speed <= 100):
        raise CliError(f"--speed must be within (0, 100], got {args.speed}")
    if not 0 <= args.port <= 65535:
        raise CliError(f"--port must be within 0..65535 (0: any free port), got {args.port}")
    if args.scenario is not None and args.scenario not in SCENARIOS:
        raise CliError(f"unknown --scenario {args.scenario!r} (known: {', '.join(SCENARIOS)})")
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise CliError(f"--duration must be a positive number of sim seconds, got {args.duration}")
    if args.docks is not None and not 1 <= args.docks <= 200:
        raise CliError(f"--docks must be within 1..200, got {args.docks}")
    if not (math.isfinite(args.every) and args.every > 0):
        raise CliError(f"--every must be a positive number of seconds, got {args.every}")


def fleet_table(manager: FleetManager) -> str:
    """Docks with their availability (or the reasons not) and their drones with battery and link."""
    rows = [f"{'dock':<6} {'availability':<44} {'drone':<10} {'link':<7} {'air':<4} {'battery':>7}  mode"]
    for entry in manager.registry:
        a = manager.availability(entry.dock_id)
        d = manager.drone_state(entry.drone_id)
        battery = d.battery_pct if d is not None and d.battery_pct is not None else a.battery_pct
        summary = a.summary if len(a.summary) <= 44 else a.summary[:41] + "..."
        rows.append(
            f"{entry.dock_id:<6} {summary:<44} {entry.drone_id:<10} "
            f"{('ok' if d is not None and d.link_ok else 'down'):<7} "
            f"{('yes' if d is not None and d.in_air else 'no'):<4} "
            f"{(f'{battery:.0f} %' if battery is not None else '-'):>7}  "
            f"{d.flight_mode if d is not None else '-'}"
        )
    free = sum(manager.availability(e.dock_id).available for e in manager.registry)
    rows.append(f"{free} of {len(manager.registry)} docks available")
    return "\n".join(rows)


def run(args: argparse.Namespace) -> int:
    _check(args)
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s"
    )
    print("Skyloop demo: a simulated district with its docks, drones and the city's alarm platforms.\n")
    if not args.no_coverage:
        from mission.cli import main

        print("The 5-minute promise for the reference district with every dock available:")
        main(["coverage", "--config", str(args.config)])
        print()
    try:
        asyncio.run(_demo(args, settings))
    except KeyboardInterrupt:
        print("\nstopped.")
    except (DockFileError, FleetConfigError, ValueError) as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise CliError(f"cannot start the demo: port {args.port} is taken (--port N): {exc}") from None
        raise CliError(f"cannot start the demo: {exc}") from None
    return 0


async def _demo(args: argparse.Namespace, settings: Settings) -> None:
    from mission.app_demo import DemoOptions, DemoStack
    from mission.app_sim import SimOptions

    url = None if settings.mqtt.broker_url == EMBEDDED else parse_broker_url(settings.mqtt.broker_url)
    t0 = time.monotonic()
    token = os.environ.get(BOOTSTRAP_ENV) or None
    options = DemoOptions(
        sim=SimOptions(speed=args.speed, dock_count=args.docks, broker_url=url), port=args.port, token=token
    )
    async with DemoStack(settings, options) as demo:
        world = demo.world
        assert demo.control is not None and demo.control.fleet is not None
        manager = demo.control.fleet.manager
        print(f"sim world and mission control up in {time.monotonic() - t0:.1f} s at speed x{args.speed:g}:")
        for line in demo.endpoints():
            print("  " + line)
        print(f"\nconsole:      {demo.url}/  (the HTTP API: {demo.url}/docs)")
        origin = f"from {BOOTSTRAP_ENV}" if token else "generated; set SKYLOOP_BOOTSTRAP_TOKEN to choose it"
        print(f"admin token:  {demo.token}  ({origin})")
        print("alerts of the sim platforms: MQTT alerts/video_ai, alerts/smart_water (docs/alerts.md)")
        print(
            "leads go to the grid platform STAND-IN (not a real platform), which fails its first "
            f"{options.grid_fail_first} deliveries on purpose"
        )
        if args.scenario:
            print(f"scenario {args.scenario}: {SCENARIOS[args.scenario].description}")
            world.start_scenario(args.scenario, lambda line: print("  " + line, flush=True))
        print(flush=True)
        sent = 0
        end_s = None if args.duration is None else world.clock.now_s() + args.duration
        while end_s is None or world.clock.now_s() < end_s:
            wait_s = (
                args.every
                if end_s is None
                else min(args.every, world.clock.wall_s(end_s - world.clock.now_s()))
            )
            await asyncio.sleep(max(wait_s, 0.0))
            assert world.publisher is not None
            for alert in world.publisher.sent[sent:]:
                print(f"ALERT {alert.topic} {alert.type} at {alert.lon:.6f},{alert.lat:.6f} ({alert.crs})")
            sent = len(world.publisher.sent)
            print(f"--- sim time {world.clock.now_s():.0f} s ---")
            print(await missions_table(demo))
            print(fleet_table(manager), flush=True)


async def missions_table(demo: DemoStack) -> str:
    """The active missions (state, dock, drone) and what the grid STAND-IN has received."""
    control = demo.control
    assert control is not None and control.store is not None
    rows = []
    for m in await control.store.list_missions(active_only=True, limit=20):
        rows.append(
            f"MISSION {m.id[:8]} {m.kind.value:<8} {m.state.value:<12} dock {m.dock_id} drone {m.drone_id}"
        )
    g = demo.status()
    rows.append(
        f"grid STAND-IN: {g['leads']} lead(s) received, {g['failed_on_purpose']} delivery(ies) failed on "
        f"purpose, {g['callbacks_sent']} callback(s) sent"
    )
    return "\n".join(rows)
