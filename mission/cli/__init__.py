"""The ``skyloop`` command line.

Each command group lives in its own module and registers its sub-commands here. A command that
meets bad input raises :class:`CliError`; ``main`` prints its message as one line on stderr and
exits with status 2 (never a traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from mission.cli.errors import CliError

#: Modules that contribute sub-commands; each defines ``register(subparsers)``.
COMMAND_MODULES = (
    "mission.cli.demo_cmd",
    "mission.cli.serve_cmd",
    "mission.cli.coverage_cmd",
    "mission.cli.site_cmd",
    "mission.cli.geo_convert_cmd",
    "mission.cli.sim_cmds",
    "mission.cli.payload_cmds",
    "mission.cli.db_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="skyloop", description="Skyloop drone-fleet mission control")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:  # Ctrl-C while the command modules are still importing ends as quietly as later on
        parser = build_parser()
        args = parser.parse_args(argv)
        result = args.handler(args)
    except CliError as exc:
        print(f"skyloop: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: not an error of ours
        sys.stderr.close()
        return 0
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main())
