"""The planner on a real FleetManager fed with dock and drone states (no network): the nearest able
dock wins, busy or grounded docks are rejected with the fleet's reasons, a breach is recorded,
ties go to the dock whose absence leaves less uncovered, airborne re-tasking wins when faster,
keep-out zones lengthen routes or refuse the point."""

from __future__ import annotations

import pytest
from shapely.geometry import box

from fleet.manager import FleetManager
from fleet.model import Availability, Candidate, CandidateKind, DockWeather, RainLevel, SortieSpec
from geo.crs import LocalFrame
from geo.district import District
from geo.model import DockSite, Wind
from geo.routing import KeepOutRouter
from mission.model import DispatchDecision
from mission.planner import Planner, dock_sites
from mission.planner_coverage import UncoveredArea
from tests.unit.fleet.fleet_helpers import (
    config_params,
    flying_drone,
    healthy_dock,
    make_registry,
    to_local,
    to_wgs84,
)

NOW_S = 1000.0


class Clock:
    def now_s(self) -> float:
        return NOW_S

    async def sleep(self, seconds: float) -> None:  # pragma: no cover - not used
        raise AssertionError


def fleet(
    types: tuple[str, ...] = ("dock2", "dock2", "dock2"), router: KeepOutRouter | None = None
) -> FleetManager:
    """Docks D01, D02, ... every 3 km east of the origin, all healthy."""
    _, _, margin = config_params()
    manager = FleetManager(
        make_registry(types),
        wind_margin_mps=margin,
        clock=Clock(),
        route_length=None if router is None else router.path_length_m,
    )
    for entry in manager.registry:
        manager.put_dock_state(healthy_dock(entry.dock_id, NOW_S))
    return manager


def plan(
    manager: FleetManager,
    x_m: float,
    y_m: float,
    wind: Wind | None = None,
    *,
    router: KeepOutRouter | None = None,
    coverage: UncoveredArea | None = None,
    target_s: float = 300.0,
) -> DispatchDecision:
    w = wind or Wind.calm()
    lon, lat = to_wgs84(x_m, y_m)
    planner = Planner(
        dock_sites(manager.registry), to_local, target_s=target_s, router=router, coverage=coverage
    )
    return planner.plan("M1", lon, lat, manager.candidates(SortieSpec(lon, lat, wind=w)), w)


def reasons(decision: DispatchDecision) -> dict[str, str]:
    return {r.dock_id: r.reason_code for r in decision.rejected}


def test_nearest_able_dock_wins_and_every_other_dock_is_rejected_as_slower() -> None:
    decision = plan(fleet(), 3500.0, 500.0)
    assert decision.dock_id == "D02" and decision.drone_id == "U02"
    assert not decision.promise_breached and decision.eta_s is not None and decision.eta_s < 300
    assert reasons(decision) == {"D01": "slower", "D03": "slower"}
    etas = {r.dock_id: r.eta_s for r in decision.rejected}
    assert all(eta is not None and eta > decision.eta_s for eta in etas.values())


def test_a_busy_nearest_dock_sends_the_next_one_with_the_reason_stored() -> None:
    manager = fleet()
    manager.assign("D02", "M0")
    decision = plan(manager, 3500.0, 500.0)
    assert decision.dock_id == "D03"  # 2.5 km away, D01 is 3.5 km
    busy = next(r for r in decision.rejected if r.dock_id == "D02")
    assert busy.reason_code == "busy" and "M0" in busy.reason


def test_wind_over_the_limit_at_the_dock_grounds_it() -> None:
    manager = fleet()
    manager.put_dock_state(
        healthy_dock(
            "D02", NOW_S, weather=DockWeather(wind_mps=11.0, rain=RainLevel.NONE, temperature_c=18.0)
        )
    )
    decision = plan(manager, 3500.0, 500.0)
    assert decision.dock_id == "D03"
    assert reasons(decision)["D02"] == "wind"


def test_live_wind_over_every_launch_limit_grounds_every_dock() -> None:
    manager = fleet(("dock2", "dock3", "dock3"))
    decision = plan(manager, 3500.0, 500.0, Wind(9.0, 270.0))  # dock2 limit 8, dock3 limit 12
    assert reasons(decision)["D01"] == "wind"
    assert decision.dock_id in ("D02", "D03")


def test_nothing_within_the_target_still_sends_the_best_and_records_the_breach() -> None:
    decision = plan(fleet(), 3000.0, 5500.0)  # 5.5 km north of D02: about 6 min
    assert decision.dock_id == "D02"
    assert decision.eta_s is not None and decision.eta_s > 300 and decision.promise_breached


