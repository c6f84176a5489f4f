"""``skyloop db``: the mission store's schema.

    skyloop db upgrade [--config PATH] [--url URL]   create or migrate the schema to the newest revision
    skyloop db current [--config PATH] [--url URL]   print the revision the database is at

The database is ``--url``, else ``[store] url`` of the settings (``SKYLOOP_STORE__URL``), else the
SQLite file ``var/skyloop.db`` next to the config file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mission.cli.errors import CliError
from mission.ports import StoreError
from mission.settings import SettingsError, load_settings
from mission.store.engine import display_url
from mission.store.migrate import current_revision, head_revision, upgrade
from mission.store_settings import resolve_store_url


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``db`` command group."""
    db = sub.add_parser("db", help="the mission store's schema", description="The mission store's schema.")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    for name, handler, text in (
        ("upgrade", run_upgrade, "create the schema or migrate it to the newest revision"),
        ("current", run_current, "print the schema revision the database is at"),
    ):
        p = db_sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        p.add_argument(
            "--config", type=Path, default=None, help="settings TOML (default: $SKYLOOP_CONFIG or config/)"
        )
        p.add_argument("--url", default=None, help="database URL (overrides [store] url)")
        p.set_defaults(handler=handler)


def _url(args: argparse.Namespace) -> str:
    if args.url is not None:
        if not args.url.strip():
            raise CliError("--url is empty")
        return str(args.url)
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    return resolve_store_url(settings.store, settings.config_dir)


def run_upgrade(args: argparse.Namespace) -> int:
    url = _url(args)
    try:
        before = current_revision(url)
        after = upgrade(url)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    if before == after:
        print(f"{display_url(url)}: already at revision {after} (newest)")
    else:
        print(f"{display_url(url)}: upgraded from {before or 'empty'} to revision {after} (newest)")
    return 0


def run_current(args: argparse.Namespace) -> int:
    url = _url(args)
    try:
        revision = current_revision(url)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    head = head_revision()
    if revision is None:
        print(f"{display_url(url)}: no schema (run `skyloop db upgrade`); newest is {head}")
    elif revision == head:
        print(f"{display_url(url)}: revision {revision} (newest)")
    else:
        print(f"{display_url(url)}: revision {revision}; newest is {head} (run `skyloop db upgrade`)")
    return 0
