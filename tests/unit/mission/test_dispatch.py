"""The dispatcher on a real FleetManager and the in-memory store: the decision is stored with its
rejections, the dock reserved, two dispatches never share a dock, a failed write undoes the
reservation, re-tasking moves the reservation; the docks' wind."""

from __future__ import annotations

import asyncio

import pytest

from fleet.model import DockWeather, RainLevel
from geo.model import Wind
from mission.dispatch import Dispatcher, wind_from_docks
from mission.model import DispatchDecision, Mission
from mission.planner import Planner, dock_sites
from tests.unit.fleet.fleet_helpers import flying_drone, healthy_dock, to_local, to_wgs84
from tests.unit.mission.fake_store import FakeStore
from tests.unit.mission.test_planner import NOW_S, fleet


class YieldingStore(FakeStore):
    """Lets other tasks run while a decision is written (as a database would)."""

    async def add_decision(self, decision: DispatchDecision) -> None:
        await asyncio.sleep(0)
        await super().add_decision(decision)


class FailingStore(FakeStore):
    async def add_decision(self, decision: DispatchDecision) -> None:
        raise RuntimeError("database is down")


def mission_at(x_m: float, y_m: float, mission_id: str) -> Mission:
    lon, lat = to_wgs84(x_m, y_m)
    return Mission(incident_id=None, lon_deg=lon, lat_deg=lat, id=mission_id)


def dispatcher(store: FakeStore) -> Dispatcher:
    manager = fleet()
    return Dispatcher(manager, Planner(dock_sites(manager.registry), to_local), store, Wind.calm)


async def test_the_decision_is_stored_and_the_dock_reserved() -> None:
    store = FakeStore()
    d = dispatcher(store)
    result = await d.dispatch(mission_at(3500.0, 500.0, "M1"))
    assert result.decision.dock_id == "D02" and result.planned.dock_id == "D02"
    stored = await store.get_decision("M1")
    assert stored is not None and {r.dock_id for r in stored.rejected} == {"D01", "D03"}
    assert d.fleet.assignment("D02") == "M1"


async def test_two_dispatches_at_once_never_share_a_dock() -> None:
    store = YieldingStore()
    d = dispatcher(store)
    a, b = await asyncio.gather(
        d.dispatch(mission_at(3500.0, 500.0, "M1")), d.dispatch(mission_at(3400.0, 0.0, "M2"))
    )
    assert {a.decision.dock_id, b.decision.dock_id} == {"D02", "D03"}
    second = b.decision if b.decision.dock_id == "D03" else a.decision
    assert any(r.dock_id == "D02" and r.reason_code == "busy" for r in second.rejected)


async def test_a_failed_write_undoes_the_reservation() -> None:
    d = dispatcher(FailingStore())
    with pytest.raises(RuntimeError, match="down"):
        await d.dispatch(mission_at(3500.0, 500.0, "M1"))
    assert d.fleet.assignment("D02") is None


async def test_retasking_moves_the_reservation_and_names_the_superseded_mission() -> None:
    store = FakeStore()
    d = dispatcher(store)
    d.fleet.assign("D01", "M0")
    d.fleet.put_drone_state(flying_drone("U01", NOW_S, 6000.0, 2500.0, battery_pct=97.0))
    result = await d.dispatch(mission_at(6200.0, 2800.0, "M1"), retaskable={"M0"})
    assert result.decision.airborne and result.planned.airborne and result.superseded == "M0"
    assert d.fleet.assignment("D01") == "M1"


async def test_nothing_able_stores_a_decision_without_a_dock() -> None:
    store = FakeStore()
    d = dispatcher(store)
    for dock in ("D01", "D02", "D03"):
        d.fleet.set_maintenance(dock, "inspection")
    result = await d.dispatch(mission_at(3500.0, 500.0, "M1"))
    assert result.decision.dock_id is None and result.planned.dock_id is None
    assert (await store.get_decision("M1")) == result.decision


def test_wind_from_docks_is_the_median_of_fresh_online_stations() -> None:
    manager = fleet()
    for dock, wind in (("D01", 3.0), ("D02", 5.0), ("D03", 40.0)):
        weather = DockWeather(wind_mps=wind, rain=RainLevel.NONE, temperature_c=18.0)
        manager.put_dock_state(healthy_dock(dock, NOW_S, weather=weather))
    assert wind_from_docks(manager, 270.0) == Wind(5.0, 270.0)
    manager.put_dock_state(healthy_dock("D03", NOW_S, online=False))
    assert wind_from_docks(manager).speed_mps == pytest.approx(4.0)  # D01 3, D02 5 (D03 offline)


async def test_a_flying_drone_whose_mission_is_not_retaskable_stays_busy() -> None:
    store = FakeStore()
    d = dispatcher(store)
    d.fleet.assign("D01", "M0")
    d.fleet.put_drone_state(flying_drone("U01", NOW_S, 6000.0, 2500.0, battery_pct=97.0))
    result = await d.dispatch(mission_at(6200.0, 2800.0, "M1"), retaskable={"M9"})
    assert not result.decision.airborne and result.superseded is None
    assert d.fleet.assignment("D01") == "M0" and result.decision.dock_id != "D01"
    assert any(r.drone_id == "U01" and r.reason_code == "busy" for r in result.decision.rejected)
