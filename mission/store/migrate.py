"""Alembic migrations shipped inside the package, run programmatically (``skyloop db upgrade``).

The scripts live in ``mission/store/migrations``; no ``alembic.ini`` is needed, so an installed
package upgrades its database as well as a checkout does. Migrations run on a synchronous engine
(pysqlite or psycopg) in the calling thread.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL
from sqlalchemy.exc import SQLAlchemyError

from mission.ports import StoreError
from mission.store.engine import create_sync_engine, display_url, parse_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """An Alembic configuration pointing at the shipped scripts (no ini file)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migration scripts shipped"
    return head


def _ensure_sqlite_folder(url: URL) -> None:
    if url.get_backend_name() == "sqlite" and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def upgrade(url: str | URL, revision: str = "head") -> str | None:
    """Migrate the database at ``url`` to ``revision`` (creating the schema when empty); returns the
    revision it is at afterwards. :class:`StoreError` with a one-line reason on failure."""
    parsed = parse_url(url)
    try:
        _ensure_sqlite_folder(parsed)
    except OSError as exc:
        raise StoreError(f"{display_url(parsed)}: cannot create its folder: {exc}") from None
    engine = create_sync_engine(parsed)
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        raise StoreError(f"{display_url(parsed)}: migration failed: {reason}") from None
    finally:
        engine.dispose()


def current_revision(url: str | URL) -> str | None:
    """The revision the database at ``url`` is at (None: never migrated)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return None  # do not create an empty file just to look
    engine = create_sync_engine(parsed)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        raise StoreError(f"{display_url(parsed)}: {reason}") from None
    finally:
        engine.dispose()
