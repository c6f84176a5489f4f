"""The verification revisit: when the grid platform reports a case resolved, the watching drone is
released and a drone goes back to look (docs/grid.md, "Callbacks").

:class:`RevisitVerifier` implements :class:`mission.grid_callbacks.VerificationRequester`:

1. the mission that found the lead (still watching) is told ``WatchEnded("case_handled")``;
2. a ``verify`` mission is launched to the lead's position (planned like any other: the best able
   dock, the decision stored);
3. the payload's ``ai_detection`` events of that mission (``flight_id`` = the mission's id) are
   collected while it is on scene; once it has looked for ``look_s`` (sim seconds) in supervision,
   or its watch ended, :func:`mission.leads.revisit_outcome` turns them into ``(cleared, after)``,
   :meth:`GridCallbacks.verified` reports it (closing the case when cleared) and the drone is told
   ``WatchEnded("verified")`` so that it comes home.

A revisit that never gets on scene (aborted, failed, nothing could go) reports nothing: the lead
stays ``resolved`` and the platform's next ``resolved`` (or a restart's
:meth:`GridCallbacks.pending_verifications`) asks again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from docks.ports import DockLink
from docks.protocol import Channel, Message
from docks.protocol.payload import AiDetection
from fleet.clock import Clock
from mission.grid_callbacks import GridCallbacks
from mission.leads import revisit_outcome
from mission.lifecycle_types import WatchEnded
from mission.model import Incident, Lead, Mission, MissionKind, MissionState
from mission.ports import MissionStore, NotFound

log = logging.getLogger(__name__)

#: States in which the revisit has seen what it came for (or never will).
LOOKED = (MissionState.SUPERVISING, MissionState.RETURNING, MissionState.LANDED)


class Responder(Protocol):
    """Launches a mission to an incident (``MissionConsoleBackend.respond``)."""

    def __call__(
        self,
        incident: Incident,
        actor: str,
        *,
        kind: MissionKind = ...,
        lon_deg: float | None = ...,
        lat_deg: float | None = ...,
        relieves_mission_id: str | None = ...,
    ) -> Awaitable[Mission]: ...


Spawn = Callable[[Coroutine[Any, Any, None], str], object]
Tell = Callable[[str, WatchEnded], bool]


class RevisitVerifier:
    """See the module docstring. ``callbacks`` is set once the grid service exists (it needs the
    verifier first); ``spawn`` runs the follow-up of each revisit in mission control's TaskGroup."""

    def __init__(
        self,
        store: MissionStore,
        respond: Responder,
        tell: Tell,
        link: DockLink,
        clock: Clock,
        spawn: Spawn,
        *,
        look_s: float = 30.0,
        poll_wall_s: float = 0.5,
    ) -> None:
        self.store, self.respond, self.tell, self.link = store, respond, tell, link
        self.clock, self.spawn = clock, spawn
        self.look_s, self.poll_wall_s = look_s, poll_wall_s
        self.callbacks: GridCallbacks | None = None
        self._seen: dict[str, list[AiDetection]] = {}
        self._on_scene: set[str] = set()
        self._revisits: dict[str, tuple[str, list[Lead]]] = {}  # incident → (mission, its leads)
        self._launching = asyncio.Lock()  # leads resolved at once: one revisit per incident still
        self._detach: Callable[[], None] | None = None
        #: Revisits launched, reported, and given up (never on scene).
        self.launched = self.reported = self.gave_up = 0

    def attach(self) -> Callable[[], None]:
        """Listen for the revisits' detections on the link; returns the remover."""
        self._detach = self.link.add_listener(self._on_message)
        return self._detach

    def _on_message(self, message: Message) -> None:
        if message.channel is not Channel.EVENTS or message.method != "ai_detection":
            return
        body = message.body
        if isinstance(body, AiDetection) and body.flight_id in self._seen:
            self._seen[body.flight_id].append(body)

    async def request_verification(self, lead: Lead) -> str | None:
        """Release the watcher and launch the revisit (one per incident: a lead resolved while its
        incident's revisit is on the way joins it); its mission id, or None if none could go."""
        if lead.mission_id is not None and self.tell(lead.mission_id, WatchEnded("case_handled")):
            log.info("lead %s resolved: mission %s ends its watch", lead.id, lead.mission_id)
        if lead.incident_id is None:
            log.warning("lead %s belongs to no incident: no verification revisit", lead.id)
            return None
        async with self._launching:
            return await self._join_or_launch(lead, lead.incident_id)

    async def _join_or_launch(self, lead: Lead, incident_id: str) -> str | None:
        pending = self._revisits.get(incident_id)
        if pending is not None:
            mission_id, leads = pending
            leads.append(lead)
            log.info("lead %s joins verification mission %s", lead.id, mission_id)
            return mission_id
        try:
            incident = await self.store.get_incident(incident_id)
        except NotFound:
            log.error("lead %s: incident %s is not stored", lead.id, incident_id)
            return None
        mission = await self.respond(
            incident, f"grid:{lead.id}", kind=MissionKind.VERIFY, lon_deg=lead.lon_deg, lat_deg=lead.lat_deg
        )
        if mission.state.terminal:
            log.warning("lead %s: no drone can verify now (%s)", lead.id, mission.reason or mission.state)
            return None
        self._seen[mission.id] = []
        self._revisits[incident_id] = (mission.id, [lead])
        self.launched += 1
        self.spawn(self._follow(incident_id, mission.id), f"verify:{incident_id}")
        log.info("lead %s: verification mission %s launched", lead.id, mission.id)
        return mission.id

    async def _follow(self, incident_id: str, mission_id: str) -> None:
        """Wait until the revisit has looked, then report its outcome for each of its leads and
        send the drone home."""
        try:
            mission = await self._wait(mission_id, lambda m: m.state in LOOKED or m.state.terminal)
            if mission.state is not MissionState.SUPERVISING and mission_id not in self._on_scene:
                self.gave_up += 1
                log.warning("revisit %s ended %s without looking", mission_id, mission.state)
                return
            if mission.state is MissionState.SUPERVISING:
                await self.clock.sleep(self.look_s)
            leads = self._forget(incident_id, mission_id)
            events = self._seen.get(mission_id, [])
            self.tell(mission_id, WatchEnded("verified"))
            if self.callbacks is None:
                raise RuntimeError("the verifier has no grid callbacks")
            for lead in leads:
                cleared, after = revisit_outcome(lead, events)
                await self.callbacks.verified(lead.id, after, cleared)
                self.reported += 1
                log.info("lead %s verified by %s: %s", lead.id, mission_id, "cleared" if cleared else "seen")
        finally:
            self._forget(incident_id, mission_id)
            self._seen.pop(mission_id, None)
            self._on_scene.discard(mission_id)

    def _forget(self, incident_id: str, mission_id: str) -> list[Lead]:
        """Stop joining leads to ``mission_id``; its leads. Only this revisit's entry goes: a lead
        resolved while it reports has launched the incident's next revisit under the same key."""
        pending = self._revisits.get(incident_id)
        if pending is None or pending[0] != mission_id:
            return []
        del self._revisits[incident_id]
        return pending[1]

    async def _wait(self, mission_id: str, test: Callable[[Mission], bool]) -> Mission:
        while True:
            mission = await self.store.get_mission(mission_id)
            if mission.state in (MissionState.ON_SCENE, *LOOKED):
                self._on_scene.add(mission_id)
            if test(mission):
                return mission
            await asyncio.sleep(self.poll_wall_s)
