"""The dispatcher: the fleet's candidates → the planner's decision → stored (with every rejection)
→ the dock reserved → the mission's ``Planned`` event.

The dock is reserved in the fleet manager (in memory, :meth:`FleetManager.assign`) before the
decision is written, so two dispatches running together never pick the same dock; if the write
fails the reservation is undone and the error raised — nothing is acted on that was not stored.
Re-tasking an airborne drone moves its dock's reservation from the mission it served (which must be
``retaskable``) to the new one; the caller tells that mission (``DispatchResult.superseded``).
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable, Collection
from dataclasses import dataclass

from fleet.manager import FleetManager
from fleet.model import SortieSpec
from geo.model import Wind
from mission.lifecycle_types import Planned
from mission.model import DispatchDecision, Mission
from mission.planner import Planner
from mission.ports import MissionStore

log = logging.getLogger(__name__)

WindSource = Callable[[], Wind]


@dataclass(frozen=True)
class DispatchResult:
    decision: DispatchDecision
    planned: Planned
    superseded: str | None = None  # the mission whose airborne drone was re-tasked


def wind_from_docks(fleet: FleetManager, from_deg: float | None = None) -> Wind:
    """The median wind speed the docks' weather stations report now (fresh, online docks only).
    The stations report no direction: with ``from_deg`` None (the default) the direction is
    unknown and the planner, the energy gate and the preview take the worst case per option
    (:meth:`geo.model.Wind.unknown_direction`); pass a forecast's direction when there is one.
    Calm when no dock reports."""
    now = fleet.clock.now_s()
    speeds = []
    for entry in fleet.registry:
        s = fleet.dock_state(entry.dock_id)
        if s is None or not s.online or s.restored or s.weather.wind_mps is None or s.osd_at_s is None:
            continue
        if now - s.osd_at_s <= fleet.limits.stale_after_s:
            speeds.append(s.weather.wind_mps)
    if not speeds:
        return Wind.calm()
    speed_mps = float(statistics.median(speeds))
    return Wind.unknown_direction(speed_mps) if from_deg is None else Wind(speed_mps, from_deg)


class Dispatcher:
    """Plans missions against the live fleet and stores each decision before it is acted on."""

    def __init__(
        self,
        fleet: FleetManager,
        planner: Planner,
        store: MissionStore,
        wind: WindSource,
        *,
        on_scene_s: float | None = None,
    ) -> None:
        self.fleet = fleet
        self.planner = planner
        self.store = store
        self.wind = wind
        self.on_scene_s = on_scene_s

    async def dispatch(self, mission: Mission, retaskable: Collection[str] = ()) -> DispatchResult:
        """Decide who answers ``mission``, store the decision, reserve the dock."""
        w = self.wind()
        spec = SortieSpec(mission.lon_deg, mission.lat_deg, self.on_scene_s, wind=w)
        candidates = self.fleet.candidates(spec)
        decision = self.planner.plan(
            mission.id, mission.lon_deg, mission.lat_deg, candidates, w, retaskable=retaskable
        )
        superseded = None
        if decision.dock_id is not None:
            current = self.fleet.assignment(decision.dock_id)
            if current is not None and current != mission.id:
                superseded = current  # only airborne re-tasking of a retaskable mission gets here
                self.fleet.release(decision.dock_id, current)
            self.fleet.assign(decision.dock_id, mission.id)
        try:
            await self.store.add_decision(decision)
        except Exception:
            if decision.dock_id is not None:
                self.fleet.release(decision.dock_id, mission.id)
                if superseded is not None:
                    self.fleet.assign(decision.dock_id, superseded)
            raise
        if decision.dock_id is None:
            log.warning(
                "mission %s: nothing can go (%d options rejected)", mission.id, len(decision.rejected)
            )
        elif decision.promise_breached:
            log.warning(
                "mission %s: %s answers in %.0f s, beyond the %.0f s promise",
                mission.id,
                decision.dock_id,
                decision.eta_s,
                decision.target_s,
            )
        planned = Planned.from_decision(decision, mission.cruise_height_m)
        return DispatchResult(decision, planned, superseded)
