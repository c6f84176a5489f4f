"""``skyloop sim ...``: run parts of the simulated world standalone (vehicles, docks)."""

from __future__ import annotations

import argparse

from mission.cli import sim_docks_cmd, sim_vehicles_cmd


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sim", help="run simulated vehicles or docks standalone")
    group = p.add_subparsers(dest="sim_command", required=True, metavar="WHAT")
    sim_vehicles_cmd.register(group)
    sim_docks_cmd.register(group)
