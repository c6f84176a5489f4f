"""Store URLs: defaults and relative paths resolved against the config folder; drivers chosen per use."""

from __future__ import annotations

from pathlib import Path

import pytest

from mission.ports import StoreError
from mission.store.engine import async_url, display_url, sync_url
from mission.store_settings import StoreSettings, resolve_store_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, "sqlite:////etc/skyloop/var/skyloop.db"),
        ("sqlite:///db/mc.db", "sqlite:////etc/skyloop/db/mc.db"),
        ("sqlite+aiosqlite:///mc.db?timeout=3", "sqlite+aiosqlite:////etc/skyloop/mc.db?timeout=3"),
        ("sqlite:////abs/mc.db", "sqlite:////abs/mc.db"),
        ("postgresql://u@db.local/skyloop", "postgresql://u@db.local/skyloop"),
    ],
)
def test_resolve_store_url(url: str | None, expected: str) -> None:
    assert resolve_store_url(StoreSettings(url=url), Path("/etc/skyloop")) == expected


@pytest.mark.parametrize(
    ("url", "async_driver", "sync_driver"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite", "sqlite+pysqlite"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite", "sqlite+pysqlite"),
        ("postgresql://u@h/db", "postgresql+psycopg", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg", "postgresql+psycopg"),
    ],
)
def test_each_use_gets_its_driver(url: str, async_driver: str, sync_driver: str) -> None:
    assert async_url(url).drivername == async_driver
    assert sync_url(url).drivername == sync_driver


@pytest.mark.parametrize(
    "url", ["oracle://u@h/db", "sqlite://", "sqlite:///:memory:", "::", "sqlite+pysqlcipher:///x"]
)
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(StoreError):
        async_url(url)


def test_display_hides_the_password() -> None:
    assert display_url("postgresql://u:s3cret@h/db") == "postgresql://u:***@h/db"
