"""The in-flight battery supervision uses the planner's reserve and the drone's dock-type endurance
(one source: the fleet registry built from ``[planning.energy]`` and ``[dock_types]``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fleet.registry import DockRecord, FleetRegistry
from mission import lifecycle_types as fx
from mission.app_fleet import build_registry
from mission.cli.paths import DEFAULT_CONFIG
from mission.drone_monitor import energy_of
from mission.model import MissionEvent, MissionState
from mission.settings import Settings, SettingsError, load_settings
from mission.supervision import BatteryBudget
from tests.unit.fleet.fleet_helpers import config_dock_types, config_params, to_local, to_wgs84
from tests.unit.mission.executor_rig import rig


def home_budget(settings: Settings, home_m: float = 0.0) -> BatteryBudget:
    """The budget of the first configured dock's drone, ``home_m`` from its dock."""
    registry = build_registry(settings)
    drone_id = next(iter(registry)).drone_id
    return BatteryBudget.for_distance(home_m, energy_of(registry, drone_id), settings.missions)


def test_changing_the_planning_reserve_changes_the_return_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = load_settings()
    monkeypatch.setenv("SKYLOOP_PLANNING__ENERGY__RESERVE_PCT", "40")
    raised = load_settings()
    assert home_budget(shipped).return_pct == shipped.planning.energy.reserve_pct == 25.0
    assert home_budget(raised).return_pct == 40.0
    assert home_budget(raised).relief_pct == 40.0 + raised.missions.relief_lead_pct


def test_the_endurance_is_the_drones_dock_types(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    dock_type = settings.dock_types["dock3"]  # the shipped docks are all Dock 3
    assert {e.record.dock_type for e in build_registry(settings)} == {"dock3"}
    # 4860 m at 15 m/s is 324 s: 10 % of a 3240 s battery
    assert dock_type.flight_endurance_s == 3240.0 and settings.missions.cruise_mps == 15.0
    assert home_budget(settings, 4860.0).return_pct == pytest.approx(25.0 + 10.0)
    monkeypatch.setenv("SKYLOOP_DOCK_TYPES__DOCK3__FLIGHT_ENDURANCE_S", "1620")
    assert home_budget(load_settings(), 4860.0).return_pct == pytest.approx(25.0 + 20.0)


def test_an_unsafe_planning_reserve_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKYLOOP_PLANNING__ENERGY__RESERVE_PCT", "5")
    with pytest.raises(SettingsError, match=r"planning\.energy\.reserve_pct"):
        load_settings()


@pytest.mark.parametrize(
    ("key", "where"),
    [
        ("reserve_pct", "[planning.energy] reserve_pct"),
        ("flight_endurance_s", "[dock_types.<type>] flight_endurance_s"),
    ],
)
def test_an_old_config_with_the_executors_own_value_fails_clearly(
    tmp_path: Path, key: str, where: str
) -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert "\n[missions]" in text
    old = tmp_path / "skyloop.toml"
    old.write_text(text.replace("\n[missions]", f"\n[missions]\n{key} = 30.0", 1), encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(old)
    assert str(caught.value).startswith(f"{old}: missions: ")
    assert f"{key} is no longer a [missions] setting, set {where}" in str(caught.value)


def test_missions_fly_the_heights_and_cruise_the_planner_priced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKYLOOP_PLANNING__REACH__CRUISE_MPS", "12")
    monkeypatch.setenv("SKYLOOP_PLANNING__REACH__ON_SCENE_HEIGHT_M", "90")
    s = load_settings()
    assert (s.missions.cruise_mps, s.missions.on_scene_height_m) == (12.0, 90.0)
    assert s.missions.cruise_height_m == s.planning.reach.cruise_height_m
    assert s.missions.lifecycle().on_scene_height_m == 90.0


@pytest.mark.parametrize("key", ["cruise_height_m", "on_scene_height_m", "cruise_mps"])
def test_the_planned_flight_values_under_missions_are_refused(tmp_path: Path, key: str) -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    config = tmp_path / "skyloop.toml"
    config.write_text(text.replace("\n[missions]", f"\n[missions]\n{key} = 10.0", 1), encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(config)
    assert f"[missions] {key}: set under [planning.reach] instead" in str(caught.value)


def reserve_registry(reserve_pct: float) -> FleetRegistry:
    """The executor rig's three Dock 2 docks (3 km apart), with the planning reserve given."""
    reach, energy, _ = config_params()
    docks = [
        DockRecord(f"D0{i + 1}", "dock2", *to_wgs84(3000.0 * i, 0.0), drone_id=f"U0{i + 1}") for i in range(3)
    ]
    return FleetRegistry(
        docks, config_dock_types(), to_local, reach, replace(energy, reserve_pct=reserve_pct)
    )


@pytest.mark.parametrize(
    ("reserve_pct", "then"), [(25.0, MissionState.SUPERVISING), (40.0, MissionState.RETURNING)]
)
async def test_the_monitor_returns_at_the_planners_reserve(reserve_pct: float, then: MissionState) -> None:
    # 1 km from home on a 3000 s battery: 2.2 % to fly home; 35 % is above the return threshold
    # with a 25 % reserve (27.2 %: relief only, at 37.2 %) and below it with a 40 % one (42.2 %)
    async with rig(registry=reserve_registry(reserve_pct)) as r:
        m = r.mission()
        await r.runner.launch(m, fx.Planned("D01", "U01", eta_s=150.0))
        await r.state(m.id, MissionState.SUPERVISING)
        r.drones["U01"].set_battery(35.0)
        await r.until(m.id, lambda _: bool(battery_lows(r.store.events[m.id])))
        first = battery_lows(r.store.events[m.id])[0]
        if first.to_state is MissionState.SUPERVISING:
            r.runner.send(m.id, fx.WatchEnded("x"))
        done = await r.over(m.id)
    assert first.to_state is then
    assert done.state is MissionState.CLOSED


def battery_lows(events: list[MissionEvent]) -> list[MissionEvent]:
    return [e for e in events if e.data.get("event") == "battery_low"]
