"""Mission control's store: SQLAlchemy 2 (async) over SQLite or PostgreSQL, Alembic migrations.

    store = await SqlMissionStore.open("sqlite:///var/skyloop.db")   # migrates to the newest schema
    ...
    await store.close()

See docs/store.md.
"""

from mission.store.fleet_state import SqlFleetStateStore
from mission.store.migrate import current_revision, head_revision, upgrade
from mission.store.sql_store import SqlMissionStore

__all__ = ["SqlFleetStateStore", "SqlMissionStore", "current_revision", "head_revision", "upgrade"]
