"""``skyloop serve``: mission control alone, against real docks, drones and broker.

    skyloop serve --config PATH [--host H] [--port P] [-v]

Everything comes from the settings: the broker (``[mqtt] broker_url``; the embedded broker is for
the demo), the docks (``[district] docks``), the drones (``[drones]``: MAVLink URL, system id,
payload serial — mission/app_settings.py), the store (``[store]``), the grid platform
(``[leads.grid]``) and the API (``[api]``). Unfinished missions in the store are recovered at start.
The first admin token is ``SKYLOOP_BOOTSTRAP_TOKEN``. Ctrl-C stops it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from pathlib import Path

from docks.broker_url import EMBEDDED, parse_broker_url
from fleet.errors import DroneError
from fleet.registry import FleetConfigError
from mission.cli.errors import CliError
from mission.settings import Settings, SettingsError, load_settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="run mission control against real docks, drones and broker")
    p.add_argument("--config", type=Path, required=True, help="settings TOML")
    p.add_argument("--host", default=None, help="address of the HTTP API (default: [api] host)")
    p.add_argument("--port", type=int, default=None, help="port of the HTTP API (default: [api] port)")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(handler=run)


def check(settings: Settings) -> None:
    """What ``serve`` needs beyond valid settings; CliError says what is missing."""
    if settings.mqtt.broker_url == EMBEDDED:
        raise CliError("serve needs a real broker: set [mqtt] broker_url (the embedded one is for the demo)")
    if not settings.drones:
        raise CliError("serve needs the drones: add a [drones.<drone id>] section per drone (url, system_id)")


def run(args: argparse.Namespace) -> int:
    if args.port is not None and not 0 <= args.port <= 65535:
        raise CliError(f"--port must be within 0..65535, got {args.port}")
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    check(settings)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(name)s: %(message)s"
    )
    try:
        asyncio.run(_serve(settings, args.host, args.port))
    except KeyboardInterrupt:
        print("\nstopped.")
    except (FleetConfigError, DroneError, ValueError) as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot start mission control: {exc}") from None
    return 0


async def _serve(settings: Settings, host: str | None, port: int | None) -> None:
    from mission.app import MissionControl
    from mission.app_settings import drone_specs, payload_serials

    control = MissionControl(
        settings,
        parse_broker_url(settings.mqtt.broker_url),
        drone_specs(settings.drones),
        payload_serials=payload_serials(settings.drones),
        host=host,
        port=port,
    )
    task = asyncio.create_task(control.run())
    ready = asyncio.create_task(control.ready.wait())
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if control.ready.is_set():
        print(f"mission control: {control.url}/  (API {control.url}/api/v1, OpenAPI {control.url}/docs)")
        if not os.environ.get("SKYLOOP_BOOTSTRAP_TOKEN"):
            print("no SKYLOOP_BOOTSTRAP_TOKEN: use the tokens already in the store", flush=True)
        for r in control.recovered:
            print(f"recovered mission {r.mission_id} ({r.state}): {', '.join(r.posted) or r.note}")
    else:
        ready.cancel()
    try:
        await task
    finally:
        control.stop()
