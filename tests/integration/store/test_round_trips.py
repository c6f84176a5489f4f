"""Every model object comes back from the store exactly as it went in, on both backends."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime

import pytest

from mission import model
from mission.ports import NotFound, StoreError
from mission.store import SqlMissionStore
from mission.store import tables as t

from . import samples as s

STORED = {
    model.Alert: t.alerts,
    model.Incident: t.incidents,
    model.Mission: t.missions,
    model.MissionEvent: t.mission_events,
    model.DispatchDecision: t.dispatch_decisions,
    model.Lead: t.leads,
    model.OutboxMessage: t.outbox,
    model.AuditEntry: t.audit_log,
    model.ApiToken: t.api_tokens,
}


@pytest.mark.parametrize("cls", list(STORED), ids=lambda c: c.__name__)
def test_every_model_field_has_a_column(cls: type) -> None:
    fields = {f.name for f in dataclasses.fields(cls)}
    columns = set(STORED[cls].c.keys())
    assert fields - columns == set(), f"{cls.__name__} fields without a column"


def _assert_times_utc(obj: object) -> None:
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if isinstance(value, datetime):
            s.assert_utc(value)


async def test_alert_and_incident(store: SqlMissionStore) -> None:
    a, i = s.alert(), s.incident()
    await store.add_alert(a)
    await store.add_incident(i)
    got_a, got_i = await store.get_alert(a.id), await store.get_incident(i.id)
    assert got_a == a and got_i == i
    assert got_a.type is model.AlertType.FIRE_SMOKE and got_a.original_crs is model.CoordSystem.GCJ02
    _assert_times_utc(got_a)
    _assert_times_utc(got_i)


async def test_mission_event_and_decision(store: SqlMissionStore) -> None:
    m = s.mission()
    first = s.event(m.id, 1)
    await store.add_mission(m, first)
    d = s.decision(m.id)
    await store.add_decision(d)
    got_m = await store.get_mission(m.id)
    assert got_m == m and got_m.end_state is model.MissionState.ABORTED
    assert await store.mission_events(m.id) == [first]
    got_d = await store.get_decision(m.id)
    assert got_d == d and got_d is not None and got_d.rejected[1].drone_id is None
    _assert_times_utc(got_m)
    _assert_times_utc(got_d)


async def test_lead_message_audit_token(store: SqlMissionStore) -> None:
    lead, msg, entry, tok = s.lead(), s.message("k-1"), s.audit(), s.token()
    await store.add_lead(lead)
    await store.enqueue(msg)
    await store.add_audit(entry)
    await store.add_token(tok)
    assert await store.get_lead(lead.id) == lead
    assert await store.list_messages() == [msg]
    assert await store.list_audit() == [entry]
    assert await store.find_token(tok.token_hash) == tok
    for obj in (await store.get_lead(lead.id), (await store.list_messages())[0]):
        _assert_times_utc(obj)


async def test_defaults_and_empty_values(store: SqlMissionStore) -> None:
    """None, empty dicts, no snapshot and no rejected options survive too."""
    lead = model.Lead(None, None, "U1", "person", 0.5, 113.0, 34.0, 3.0)
    m = model.Mission(incident_id=None, lon_deg=113.0, lat_deg=34.0)
    await store.add_lead(lead)
    await store.add_mission(m, model.MissionEvent(m.id, 1, "state", to_state=model.MissionState.REQUESTED))
    d = model.DispatchDecision(m.id, None, None, None, 300.0, True)
    await store.add_decision(d)
    assert await store.get_lead(lead.id) == lead
    assert await store.get_mission(m.id) == m
    assert await store.get_decision(m.id) == d


async def test_a_naive_datetime_is_refused_and_nothing_is_stored(store: SqlMissionStore) -> None:
    a = s.alert(received_at=datetime(2026, 5, 1, 9, 30))
    with pytest.raises(StoreError, match="naive datetime"):
        await store.add_alert(a)
    with pytest.raises(NotFound):
        await store.get_alert(a.id)


async def test_a_value_that_is_not_json_is_refused(store: SqlMissionStore) -> None:
    entry = s.audit(details={"when": object()})
    with pytest.raises(StoreError):
        await store.add_audit(entry)
    assert await store.list_audit() == []


@pytest.mark.parametrize("value", [math.nan, math.inf])
async def test_a_number_that_is_not_finite_is_refused(store: SqlMissionStore, value: float) -> None:
    m = s.mission(eta_s=value)
    with pytest.raises(StoreError, match=r"eta_s is .*not a finite number"):
        await store.add_mission(m, s.event(m.id, 1))
    assert await store.list_missions() == []
