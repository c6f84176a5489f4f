"""Response schemas of the fleet routes (docks, drones, coverage): the API's contract, kept apart
from the domain dataclasses so that either can change without silently changing the other."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from fleet.model import Availability, CoverStatus, DockActivity, DockState, DroneState
from mission.api.backend import CoverageNow, DockView, DroneView


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ReasonOut(_Out):
    code: str
    text: str
    value: float | None = None
    limit: float | None = None


class AvailabilityOut(_Out):
    available: bool
    summary: str
    reasons: list[ReasonOut]
    battery_pct: float | None = None
    needed_pct: float | None = None
    margin_pct: float | None = None
    ready_in_s: float | None = None
    notes: list[str] = []

    @classmethod
    def of(cls, a: Availability) -> AvailabilityOut:
        return cls(
            available=a.available,
            summary=a.summary,
            reasons=[
                ReasonOut(code=r.code.value, text=r.text, value=r.value, limit=r.limit) for r in a.reasons
            ],
            battery_pct=a.battery_pct,
            needed_pct=a.needed_pct,
            margin_pct=a.margin_pct,
            ready_in_s=a.ready_in_s,
            notes=list(a.notes),
        )


class DockStateOut(_Out):
    online: bool
    activity: DockActivity
    cover: CoverStatus
    drone_in_dock: bool | None
    battery_pct: float | None
    charging: bool
    wind_mps: float | None
    rain_level: int | None
    temperature_c: float | None
    network_quality: int | None
    faults: list[str]
    restored: bool

    @classmethod
    def of(cls, s: DockState) -> DockStateOut:
        w = s.weather
        return cls(
            online=s.online,
            activity=s.activity,
            cover=s.cover,
            drone_in_dock=s.drone_in_dock,
            battery_pct=s.battery_pct,
            charging=s.charging,
            wind_mps=w.wind_mps,
            rain_level=None if w.rain is None else int(w.rain),
            temperature_c=w.temperature_c,
            network_quality=s.network_quality,
            faults=list(s.faults),
            restored=s.restored,
        )


class DockOut(_Out):
    id: str
    name: str
    dock_type: str
    lon_deg: float
    lat_deg: float
    drone_id: str
    mission_id: str | None
    maintenance_note: str | None
    state: DockStateOut | None
    availability: AvailabilityOut

    @classmethod
    def of(cls, d: DockView) -> DockOut:
        return cls(
            id=d.dock_id,
            name=d.name,
            dock_type=d.dock_type,
            lon_deg=d.lon_deg,
            lat_deg=d.lat_deg,
            drone_id=d.drone_id,
            mission_id=d.mission_id,
            maintenance_note=d.maintenance_note,
            state=None if d.state is None else DockStateOut.of(d.state),
            availability=AvailabilityOut.of(d.availability),
        )


class DroneStateOut(_Out):
    lon_deg: float | None
    lat_deg: float | None
    rel_alt_m: float | None
    in_air: bool
    armed: bool
    battery_pct: float | None
    link_ok: bool
    flight_mode: str
    restored: bool

    @classmethod
    def of(cls, s: DroneState) -> DroneStateOut:
        return cls.model_validate(s)


class DroneOut(_Out):
    id: str
    dock_id: str
    mission_id: str | None
    state: DroneStateOut | None

    @classmethod
    def of(cls, d: DroneView) -> DroneOut:
        state = None if d.state is None else DroneStateOut.of(d.state)
        return cls(id=d.drone_id, dock_id=d.dock_id, mission_id=d.mission_id, state=state)


class CoverageOut(_Out):
    k: int
    target_s: float
    wind_speed_mps: float
    wind_from_deg: float  # with an unknown direction: the worst of the directions evaluated
    wind_direction_known: bool
    available: list[str]
    unavailable: dict[str, str]
    grounded: list[str]
    demand_area_km2: float
    covered_fraction: float
    uncovered_area_km2: float
    worst_response_s: float | None
    worst_point_lon_lat: tuple[float, float] | None
    guarantee_holds: bool
    uncovered_geojson: dict[str, Any] | None

    @classmethod
    def of(cls, c: CoverageNow) -> CoverageOut:
        return cls.model_validate(c)
