"""The console tests run on SQLite (a temp copy of a migrated database) and on PostgreSQL
(``SKYLOOP_TEST_POSTGRES_URL``; skipped with the reason without it), with the store tests' fixtures."""

from tests.integration.store.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    backend,
    pg_migrated,
    pg_schemas,
    sqlite_template,
    store_url,
)
