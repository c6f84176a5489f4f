"""Every store test runs on SQLite (a temp file) and on PostgreSQL (``SKYLOOP_TEST_POSTGRES_URL``).

PostgreSQL runs are isolated in a schema of their own (created for the session, migrated once,
emptied before each test, dropped at the end), so parallel runs and other suites do not meet.
SQLite tests each get a copy of a database migrated once per session.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import text

from mission.store import SqlMissionStore, upgrade
from mission.store.engine import create_sync_engine
from mission.store.tables import metadata

BACKENDS = ("sqlite", "postgresql")


def _postgres_base_url() -> str:
    url = os.environ.get("SKYLOOP_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL tests need SKYLOOP_TEST_POSTGRES_URL (CI sets it)")
    engine = create_sync_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any connection failure means: not here
        pytest.skip(f"PostgreSQL at SKYLOOP_TEST_POSTGRES_URL is unreachable: {type(exc).__name__}")
    finally:
        engine.dispose()
    return url


def with_schema(base_url: str, schema: str) -> str:
    """``base_url`` with every connection's search_path set to ``schema``."""
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}options={quote(f'-csearch_path={schema}')}"


@dataclass
class PgSchemas:
    """Creates schemas on the test server and drops them all at the end."""

    base_url: str
    created: list[str]

    def new(self) -> str:
        name = f"skyloop_test_{uuid.uuid4().hex[:12]}"
        engine = create_sync_engine(self.base_url)
        try:
            with engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{name}"'))
        finally:
            engine.dispose()
        self.created.append(name)
        return with_schema(self.base_url, name)

    def drop_all(self) -> None:
        engine = create_sync_engine(self.base_url)
        try:
            with engine.begin() as conn:
                for name in self.created:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def pg_schemas() -> Iterator[PgSchemas]:
    schemas = PgSchemas(_postgres_base_url(), [])
    yield schemas
    schemas.drop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_migrated(pg_schemas: PgSchemas) -> str:
    url = pg_schemas.new()
    upgrade(url)
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated store on ``backend``."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "store.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_migrated")
    engine = create_sync_engine(url)
    try:
        with engine.begin() as conn:
            names = ", ".join(f'"{tb.name}"' for tb in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
    return url


@pytest.fixture
def empty_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a database with nothing in it (not migrated)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty' / 'skyloop.db'}"
    schemas: PgSchemas = request.getfixturevalue("pg_schemas")
    return schemas.new()


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlMissionStore]:
    s = await SqlMissionStore.open(store_url, migrate=False)
    yield s
    await s.close()
