"""Docks, drones (live state and availability with reasons) and coverage now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from mission.api.deps import BackendDep, Viewer
from mission.api.schemas_fleet import CoverageOut, DockOut, DroneOut

router = APIRouter(tags=["fleet"])


@router.get("/docks", response_model=list[DockOut], summary="Every dock with state and availability")
async def list_docks(backend: BackendDep, _: Viewer, available: bool | None = None) -> list[DockOut]:
    docks = [DockOut.of(d) for d in backend.docks()]
    return docks if available is None else [d for d in docks if d.availability.available == available]


@router.get("/docks/{dock_id}", response_model=DockOut, summary="One dock")
async def get_dock(dock_id: str, backend: BackendDep, _: Viewer) -> DockOut:
    for d in backend.docks():
        if d.dock_id == dock_id:
            return DockOut.of(d)
    raise HTTPException(404, f"no dock {dock_id!r}")


@router.get("/drones", response_model=list[DroneOut], summary="Every drone with its last telemetry")
async def list_drones(backend: BackendDep, _: Viewer) -> list[DroneOut]:
    return [DroneOut.of(d) for d in backend.drones()]


@router.get("/drones/{drone_id}", response_model=DroneOut, summary="One drone")
async def get_drone(drone_id: str, backend: BackendDep, _: Viewer) -> DroneOut:
    for d in backend.drones():
        if d.drone_id == drone_id:
            return DroneOut.of(d)
    raise HTTPException(404, f"no drone {drone_id!r}")


@router.get(
    "/coverage",
    response_model=CoverageOut,
    summary="Coverage of the district by the docks available now (geo's G1/G2 report)",
)
async def coverage(
    backend: BackendDep, _: Viewer, k: Annotated[int, Query(ge=1, le=5, description="docks per point")] = 1
) -> CoverageOut:
    return CoverageOut.of(await backend.coverage_now(k))
