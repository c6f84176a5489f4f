"""The audit log, API tokens and the fleet's last known state (and its FleetStateStore adapter)."""

from __future__ import annotations

import pytest

from fleet.model import DockActivity, FleetSnapshot
from fleet.snapshot_codec import FleetStoreError
from mission.model import Role
from mission.ports import NotFound, StoreError
from mission.store import SqlFleetStateStore, SqlMissionStore
from tests.unit.fleet.fleet_helpers import flying_drone, healthy_dock

from . import samples as s


async def test_audit_newest_first(store: SqlMissionStore) -> None:
    entries = [s.audit(at=s.at(i), action=f"a{i}") for i in (2, 1, 3)]
    for e in entries:
        await store.add_audit(e)
    assert [e.action for e in await store.list_audit()] == ["a3", "a2", "a1"]
    assert [e.action for e in await store.list_audit(limit=1)] == ["a3"]


async def test_tokens_find_list_and_revoke(store: SqlMissionStore) -> None:
    t1 = s.token(name="a", token_hash="h1", created_at=s.at(1), revoked_at=None)
    t2 = s.token(name="b", token_hash="h2", created_at=s.at(2), revoked_at=None, role=Role.VIEWER)
    await store.add_token(t2)
    await store.add_token(t1)
    assert [t.name for t in await store.list_tokens()] == ["a", "b"]
    assert await store.find_token("h2") == t2
    assert await store.find_token("unknown") is None
    await store.revoke_token(t1.id, s.at(5))
    await store.revoke_token(t1.id, s.at(9))  # revoking again keeps the first time
    found = await store.find_token("h1")
    assert found is not None and found.revoked_at == s.at(5)
    with pytest.raises(NotFound):
        await store.revoke_token("nope", s.at(5))
    with pytest.raises(StoreError, match="constraint"):
        await store.add_token(s.token(token_hash="h1"))


def _snapshot() -> FleetSnapshot:
    dock = healthy_dock("D01", 10.0, activity=DockActivity.CHARGING, charging=True, battery_pct=55.5)
    return FleetSnapshot(
        docks={"D01": dock, "D02": healthy_dock("D02", 11.0, faults=("cover",))},
        drones={"U02": flying_drone("U02", 12.0, 100.0, 200.0)},
        assignments={"D02": "M-9"},
        maintenance={"D01": "lens cleaning"},
        saved_at_s=12.5,
    )


async def test_fleet_state_round_trip_and_replace(store: SqlMissionStore) -> None:
    fleet = SqlFleetStateStore(store)
    assert await fleet.load() is None
    await fleet.save(_snapshot())
    assert await fleet.load() == _snapshot()
    await fleet.save(FleetSnapshot(assignments={"D01": "M-10"}))
    loaded = await fleet.load()
    assert loaded == FleetSnapshot(assignments={"D01": "M-10"})


async def test_a_fleet_document_of_another_schema_is_refused(store: SqlMissionStore) -> None:
    await store.save_fleet_state({"schema": 999, "docks": {}})
    with pytest.raises(FleetStoreError, match="schema version 999"):
        await SqlFleetStateStore(store).load()
    assert await store.load_fleet_state() == {"schema": 999, "docks": {}}  # kept, not lost
