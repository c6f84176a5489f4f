"""The console's views of the fleet, built from a :class:`fleet.manager.FleetManager`: docks with
state and availability, drones, and geo's coverage report for the docks available now.

Pure functions over the manager and the planning inputs, so the composition root's backend and the
tests' backend answer the same way.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import shapely

from fleet.manager import FleetManager
from geo.coverage import coverage_report
from geo.model import Wind
from mission.api.backend import CoverageNow, DockView, DroneView
from mission.geo_config import PlanningInputs


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
    """Coverage at the planning target by every planning dock not in ``unavailable``, in WGS84.
    The wind-limit search is skipped: the console asks about now, not when it would break."""
    report = coverage_report(
        planning.district,
        planning.docks,
        wind,
        k,
        planning.router,
        planning.target_s,
        tuple(unavailable),
        with_wind_limit=False,
    )
    frame = planning.district.frame
    worst = report.worst_response_s
    point: tuple[float, float] | None = None
    if all(math.isfinite(c) for c in report.worst_point_m):
        lon, lat = frame.to_wgs84(*report.worst_point_m)
        point = (float(lon), float(lat))
    uncovered: dict[str, Any] | None = None
    if not report.uncovered_m.is_empty:
        uncovered = shapely.geometry.mapping(frame.geom_to_wgs84(report.uncovered_m))
    return CoverageNow(
        k=k,
        target_s=report.target_s,
        wind_speed_mps=wind.speed_mps,
        wind_from_deg=wind.from_deg,
        available=report.available,
        unavailable=dict(unavailable),
        grounded=report.grounded,
        demand_area_km2=report.demand_area_km2,
        covered_fraction=report.covered_fraction,
        uncovered_area_km2=report.uncovered_area_km2,
        worst_response_s=worst if math.isfinite(worst) else None,
        worst_point_lon_lat=point,
        guarantee_holds=report.guarantee_holds,
        uncovered_geojson=uncovered,
    )


async def coverage_now(
    planning: PlanningInputs, manager: FleetManager, wind: Wind, k: int = 1
) -> CoverageNow:
    """Coverage by the docks available now: availability is read on the event loop (the manager is
    not thread-safe), the geometry (up to seconds for a district) runs in a worker thread."""
    unavailable = unavailable_now(planning, manager)
    return await asyncio.to_thread(coverage_without, planning, unavailable, wind, k)
