"""Database URLs and engines: SQLite through aiosqlite, PostgreSQL through psycopg 3.

``sqlite:///path.db``, ``sqlite+aiosqlite:///...``, ``postgresql://...``, ``postgres://...`` and
``postgresql+psycopg://...`` are accepted; the async store and the (synchronous) migrations each
get the driver they need. SQLite runs with foreign keys on, WAL journalling, a busy timeout and
``BEGIN IMMEDIATE`` transactions, so concurrent writers queue instead of failing half-way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from mission.ports import StoreError

#: How long a SQLite writer waits for another one before giving up.
SQLITE_BUSY_TIMEOUT_S = 10.0

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}
_SYNC_DRIVERS = {"sqlite": "sqlite+pysqlite", "postgresql": "postgresql+psycopg"}


def parse_url(url: str | URL) -> URL:
    """A SQLAlchemy URL for a supported backend; :class:`StoreError` says what is wrong."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {url!s}: {exc}") from None
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise StoreError(
            f"unsupported database {backend!r} in {display_url(parsed)}: use sqlite or postgresql"
        )
    driver = parsed.get_driver_name()
    if backend == "sqlite" and driver not in ("pysqlite", "aiosqlite"):
        raise StoreError(f"unsupported SQLite driver {driver!r}: use sqlite:/// or sqlite+aiosqlite:///")
    if backend == "postgresql" and "+" in parsed.drivername and driver != "psycopg":
        raise StoreError(f"unsupported PostgreSQL driver {driver!r}: use postgresql+psycopg://")
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise StoreError(
            "an in-memory SQLite database is not a store: give a file, sqlite:///path/to/file.db"
        )
    return parsed


def async_url(url: str | URL) -> URL:
    parsed = parse_url(url)
    return parsed.set(drivername=_ASYNC_DRIVERS[parsed.get_backend_name()])


def sync_url(url: str | URL) -> URL:
    parsed = parse_url(url)
    return parsed.set(drivername=_SYNC_DRIVERS[parsed.get_backend_name()])


def display_url(url: str | URL) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def _sqlite_setup(engine: Engine) -> None:
    """Pragmas on every new connection; transactions opened with BEGIN IMMEDIATE (write lock first)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_store_engine(url: str | URL, echo: bool = False) -> AsyncEngine:
    """The async engine the store runs on."""
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(parsed, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        _sqlite_setup(engine.sync_engine)
        return engine
    return create_async_engine(parsed, echo=echo, pool_pre_ping=True)


def create_sync_engine(url: str | URL, echo: bool = False) -> Engine:
    """A synchronous engine for migrations and maintenance commands."""
    parsed = sync_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        _sqlite_setup(engine)
        return engine
    return create_engine(parsed, echo=echo, pool_pre_ping=True)
