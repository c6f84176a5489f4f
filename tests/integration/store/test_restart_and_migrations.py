"""Schema from empty by migration, the ORM metadata agreeing with it, and a store that survives a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from mission.model import MissionState, OutboxStatus
from mission.ports import StoreError
from mission.store import SqlFleetStateStore, SqlMissionStore, current_revision, head_revision, upgrade
from mission.store.engine import create_sync_engine
from mission.store.migrate import alembic_config
from mission.store.tables import metadata

from . import samples as s
from .test_security_fleet import _snapshot


def test_upgrade_from_empty_creates_the_schema_the_metadata_describes(empty_url: str) -> None:
    assert current_revision(empty_url) is None
    assert upgrade(empty_url) == head_revision()
    assert upgrade(empty_url) == head_revision()  # again: nothing to do
    assert current_revision(empty_url) == head_revision()
    engine = create_sync_engine(empty_url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert tables == set(metadata.tables) | {"alembic_version"}
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
            assert diff == [], diff
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(empty_url: str) -> None:
    upgrade(empty_url)
    engine = create_sync_engine(empty_url)
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    assert current_revision(empty_url) is None
    assert upgrade(empty_url) == head_revision()


async def test_a_database_never_migrated_is_not_opened_as_a_store(empty_url: str) -> None:
    with pytest.raises(StoreError, match=r"schema revision none, this build needs .*skyloop db upgrade"):
        await SqlMissionStore.open(empty_url, migrate=False)


async def test_open_migrates_an_empty_database(empty_url: str) -> None:
    store = await SqlMissionStore.open(empty_url)
    try:
        assert await store.list_missions() == []
    finally:
        await store.close()
    assert current_revision(empty_url) == head_revision()


def test_a_sqlite_file_is_created_in_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "var" / "deeper" / "skyloop.db"
    assert current_revision(f"sqlite:///{path}") is None and not path.exists()  # looking creates nothing
    upgrade(f"sqlite:///{path}")
    assert path.is_file()


async def test_everything_is_there_after_a_restart(store_url: str) -> None:
    store = await SqlMissionStore.open(store_url, migrate=False)
    a, i, lead, entry, tok = s.alert(), s.incident(), s.lead(), s.audit(), s.token()
    msg = s.message("k", status=OutboxStatus.PENDING, next_attempt_at=s.at(0), lead_id=lead.id)
    m = s.mission(state=MissionState.REQUESTED)
    try:
        await store.add_alert(a)
        await store.add_incident(i)
        await store.add_mission(m, s.event(m.id, 1))
        m.state = MissionState.EN_ROUTE
        await store.append_event(s.event(m.id, 2, to_state=MissionState.EN_ROUTE), m)
        await store.add_decision(s.decision(m.id))
        await store.add_lead(lead, msg)
        await store.add_audit(entry)
        await store.add_token(tok)
        await SqlFleetStateStore(store).save(_snapshot())
    finally:
        await store.close()

    reopened = await SqlMissionStore.open(store_url)  # as mission control starts: migrate, then open
    try:
        assert await reopened.get_alert(a.id) == a
        assert await reopened.get_incident(i.id) == i
        assert await reopened.unfinished_missions() == [m]
        assert await reopened.mission_events(m.id) == [s.event(m.id, 1), s.event(m.id, 2, to_state=m.state)]
        assert await reopened.get_decision(m.id) == s.decision(m.id)
        assert await reopened.get_lead(lead.id) == lead
        assert await reopened.due_messages(s.at(1)) == [msg]
        assert await reopened.list_audit() == [entry]
        assert await reopened.list_tokens() == [tok]
        assert await SqlFleetStateStore(reopened).load() == _snapshot()
        # The log carries on where it stopped.
        await reopened.append_event(s.event(m.id, 3))
        assert len(await reopened.mission_events(m.id)) == 3
    finally:
        await reopened.close()
