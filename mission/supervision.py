"""Supervision rules of the executor: its settings, the battery budget of a watch, and the choice
of the dock a drone returns to. Pure functions; :mod:`mission.executor` applies them.

The battery budget's reserve and endurance are the planner's: the drone's home dock's
:class:`geo.model.EnergyParams` in the fleet registry (``[planning.energy] reserve_pct``, the dock
type's ``flight_endurance_s``), never settings of their own."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fleet.drone_model import DroneTelemetry
from fleet.flight_waits import distance_m, horizontal_distance_m
from fleet.model import DockState
from fleet.registry import FleetRegistry
from geo.model import EnergyParams
from mission.lifecycle import LifecycleParams
from mission.retask_policy import RetaskPolicy

#: Keys ``[missions]`` once had, and where the one value the planner and the executor share lives.
_MOVED = {
    "reserve_pct": "[planning.energy] reserve_pct",
    "flight_endurance_s": "[dock_types.<type>] flight_endurance_s (a drone's is its dock type's)",
}


#: The executor's flight values that are the planner's (``[planning.reach]``, copied in by
#: :class:`mission.settings.Settings`): missions fly what was priced.
PLANNED_FLIGHT = ("cruise_height_m", "on_scene_height_m", "cruise_mps")


class ExecutorSettings(BaseModel):
    """Heights, timeouts, the watch budget and the relief lead of missions in flight. The reserve and
    endurance are the planner's (see the module docstring); so are the heights and the cruise speed
    (:data:`PLANNED_FLIGHT`), which the application's settings copy in from ``[planning.reach]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cruise_height_m: float = Field(100.0, gt=0, le=500)
    on_scene_height_m: float = Field(100.0, gt=0, le=500)
    orbit_radius_m: float = Field(40.0, gt=0)
    orbit_speed_mps: float = Field(4.0, gt=0)
    cruise_mps: float = Field(15.0, gt=0, le=30, description="for arrival timeouts and the return budget")
    arrive_radius_m: float = Field(15.0, gt=0, description="within this of the point counts as arrived")
    takeoff_timeout_s: float = Field(90.0, gt=0)
    fence_wait_s: float = Field(
        30.0, gt=0, description="wall seconds a take-off waits for the keep-out geofence to be on board"
    )
    min_flight_timeout_s: float = Field(120.0, gt=0, description="a go-to waits at least this long")
    land_timeout_s: float = Field(300.0, gt=0)
    watch_budget_s: float = Field(1200.0, gt=0, description="longest watch before coming home")
    relief_lead_pct: float = Field(10.0, ge=0, description="ask for relief this much before going home")
    speaker_lang: str = Field("zh", pattern="^(zh|en)$")
    store_retries: int = Field(3, ge=1)
    retask: RetaskPolicy = RetaskPolicy()

    @model_validator(mode="before")
    @classmethod
    def _no_own_energy(cls, data: Any) -> Any:
        """An old config's own reserve or endurance is refused, saying where they are set now."""
        if isinstance(data, dict):
            moved = [key for key in _MOVED if key in data]
            if moved:
                raise ValueError(
                    "; ".join(f"{key} is no longer a [missions] setting, set {_MOVED[key]}" for key in moved)
                    + " (one value for planning and flight)"
                )
        return data

    def lifecycle(self) -> LifecycleParams:
        return LifecycleParams(
            cruise_height_m=self.cruise_height_m,
            on_scene_height_m=self.on_scene_height_m,
            orbit_radius_m=self.orbit_radius_m,
            orbit_speed_mps=self.orbit_speed_mps,
        )

    def flight_timeout_s(self, distance_m: float) -> float:
        """How long a go-to over ``distance_m`` may take: three times the cruise time, at least the
        minimum (climbs, wind and turns)."""
        return max(self.min_flight_timeout_s, 3.0 * distance_m / self.cruise_mps)


@dataclass(frozen=True)
class BatteryBudget:
    """Thresholds for a drone ``home_m`` from the dock it returns to."""

    return_pct: float  # at or below: come home now
    relief_pct: float  # at or below: ask for a relief drone

    @classmethod
    def for_distance(cls, home_m: float, energy: EnergyParams, s: ExecutorSettings) -> BatteryBudget:
        """The planner's reserve plus the share of a battery the flight home takes (energy ∝ flight
        time at cruise speed over the drone's endurance); relief ``relief_lead_pct`` earlier.

        >>> e = EnergyParams(flight_endurance_s=3000.0, reserve_pct=25.0)
        >>> b = BatteryBudget.for_distance(4500.0, e, ExecutorSettings())
        >>> (b.return_pct, b.relief_pct)
        (35.0, 45.0)
        """
        home_pct = 100.0 * (home_m / s.cruise_mps) / energy.flight_endurance_s
        need = round(energy.reserve_pct + home_pct, 1)
        return cls(return_pct=need, relief_pct=need + s.relief_lead_pct)


@dataclass(frozen=True)
class DockOption:
    dock_id: str
    lat_deg: float
    lon_deg: float
    state: DockState | None
    assigned_to: str | None  # the mission the fleet manager says it serves


def can_take(option: DockOption, mission_id: str, own_dock_id: str | None) -> bool:
    """An online dock without a drone inside, serving no other mission (the own dock is empty by
    definition while its drone flies, unless its OSD says otherwise)."""
    s = option.state
    if s is None or not s.online:
        return False
    if option.assigned_to not in (None, mission_id):
        return False
    if s.drone_in_dock and option.dock_id != own_dock_id:
        return False
    return not s.faults


def choose_return_dock(
    options: Iterable[DockOption],
    lat_deg: float | None,
    lon_deg: float | None,
    mission_id: str,
    preferred: str | None,
) -> str | None:
    """The preferred (own) dock when it can take the drone, else the nearest one that can; None if
    no dock can."""
    usable = [o for o in options if can_take(o, mission_id, preferred)]
    if any(o.dock_id == preferred for o in usable):
        return preferred
    if not usable:
        return None
    if lat_deg is None or lon_deg is None:
        return usable[0].dock_id

    def dist(o: DockOption) -> float:
        return distance_m(lat_deg, lon_deg, o.lat_deg, o.lon_deg) if math.isfinite(o.lat_deg) else math.inf

    return min(usable, key=dist).dock_id


def dock_at(registry: FleetRegistry, telemetry: DroneTelemetry, within_m: float = 30.0) -> str | None:
    """The dock the drone is on (within ``within_m``), if any."""
    for entry in registry:
        if horizontal_distance_m(telemetry.position, entry.record.lat_deg, entry.record.lon_deg) <= within_m:
            return entry.dock_id
    return None
