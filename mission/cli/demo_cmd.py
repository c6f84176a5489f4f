"""``skyloop demo``: mission control with a simulated 16-dock fleet and the console.

Until the mission-control issue lands this prints what the demo will run and shows the live
coverage report of the reference district, so the command already does something useful.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mission.cli.paths import DEFAULT_CONFIG


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="run mission control with a simulated 16-dock fleet")
    p.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="settings TOML")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print(
        "Skyloop demo (work in progress).\n"
        "Coming: mission control with 16 simulated docks and drones (MAVLink sim vehicles flown\n"
        "through MAVSDK, docks over MQTT), alerts that launch drones, and the web console.\n"
        "Available now: the 5-minute coverage of the reference district:\n"
    )
    from mission.cli import main

    try:
        return main(["coverage", "--config", str(args.config)])
    except SystemExit as exc:  # the coverage command is not registered yet
        return int(exc.code or 0)
