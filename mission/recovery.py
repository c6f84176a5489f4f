"""After a restart of mission control: rebuild every unfinished mission and carry on.

Each mission comes back from the store (its row and the last ``seq`` of its event log) and is
checked against live telemetry: a drone that landed meanwhile (a failsafe return) gets ``Landed``,
a drone that cannot be heard gets ``LinkLost``, one that is where its state says gets ``Resumed``
(the lifecycle re-issues what the state needs: the go-to, the orbit and watch, the return, the
cover; a go-to or return is routed around the keep-out zones again from where the drone is
now). With ``bring_home`` a drone working for an incident is sent home instead. Missions still
``requested`` are left to the planner (reported as such).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from fleet.drone_model import DroneTelemetry, LinkState
from fleet.errors import DroneError
from fleet.ports import DroneLink
from fleet.registry import FleetRegistry
from mission.lifecycle import AIRBORNE, ON_TASK
from mission.lifecycle_types import Airborne, Landed, LinkLost, MissionInput, Resumed, Return
from mission.model import Mission, MissionState
from mission.ports import MissionStore
from mission.runner import MissionRunner
from mission.supervision import dock_at

log = logging.getLogger(__name__)
S = MissionState


class ResumePolicy(StrEnum):
    CARRY_ON = "carry_on"
    BRING_HOME = "bring_home"


@dataclass(frozen=True)
class Recovered:
    """What recovery did with one mission."""

    mission_id: str
    state: MissionState
    posted: tuple[str, ...]  # names of the events posted to it
    running: bool  # handed to the runner (False: left for the planner, or it failed to start)
    note: str = ""


def resume_inputs(
    mission: Mission,
    telemetry: DroneTelemetry | None,
    dock_under: str | None,
    policy: ResumePolicy = ResumePolicy.CARRY_ON,
) -> tuple[MissionInput, ...]:
    """The events that carry ``mission`` on, given what its drone reports now (pure)."""
    st = mission.state
    if st is S.REQUESTED or st.terminal:
        return ()
    if st is S.PLANNED and telemetry is not None and _flying(telemetry):
        return (Airborne(),)  # a drone re-tasked in the air: no dock preparation, straight en route
    if st in (S.PLANNED, S.LANDED):
        return (Resumed(),)
    heard = telemetry is not None and telemetry.link is LinkState.ONLINE
    if not heard:
        return (LinkLost("no telemetry after mission control restarted"),)
    assert telemetry is not None
    flying = _flying(telemetry)
    if st is S.LAUNCHING:
        return (Airborne(),) if flying else (Resumed(),)
    if flying is None:  # a fresh link has not said yet: never conclude "landed" from silence
        return (LinkLost("in-air state unknown after mission control restarted"),)
    if not flying:
        return (Landed(dock_under),)
    if policy is ResumePolicy.BRING_HOME and st in ON_TASK:
        return (Return("recovery"),)
    return (Resumed(),)


def _flying(telemetry: DroneTelemetry) -> bool | None:
    """In the air? From the autopilot's in-air flag, else from the height above home; None if unknown."""
    if telemetry.in_air is not None:
        return telemetry.in_air
    if telemetry.position is not None:
        return telemetry.position.rel_alt_m > 2.0
    return None


async def recover(
    store: MissionStore,
    runner: MissionRunner,
    drones: Callable[[str], DroneLink],
    registry: FleetRegistry,
    *,
    policy: ResumePolicy = ResumePolicy.CARRY_ON,
    connect_timeout_s: float = 10.0,
) -> list[Recovered]:
    """Resume every unfinished mission on ``runner`` (which must be running)."""
    out: list[Recovered] = []
    for mission in await store.unfinished_missions():
        events = await store.mission_events(mission.id)
        last_seq = events[-1].seq if events else 0
        telemetry = await _telemetry(mission, drones, connect_timeout_s)
        under = dock_at(registry, telemetry) if telemetry is not None else None
        inputs = resume_inputs(mission, telemetry, under, policy)
        names = tuple(e.name for e in inputs)
        if mission.state is S.REQUESTED:
            out.append(Recovered(mission.id, mission.state, names, False, "waiting for the planner"))
            continue
        try:
            runner.resume(mission, last_seq, inputs)
        except (ValueError, RuntimeError) as exc:
            log.error("mission %s: not resumed: %s", mission.id, exc)
            out.append(Recovered(mission.id, mission.state, names, False, str(exc)))
            continue
        log.info("mission %s (%s) resumed with %s", mission.id, mission.state, ", ".join(names) or "nothing")
        out.append(Recovered(mission.id, mission.state, names, True))
    return out


async def _telemetry(
    mission: Mission, drones: Callable[[str], DroneLink], timeout_s: float
) -> DroneTelemetry | None:
    """The drone's telemetry once its link is up (None: no drone, unknown, or silent)."""
    if mission.drone_id is None or mission.state not in AIRBORNE:
        return None
    try:
        link = drones(mission.drone_id)
        if link.link_state is not LinkState.ONLINE:
            await link.connect(timeout_s)
        return link.telemetry()
    except (DroneError, LookupError) as exc:
        log.warning("mission %s: drone %s: %s", mission.id, mission.drone_id, exc)
        return None
