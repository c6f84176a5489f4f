"""The console's views of the fleet, built from a :class:`fleet.manager.FleetManager`: docks with
state and availability, drones, and geo's coverage report for the docks available now.

Pure functions over the manager and the planning inputs, so the composition root's backend and the
tests' backend answer the same way; coverage answers may come from a
:class:`mission.coverage_now.CoverageCache` (the composition root's backend keeps one).
"""

from __future__ import annotations

import asyncio

from fleet.manager import FleetManager
from geo.coverage import coverage_report
from geo.model import Wind
from mission.api.backend import CoverageNow, DockView, DroneView
from mission.coverage_now import UNKNOWN_WIND_DIRECTIONS_DEG, CoverageCache, as_coverage_now, worst_of
from mission.geo_config import PlanningInputs

__all__ = [
    "UNKNOWN_WIND_DIRECTIONS_DEG",
    "coverage_now",
    "coverage_without",
    "dock_views",
    "drone_views",
    "unavailable_now",
]


def dock_views(manager: FleetManager) -> list[DockView]:
    """Every registered dock, in registry order."""
    snap = manager.snapshot()
    out = []
    for entry in manager.registry:
        rec = entry.record
        out.append(
            DockView(
                dock_id=entry.dock_id,
                name=rec.name,
                dock_type=rec.dock_type,
                lon_deg=rec.lon_deg,
                lat_deg=rec.lat_deg,
                drone_id=entry.drone_id,
                state=snap.docks.get(entry.dock_id),
                availability=manager.availability(entry.dock_id),
                mission_id=snap.assignments.get(entry.dock_id),
                maintenance_note=snap.maintenance.get(entry.dock_id),
            )
        )
    return out


def drone_views(manager: FleetManager) -> list[DroneView]:
    """Every registered drone with its home dock, in registry order."""
    snap = manager.snapshot()
    return [
        DroneView(
            drone_id=entry.drone_id,
            dock_id=entry.dock_id,
            state=snap.drones.get(entry.drone_id),
            mission_id=snap.assignments.get(entry.dock_id),
        )
        for entry in manager.registry
    ]


def unavailable_now(planning: PlanningInputs, manager: FleetManager) -> dict[str, str]:
    """Dock id → why it cannot launch now, for every planning dock (unknown to the fleet counts)."""
    unavailable: dict[str, str] = {}
    for dock in planning.docks:
        if dock.id not in manager.registry:
            unavailable[dock.id] = "not in the fleet registry"
            continue
        availability = manager.availability(dock.id)
        if not availability.available:
            unavailable[dock.id] = availability.summary
    return unavailable


def coverage_without(
    planning: PlanningInputs, unavailable: dict[str, str], wind: Wind, k: int = 1
) -> CoverageNow:
    """Coverage at the planning target by every planning dock not in ``unavailable``, in WGS84,
    computed from scratch: the reference a :class:`mission.coverage_now.CoverageCache` answers as.
    The wind-limit search is skipped: the console asks about now, not when it would break.
    With an unknown wind direction, the worst of :data:`UNKNOWN_WIND_DIRECTIONS_DEG` (the most
    area uncovered, then the slowest worst point) is reported, with its direction."""
    winds = [Wind(wind.speed_mps, d) for d in UNKNOWN_WIND_DIRECTIONS_DEG] if wind.unknown else [wind]
    report = worst_of(
        coverage_report(
            planning.district,
            planning.docks,
            w,
            k,
            planning.router,
            planning.target_s,
            tuple(unavailable),
            with_wind_limit=False,
        )
        for w in winds
    )
    return as_coverage_now(planning, report, wind, unavailable, k)


async def coverage_now(
    planning: PlanningInputs,
    manager: FleetManager,
    wind: Wind,
    k: int = 1,
    cache: CoverageCache | None = None,
) -> CoverageNow:
    """Coverage by the docks available now: availability is read on the event loop (the manager is
    not thread-safe), the geometry (up to seconds for a district) runs in a worker thread. With a
    ``cache`` (of these planning inputs) the answer is its kept one for these docks and the wind
    on its steps (:class:`mission.coverage_now.CoverageCache`); without, it is computed anew."""
    unavailable = unavailable_now(planning, manager)
    if cache is not None:
        return await cache.coverage_now(unavailable, wind, k)
    return await asyncio.to_thread(coverage_without, planning, unavailable, wind, k)
