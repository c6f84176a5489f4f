"""The sim airframes fly the cruise speed the planner prices."""

from __future__ import annotations

from mission.app_sim import SimOptions, SimWorld, airframe_params
from mission.settings import load_settings


def test_sim_vehicles_cruise_at_the_planned_speed_within_their_speed_cap() -> None:
    settings = load_settings()
    cruise_mps = settings.planning.reach.cruise_mps
    assert airframe_params(settings) == {"MPC_XY_CRUISE": cruise_mps, "MPC_XY_VEL_MAX": max(12.0, cruise_mps)}
    world = SimWorld(settings, SimOptions(dock_count=2))
    assert [dict(c.params) for c in world.vehicle_configs] == [airframe_params(settings)] * 2
