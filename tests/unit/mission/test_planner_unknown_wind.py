"""The planner with a wind whose direction is unknown (the docks' stations report only speed):
every option is timed in its own worst case, a headwind, which no known direction exceeds, and the
choice no longer hangs on an arbitrary direction."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import box

from fleet.model import SortieSpec
from geo.crs import LocalFrame
from geo.district import District
from geo.model import Wind
from geo.reach import overhead_s, wind_cruise_time_s
from mission.dispatch import wind_from_docks
from mission.model import DispatchDecision
from mission.planner import TIE_DIRECTIONS_DEG, Planner, dock_sites
from mission.planner_coverage import UncoveredArea
from tests.unit.fleet.fleet_helpers import to_local, to_wgs84
from tests.unit.mission.test_planner import fleet, plan

# between D01 (0 m) and D02 (3000 m), a little nearer D01; D03 is at 6000 m
TARGET_M = (1400.0, 600.0)
SPEED_MPS = 5.0


def etas(decision: DispatchDecision) -> dict[str, float]:
    out = {r.dock_id: r.eta_s for r in decision.rejected if r.eta_s is not None}
    assert decision.dock_id is not None and decision.eta_s is not None
    out[decision.dock_id] = decision.eta_s
    return out


def test_every_option_is_timed_against_a_headwind_the_worst_of_all_directions() -> None:
    manager = fleet()
    decision = plan(manager, *TARGET_M, Wind.unknown_direction(SPEED_MPS))
    assert decision.wind_direction_known is False and decision.wind_speed_mps == SPEED_MPS
    got = etas(decision)
    assert set(got) == {"D01", "D02", "D03"}
    for entry in manager.registry:
        p = entry.reach
        dx, dy = TARGET_M[0] - entry.x_m, TARGET_M[1] - entry.y_m
        headwind = Wind.unknown_direction(SPEED_MPS).against(dx, dy)
        expected = overhead_s(p) + float(wind_cruise_time_s(dx, dy, headwind, p.cruise_mps, p.accel_mps2))
        assert got[entry.dock_id] == pytest.approx(expected, rel=1e-9)
    for from_deg in np.arange(0.0, 360.0, 15.0):
        known = etas(plan(manager, *TARGET_M, Wind(SPEED_MPS, float(from_deg))))
        assert all(got[d] >= known[d] - 1e-6 for d in got), from_deg


def test_the_choice_no_longer_depends_on_an_arbitrary_direction() -> None:
    manager = fleet()
    # with a known wind the winner follows the direction: from the east D02 flies downwind
    by_direction = {plan(manager, *TARGET_M, Wind(SPEED_MPS, d)).dock_id for d in (90.0, 270.0)}
    assert by_direction == {"D01", "D02"}
    # unknown: the placeholder direction is ignored, and the nearer dock answers
    unknown = [
        plan(manager, *TARGET_M, Wind(SPEED_MPS, d, direction_known=False)) for d in (0.0, 90.0, 270.0)
    ]
    assert {d.dock_id for d in unknown} == {"D01"}
    assert len({d.eta_s for d in unknown}) == 1
    assert len({tuple((r.dock_id, r.eta_s) for r in d.rejected) for d in unknown}) == 1


def test_the_energy_gate_takes_the_worst_round_trip() -> None:
    manager = fleet()
    lon, lat = to_wgs84(*TARGET_M)
    unknown = manager.candidates(SortieSpec(lon, lat, wind=Wind.unknown_direction(10.0)))
    crosswind = manager.candidates(SortieSpec(lon, lat, wind=Wind(10.0, 0.0)))
    need = {c.dock_id: c.availability.needed_pct for c in unknown}
    need_cross = {c.dock_id: c.availability.needed_pct for c in crosswind}
    assert all(need[d] is not None and need_cross[d] is not None for d in need)
    assert all(need[d] > need_cross[d] for d in need)  # type: ignore[operator]


def test_the_docks_speed_comes_with_an_unknown_direction_unless_one_is_given() -> None:
    manager = fleet()
    wind = wind_from_docks(manager)  # every healthy dock reports 2 m/s
    assert wind.speed_mps == 2.0 and wind.unknown and not wind.direction_known
    assert wind_from_docks(manager, 225.0) == Wind(2.0, 225.0)
    lon, lat = to_wgs84(*TARGET_M)
    planner = Planner(dock_sites(manager.registry), to_local)
    decision = planner.plan("M1", lon, lat, manager.candidates(SortieSpec(lon, lat, wind=wind)), wind)
    assert decision.wind_direction_known is False


def test_a_coverage_tie_break_averages_the_directions_instead_of_using_a_placeholder() -> None:
    # D01 and D02 equally far from the point: with an unknown direction both ETAs are the same
    # headwind ETA, and the tie goes to the dock whose departure uncovers less on average.
    manager = fleet()
    frame = LocalFrame.auto(*to_wgs84(0.0, 0.0))
    sites = dock_sites(manager.registry)
    coverage = UncoveredArea(
        District("line", frame, box(-9000.0, -2000.0, 9000.0, 2000.0)), sites, None, 300.0
    )
    decisions = [
        plan(manager, 1500.0, 0.0, Wind(SPEED_MPS, d, direction_known=False), coverage=coverage)
        for d in (0.0, 90.0, 270.0)
    ]
    assert {d.dock_id for d in decisions} == {"D02"}
    lost = next(r for r in decisions[0].rejected if r.dock_id == "D01")
    assert lost.reason_code == "coverage"
    mean = {
        gone: sum(
            coverage.uncovered_km2(frozenset({"D01", "D02", "D03"} - {gone}), Wind(SPEED_MPS, d))
            for d in TIE_DIRECTIONS_DEG
        )
        / len(TIE_DIRECTIONS_DEG)
        for gone in ("D01", "D02")
    }
    assert mean["D01"] > mean["D02"]
    assert f"{mean['D01']:.2f} km²" in lost.reason
