"""The ``[store]`` section: where mission control keeps its durable state.

``url`` is any SQLAlchemy URL for SQLite or PostgreSQL (``postgresql://user@host/db``). Unset, the
store is the SQLite file ``var/skyloop.db`` in the config file's folder; a relative SQLite path in a
URL is likewise resolved against that folder (as every other path in the config is). Set it from
the environment with ``SKYLOOP_STORE__URL``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

#: The default store, relative to the config file's folder.
DEFAULT_SQLITE_PATH = Path("var") / "skyloop.db"


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, description="SQLAlchemy URL; None: SQLite var/skyloop.db")
    echo: bool = Field(default=False, description="log every SQL statement (debugging only)")


def resolve_store_url(store: StoreSettings, config_dir: Path) -> str:
    """The store's URL, with the default and relative SQLite paths resolved against ``config_dir``."""
    if store.url is None:
        return f"sqlite:///{(config_dir / DEFAULT_SQLITE_PATH).resolve()}"
    prefix, sep, rest = store.url.partition(":///")
    if sep and prefix.startswith("sqlite") and rest and not rest.startswith(("/", ":memory:")):
        path, query_sep, query = rest.partition("?")
        return f"{prefix}:///{(config_dir / path).resolve()}{query_sep}{query}"
    return store.url
