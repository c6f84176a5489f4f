"""Which airborne missions the dispatcher may take a drone from (issue 6, deliverable 2).

A small explicit policy, ``[missions.retask]`` in the settings. The planner only ever considers a
drone the fleet manager offers as a flying candidate, whose battery it has checked for the new
sortie with the reserve (docs/fleet.md); this policy says whose *mission* may give the drone up:

- a drone returning home normally (``returning``), never one coming home because its mission is
  ending aborted or failed (``end_state`` set);
- a drone on the way to, or watching, an incident of lower priority (``lower_priority``) when the new
  one outranks it by at least ``min_priority_gap`` (priority 1 is the most urgent);
- never a drone serving an incident of the same or higher priority, never one still climbing out of
  its dock or already landed.

:func:`retaskable_missions` is pure (the active missions with their incidents' priorities);
:func:`retaskable_now` gathers them from the runner and the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from mission.model import Mission, MissionState
from mission.ports import MissionStore, NotFound

if TYPE_CHECKING:  # the runner imports the executor, whose settings hold this policy
    from mission.runner import MissionRunner

S = MissionState
_WORKING = frozenset({S.EN_ROUTE, S.ON_SCENE, S.SUPERVISING})


class RetaskPolicy(BaseModel):
    """``[missions.retask]``: which airborne missions may hand their drone to a new one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    returning: bool = Field(True, description="a drone flying home (normally) may be re-tasked")
    lower_priority: bool = Field(
        True, description="a drone en route to / watching a lower-priority incident may be taken"
    )
    min_priority_gap: int = Field(1, ge=1, le=4, description="how much more urgent the new incident")


@dataclass(frozen=True)
class ActiveMission:
    """A running mission and its incident's priority (None: no incident, e.g. a manual point)."""

    mission: Mission
    priority: int | None


def retaskable_missions(
    policy: RetaskPolicy, new_priority: int | None, active: Iterable[ActiveMission]
) -> frozenset[str]:
    """The ids of the missions whose flying drone the dispatcher may re-task for a new mission to an
    incident of ``new_priority`` (None: unknown, only returning drones)."""
    out: set[str] = set()
    for a in active:
        m = a.mission
        if m.state.terminal or m.end_state is not None or m.drone_id is None:
            continue
        going_home = m.state is S.RETURNING and policy.returning
        outranked = m.state in _WORKING and policy.lower_priority
        if going_home or (outranked and _outranks(new_priority, a.priority, policy)):
            out.add(m.id)
    return frozenset(out)


def _outranks(new: int | None, old: int | None, policy: RetaskPolicy) -> bool:
    if new is None or old is None:
        return False
    return old - new >= policy.min_priority_gap


async def retaskable_now(
    runner: MissionRunner, store: MissionStore, policy: RetaskPolicy, new_priority: int | None
) -> frozenset[str]:
    """:func:`retaskable_missions` over the runner's running missions (their incidents' priorities
    read from the store; an incident that cannot be read counts as unknown, so only a returning
    drone of it can be taken)."""
    active: list[ActiveMission] = []
    priorities: dict[str, int | None] = {}
    for mission_id in runner.active:
        try:
            m = runner.get(mission_id).mission
        except LookupError:  # mission.runner.UnknownMission: it ended meanwhile
            continue
        if m.incident_id is not None and m.incident_id not in priorities:
            try:
                priorities[m.incident_id] = (await store.get_incident(m.incident_id)).priority
            except NotFound:
                priorities[m.incident_id] = None
        active.append(ActiveMission(m, priorities.get(m.incident_id or "")))
    return retaskable_missions(policy, new_priority, active)
