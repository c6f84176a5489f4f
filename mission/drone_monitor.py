"""The executor's watch on a mission's drone: battery thresholds, a lost link, a landing nobody
commanded (an autopilot failsafe). It reads telemetry and posts lifecycle events; nothing else.
The battery thresholds use the planner's reserve and the drone's endurance: its home dock's
:class:`geo.model.EnergyParams` in the fleet registry (:func:`energy_of`)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fleet.drone_model import DroneTelemetry, LinkEvent, LinkState
from fleet.flight_waits import horizontal_distance_m
from fleet.ports import DroneLink
from fleet.registry import FleetRegistry
from geo.model import EnergyParams
from mission import lifecycle_types as fx
from mission.lifecycle import ON_TASK
from mission.model import Mission, MissionState
from mission.supervision import BatteryBudget, ExecutorSettings, dock_at

log = logging.getLogger(__name__)
WATCHING = (MissionState.ON_SCENE, MissionState.SUPERVISING)


def on_ground(t: DroneTelemetry) -> bool:
    return t.in_air is False


def dock_latlon(registry: FleetRegistry, dock_id: str) -> tuple[float, float]:
    rec = registry.dock(dock_id).record
    return rec.lat_deg, rec.lon_deg


def energy_of(registry: FleetRegistry, drone_id: str) -> EnergyParams:
    """The drone's energy parameters: its home dock type's endurance and the planning reserve (the
    registry's, which the fleet's availability check also prices sorties with)."""
    return registry.dock_of_drone(drone_id).energy


def budget_for(
    mission: Mission, t: DroneTelemetry, registry: FleetRegistry, energy: EnergyParams, s: ExecutorSettings
) -> BatteryBudget:
    """The battery budget from where the drone is to the dock it returns to."""
    dock_id = mission.return_dock_id or mission.dock_id
    home_m = 0.0
    if dock_id is not None and t.position is not None:
        home_m = horizontal_distance_m(t.position, *dock_latlon(registry, dock_id))
    return BatteryBudget.for_distance(home_m, energy, s)


async def watch_drone(
    link: DroneLink,
    mission: Callable[[], Mission],
    flying_job: Callable[[], bool],
    post: Callable[[fx.MissionInput], None],
    registry: FleetRegistry,
    settings: ExecutorSettings,
    energy: EnergyParams,
) -> None:
    """Follow ``link`` until cancelled. ``mission()`` is the mission now; ``flying_job()`` says
    whether a flight job (which reports its own landing) is running; ``energy``: the drone's
    (:func:`energy_of`). Each battery threshold is posted once: relief while watching, return while
    working for the incident."""
    warned, returned, was_flying = False, False, False
    async for update in link.subscribe():
        m = mission()
        if isinstance(update, LinkEvent):
            if update.state is LinkState.OFFLINE and m.state in ON_TASK:
                post(fx.LinkLost(update.reason))
            elif (
                update.state is LinkState.ONLINE
                and update.previous is LinkState.OFFLINE
                and m.state is MissionState.RETURNING
                and not flying_job()
                and link.telemetry().in_air
            ):
                post(fx.LinkRestored())  # the autopilot's own return flies straight: take it over
            continue
        was_flying = was_flying or bool(update.in_air)
        if m.state is MissionState.RETURNING and was_flying and on_ground(update) and not flying_job():
            post(fx.Landed(dock_at(registry, update)))
            was_flying = False
        if update.battery is None or m.state not in ON_TASK:
            continue
        budget = budget_for(m, update, registry, energy, settings)
        pct = update.battery.remaining_pct
        if pct <= budget.return_pct and not returned:
            returned = True
            post(fx.BatteryLow(pct, must_return=True))
        elif pct <= budget.relief_pct and not warned and m.state in WATCHING:
            warned = True
            post(fx.BatteryLow(pct, must_return=False))
