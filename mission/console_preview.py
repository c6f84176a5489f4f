"""The launch preview for the console: what the planner would decide for a click on the map now."""

from __future__ import annotations

from fleet.model import SortieSpec
from mission.dispatch import Dispatcher
from mission.model import AlertType, DispatchDecision
from mission.ports import MissionStore
from mission.retask_policy import retaskable_now
from mission.runner import MissionRunner
from mission.settings import Settings

#: The ``mission_id`` of a launch preview's decision (never stored).
PREVIEW_ID = "preview"


async def preview_launch(
    dispatcher: Dispatcher,
    runner: MissionRunner,
    store: MissionStore,
    settings: Settings,
    lon_deg: float,
    lat_deg: float,
) -> DispatchDecision:
    """The dispatcher's planner on the fleet's candidates now, in the wind it plans with; nothing
    is stored or reserved (a launch that follows plans again and may differ if the fleet moved).
    Airborne drones count as a click-launch (a ``manual`` incident) would re-task them."""
    wind = dispatcher.wind()
    spec = SortieSpec(lon_deg, lat_deg, dispatcher.on_scene_s, wind=wind)
    priority = settings.alerts.policy(AlertType.MANUAL).priority
    retaskable = await retaskable_now(runner, store, settings.missions.retask, priority)
    candidates = dispatcher.fleet.candidates(spec)
    return dispatcher.planner.plan(PREVIEW_ID, lon_deg, lat_deg, candidates, wind, retaskable=retaskable)