def test_nothing_able_gives_no_dock_and_every_reason() -> None:
    manager = fleet()
    manager.set_maintenance("D01", "rotor swap")
    manager.assign("D02", "M0")
    manager.put_dock_state(healthy_dock("D03", NOW_S, online=False))
    decision = plan(manager, 3500.0, 500.0)
    assert decision.dock_id is None and decision.promise_breached
    assert reasons(decision) == {"D01": "maintenance", "D02": "busy", "D03": "offline"}


def test_airborne_retasking_wins_when_faster() -> None:
    manager = fleet()
    manager.put_drone_state(
        flying_drone("U01", NOW_S, 6000.0, 2500.0, battery_pct=97.0)
    )  # hovering near the point
    manager.put_dock_state(healthy_dock("D01", NOW_S, drone_in_dock=False))
    decision = plan(manager, 6200.0, 2800.0)
    assert decision.airborne and decision.drone_id == "U01"
    assert reasons(decision) == {"D02": "slower", "D03": "slower"}  # its own dock is no other option


def test_an_airborne_drone_on_another_mission_is_not_stolen_unless_retaskable() -> None:
    manager = fleet()
    manager.assign("D01", "M0")
    manager.put_drone_state(flying_drone("U01", NOW_S, 6000.0, 2500.0, battery_pct=97.0))
    decision = plan(manager, 6200.0, 2800.0)
    assert not decision.airborne and decision.dock_id == "D03"
    planner = Planner(dock_sites(manager.registry), to_local)
    lon, lat = to_wgs84(6200.0, 2800.0)
    again = planner.plan(
        "M1", lon, lat, manager.candidates(SortieSpec(lon, lat)), Wind.calm(), retaskable={"M0"}
    )
    assert again.airborne and again.drone_id == "U01"


def test_low_battery_rejects_with_the_fleet_reason() -> None:
    manager = fleet()
    manager.put_dock_state(healthy_dock("D02", NOW_S, battery_pct=30.0))
    decision = plan(manager, 3500.0, 500.0)
    assert decision.dock_id == "D03"
    assert reasons(decision)["D02"] in ("battery", "charging")


def test_keep_out_zone_lengthens_the_route_and_can_change_the_winner() -> None:
    # a wall between D02 (x = 3000) and the point; D03 (x = 6000) has a clear line
    wall = box(3600.0, -3000.0, 3800.0, 3000.0)
    router = KeepOutRouter([wall], clearance_m=30.0)
    straight = plan(fleet(), 4300.0, 0.0)
    assert straight.dock_id == "D02"
    routed = plan(fleet(router=router), 4300.0, 0.0, router=router)
    assert routed.dock_id == "D03"
    d02 = next(r for r in routed.rejected if r.dock_id == "D02")
    assert d02.reason_code == "slower" and d02.eta_s is not None and routed.eta_s is not None
    assert d02.eta_s > routed.eta_s


def test_a_point_inside_a_keep_out_zone_is_refused() -> None:
    router = KeepOutRouter([box(3400.0, 400.0, 3600.0, 600.0)], clearance_m=30.0)
    decision = plan(fleet(router=router), 3500.0, 500.0, router=router)
    assert decision.dock_id is None
    assert set(reasons(decision).values()) == {"keep_out"}


def test_ties_go_to_the_dock_whose_absence_leaves_less_uncovered() -> None:
    # D01 at 0, D02 at 3 km, D03 at 6 km; the point at 1.5 km is equally far from D01 and D02.
    # The district reaches west of D01, so D01's departure uncovers more than D02's (D03 and
    # D01 still cover around D02).
    manager = fleet()
    frame = LocalFrame.auto(*to_wgs84(0.0, 0.0))
    district = District("line", frame, box(-9000.0, -2000.0, 9000.0, 2000.0))
    sites = dock_sites(manager.registry)
    coverage = UncoveredArea(district, sites, None, 300.0)
    decision = plan(manager, 1500.0, 0.0, coverage=coverage)
    assert decision.dock_id == "D02"
    lost = next(r for r in decision.rejected if r.dock_id == "D01")
    assert lost.reason_code == "coverage"
    gap_without_d01 = coverage.uncovered_km2(frozenset({"D02", "D03"}), Wind.calm())
    gap_without_d02 = coverage.uncovered_km2(frozenset({"D01", "D03"}), Wind.calm())
    assert gap_without_d01 > gap_without_d02
    # The other way round: a district reaching far east of D03 makes D03 the one to keep home,
    # so of D02 and D03 (equally far from a point between them) D02 goes.
    east = District("east", frame, box(-3000.0, -2000.0, 15000.0, 2000.0))
    decision = plan(manager, 4500.0, 0.0, coverage=UncoveredArea(east, sites, None, 300.0))
    assert decision.dock_id == "D02"
    assert reasons(decision)["D03"] == "coverage"


