"""Missions and their append-only event log: order, uniqueness, atomicity, listings."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from mission.model import Mission, MissionState
from mission.ports import NotFound, StoreError
from mission.store import SqlMissionStore

from . import samples as s


async def _new_mission(store: SqlMissionStore, created_s: float = 0.0, **kw: object) -> Mission:
    m = s.mission(created_at=s.at(created_s), state=MissionState.REQUESTED, **kw)
    await store.add_mission(m, s.event(m.id, 1, from_state=None, to_state=MissionState.REQUESTED))
    return m


async def test_events_append_in_order_with_the_mission_row(store: SqlMissionStore) -> None:
    m = await _new_mission(store)
    m.state, m.dock_id = MissionState.PLANNED, "D09"
    second = s.event(m.id, 2, from_state=MissionState.REQUESTED, to_state=MissionState.PLANNED)
    await store.append_event(second, m)
    note = s.event(m.id, 3, kind="note", from_state=None, to_state=None, data={"text": "wind rising"})
    await store.append_event(note)  # without a mission row: only the event
    assert [e.seq for e in await store.mission_events(m.id)] == [1, 2, 3]
    assert (await store.mission_events(m.id))[2] == note
    got = await store.get_mission(m.id)
    assert got.state is MissionState.PLANNED and got.dock_id == "D09"


async def test_a_missions_route_is_kept_and_replaced_with_an_event(store: SqlMissionStore) -> None:
    m = await _new_mission(store, route=None)
    assert (await store.get_mission(m.id)).route is None
    m.route = [[113.70, 34.70], [113.7123456789012, 34.7198765432109], [113.73, 34.74]]
    route = {"to": "target", "points": m.route}
    await store.append_event(s.event(m.id, 2, kind="route", data=route), m)
    got = await store.get_mission(m.id)
    assert got.route == m.route  # full float precision, [lon, lat] pairs in order
    assert (await store.mission_events(m.id))[1].data == route


@pytest.mark.parametrize("seq", [1, 3, 0, -1])
async def test_an_event_out_of_order_is_refused(store: SqlMissionStore, seq: int) -> None:
    m = await _new_mission(store)
    with pytest.raises(StoreError, match="out of order, the next seq is 2"):
        await store.append_event(s.event(m.id, seq))
    assert [e.seq for e in await store.mission_events(m.id)] == [1]


async def test_an_event_and_its_mission_row_are_one_transaction(store: SqlMissionStore) -> None:
    m = await _new_mission(store)
    m.state, m.updated_at = MissionState.PLANNED, datetime(2026, 5, 1, 10, 0)  # naive: refused
    with pytest.raises(StoreError):
        await store.append_event(s.event(m.id, 2), m)
    assert [e.seq for e in await store.mission_events(m.id)] == [1]
    assert (await store.get_mission(m.id)).state is MissionState.REQUESTED


async def test_an_event_for_an_unknown_mission(store: SqlMissionStore) -> None:
    with pytest.raises(NotFound):
        await store.append_event(s.event("nope", 1))
    m = await _new_mission(store)
    with pytest.raises(StoreError, match="mission row given"):
        await store.append_event(s.event(m.id, 2), s.mission())
    with pytest.raises(NotFound):
        await store.append_event(s.event("ghost", 2), s.mission(id="ghost"))


async def test_add_mission_needs_its_first_event(store: SqlMissionStore) -> None:
    m = s.mission()
    with pytest.raises(StoreError, match="seq 1"):
        await store.add_mission(m, s.event(m.id, 2))
    with pytest.raises(StoreError, match="seq 1"):
        await store.add_mission(m, s.event("other", 1))
    with pytest.raises(NotFound):
        await store.get_mission(m.id)
    await store.add_mission(m, s.event(m.id, 1))
    with pytest.raises(StoreError, match="constraint"):
        await store.add_mission(m, s.event(m.id, 1))


async def test_concurrent_appends_of_the_same_seq_let_exactly_one_through(store_url: str) -> None:
    """Five stores (as five replicas would) race to append seq 2: one wins, four get StoreError."""
    stores = [await SqlMissionStore.open(store_url, migrate=False) for _ in range(5)]
    try:
        m = await _new_mission(stores[0])
        events = [s.event(m.id, 2, actor=f"writer-{i}") for i in range(5)]
        results = await asyncio.gather(
            *(st.append_event(ev) for st, ev in zip(stores, events, strict=True)), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        assert len(errors) == 4 and all(isinstance(e, StoreError) for e in errors), results
        log = await stores[0].mission_events(m.id)
        winner = results.index(None)
        assert [e.seq for e in log] == [1, 2] and log[1].actor == f"writer-{winner}"
    finally:
        for st in stores:
            await st.close()


async def test_concurrent_appends_to_different_missions_all_succeed(store: SqlMissionStore) -> None:
    missions = [await _new_mission(store, i) for i in range(8)]
    for seq in (2, 3, 4):
        await asyncio.gather(*(store.append_event(s.event(m.id, seq)) for m in missions))
    for m in missions:
        assert [e.seq for e in await store.mission_events(m.id)] == [1, 2, 3, 4]


async def test_listings_and_unfinished_missions(store: SqlMissionStore) -> None:
    old = await _new_mission(store, 10)
    done = await _new_mission(store, 20)
    new = await _new_mission(store, 30)
    failed = await _new_mission(store, 40)
    for seq_m, state in ((done, MissionState.CLOSED), (failed, MissionState.FAILED)):
        seq_m.state = state
        await store.append_event(s.event(seq_m.id, 2, to_state=state), seq_m)
    assert [m.id for m in await store.list_missions()] == [failed.id, new.id, done.id, old.id]
    assert [m.id for m in await store.list_missions(limit=2)] == [failed.id, new.id]
    assert [m.id for m in await store.list_missions(active_only=True)] == [new.id, old.id]
    assert [m.id for m in await store.unfinished_missions()] == [old.id, new.id]
    assert await store.mission_events("unknown") == []
    with pytest.raises(NotFound):
        await store.get_mission("unknown")


async def test_the_newest_decision_is_the_missions_decision(store: SqlMissionStore) -> None:
    m = await _new_mission(store)
    assert await store.get_decision(m.id) is None
    first = s.decision(m.id, dock_id="D01", decided_at=s.at(1))
    replan = s.decision(m.id, dock_id="D05", decided_at=s.at(2), rejected=())
    await store.add_decision(first)
    await store.add_decision(replan)
    assert await store.get_decision(m.id) == replan
    with pytest.raises(StoreError):  # a decision for a mission that does not exist
        await store.add_decision(s.decision("ghost"))