def test_without_a_coverage_oracle_the_faster_of_tied_docks_wins() -> None:
    decision = plan(fleet(), 1499.0, 0.0)
    assert decision.dock_id == "D01"


def test_coverage_answers_are_cached_per_availability_set() -> None:
    manager = fleet()
    frame = LocalFrame.auto(*to_wgs84(0.0, 0.0))
    coverage = UncoveredArea(
        District("d", frame, box(-9000.0, -2000.0, 9000.0, 2000.0)), dock_sites(manager.registry), None, 300.0
    )
    for _ in range(3):
        plan(manager, 1500.0, 0.0, coverage=coverage)
    assert coverage.misses == 2  # one per tied option's remaining set


@pytest.mark.parametrize("target_s", [0.0, float("nan")])
def test_a_bad_target_is_refused(target_s: float) -> None:
    with pytest.raises(ValueError, match="target_s"):
        Planner([], to_local, target_s=target_s)


def test_unknown_docks_in_candidates_are_rejected_not_crashing() -> None:
    manager = fleet()
    lon, lat = to_wgs84(3500.0, 500.0)
    sites = [s for s in dock_sites(manager.registry) if s.id != "D03"]
    decision = Planner(sites, to_local).plan(
        "M1", lon, lat, manager.candidates(SortieSpec(lon, lat)), Wind.calm()
    )
    assert decision.dock_id == "D02" and reasons(decision)["D03"] == "unknown_dock"


def test_a_wind_faster_than_the_drones_grounds_every_dock() -> None:
    manager = fleet(("dock3", "dock3", "dock3"))
    gale = DockWeather(wind_mps=16.0, rain=RainLevel.NONE, temperature_c=18.0)
    for entry in manager.registry:
        manager.put_dock_state(healthy_dock(entry.dock_id, NOW_S, weather=gale))
    decision = plan(manager, 3500.0, 500.0, Wind(16.0, 90.0))
    assert decision.dock_id is None
    assert set(reasons(decision).values()) == {"wind"}


def test_the_decision_records_the_wind_and_target() -> None:
    decision = plan(fleet(("dock3", "dock3", "dock3")), 3500.0, 500.0, Wind(5.0, 45.0), target_s=240.0)
    assert (decision.wind_speed_mps, decision.wind_from_deg, decision.target_s) == (5.0, 45.0, 240.0)
    assert decision.eta_s is not None and decision.promise_breached == (decision.eta_s > 240.0)


def test_on_the_reference_district_etas_match_geo_routes_computed_one_by_one() -> None:
    """The planner prices every dock with one search from the target; cross-check it against
    geo.routing's path for each dock and geo.reach's time along it (wind 6 m/s from the west)."""
    import random

    import numpy as np
    import shapely

    from geo.reach import overhead_s, path_cruise_time_s, response_time_s
    from mission.geo_config import load_planning
    from mission.settings import load_settings

    p = load_planning(load_settings())
    frame = p.district.frame
    wind = Wind(6.0, 270.0)
    planner = Planner(p.docks, frame.to_local, target_s=p.target_s, router=p.router)
    rng = random.Random(3)
    minx, miny, maxx, maxy = p.district.flyable_m.bounds
    checked = bent = 0
    while checked < 12:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if p.router.inside([(x, y)])[0] or not shapely.contains_xy(p.district.flyable_m, x, y):
            continue
        checked += 1
        options = planner.response_times((x, y), _dock_candidates(p.docks, frame), wind)
        for option, dock in zip(options, p.docks, strict=True):
            path = p.router.path((dock.x_m, dock.y_m), (x, y))
            if len(path) == 2:
                expected = float(response_time_s(x - dock.x_m, y - dock.y_m, dock.reach, wind))
            else:
                bent += 1
                expected = overhead_s(dock.reach) + path_cruise_time_s(np.array(path), dock.reach, wind)
            assert option.eta_s == pytest.approx(expected, rel=1e-6, abs=1e-3), (dock.id, x, y)
    assert bent > 0  # some routes went around the keep-out zones


def _dock_candidates(docks: list[DockSite], frame: LocalFrame) -> list[Candidate]:
    out = []
    for d in docks:
        lon, lat = frame.to_wgs84(d.x_m, d.y_m)
        out.append(
            Candidate(
                CandidateKind.DOCK, d.id, f"{d.id}-UAV", float(lon), float(lat), 0.0, Availability(d.id, True)
            )
        )
    return out
