"""The mission runner: one asyncio task per active mission, in a TaskGroup it owns.

``await runner.run()`` in the application's TaskGroup; then ``launch`` a new mission (stored first),
``resume`` one rebuilt after a restart (:mod:`mission.recovery`), ``send`` it events (the planner's
``Planned``, a resolved case's ``WatchEnded``) and ``command`` it (operators: checked against the
mission's state first, so the caller can answer 409 at once). ``stop()`` cancels every run and
returns once they have ended.
"""

from __future__ import annotations

import asyncio
import functools
import logging

from mission.executor import ExecutorDeps, MissionRun
from mission.lifecycle import transition
from mission.lifecycle_types import MissionInput
from mission.model import Mission, MissionEvent, MissionState, utc_now

log = logging.getLogger(__name__)


class UnknownMission(LookupError):
    """No running mission with that id (it never started here, or it is over)."""


class MissionRunner:
    """Runs every active mission of this mission-control instance (see the module docstring)."""

    def __init__(self, deps: ExecutorDeps) -> None:
        self.deps = deps
        deps.tell = self.send
        self._runs: dict[str, MissionRun] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._tg: asyncio.TaskGroup | None = None
        self._stop = asyncio.Event()
        self._started = asyncio.Event()

    async def run(self) -> None:
        """Own the mission tasks until :meth:`stop` (then cancel them and wait for them)."""
        async with asyncio.TaskGroup() as tg:
            self._tg = tg
            self._started.set()
            try:
                await self._stop.wait()
            finally:
                for task in self._tasks.values():
                    task.cancel()
        self._tg = None

    async def started(self) -> None:
        await self._started.wait()

    def stop(self) -> None:
        self._stop.set()

    @property
    def active(self) -> list[str]:
        return list(self._runs)

    def get(self, mission_id: str) -> MissionRun:
        try:
            return self._runs[mission_id]
        except KeyError:
            raise UnknownMission(f"mission {mission_id} is not running") from None

    async def launch(self, mission: Mission, first: MissionInput | None = None) -> MissionRun:
        """Store a new (``requested``) mission with its first log entry, start it, and post ``first``
        (typically the planner's ``Planned``)."""
        if mission.state is not MissionState.REQUESTED:
            raise ValueError(f"a new mission starts requested, not {mission.state}")
        entry = MissionEvent(
            mission.id,
            1,
            "state",
            utc_now(),
            None,
            MissionState.REQUESTED,
            mission.requested_by,
            {"event": "requested", "kind": str(mission.kind)},
        )
        await self.deps.store.add_mission(mission, entry)
        return self.resume(mission, 1, () if first is None else (first,))

    def resume(self, mission: Mission, last_seq: int, events: tuple[MissionInput, ...] = ()) -> MissionRun:
        """Run a mission already in the store (``last_seq``: its last event), posting ``events`` first."""
        if self._tg is None:
            raise RuntimeError("the runner is not running (await run() in a TaskGroup first)")
        if mission.id in self._runs:
            raise ValueError(f"mission {mission.id} is already running")
        if mission.state.terminal:
            raise ValueError(f"mission {mission.id} is over ({mission.state})")
        run = MissionRun(mission, last_seq, self.deps)
        for event in events:
            run.post(event)
        self._runs[mission.id] = run
        task = self._tg.create_task(run.run(), name=f"mission:{mission.id}")
        self._tasks[mission.id] = task
        task.add_done_callback(functools.partial(self._ended, mission.id))
        return run

    def _ended(self, mission_id: str, _task: object = None) -> None:
        self._runs.pop(mission_id, None)
        self._tasks.pop(mission_id, None)

    def send(self, mission_id: str, event: MissionInput) -> bool:
        """Post an event to a running mission; False if it is not running."""
        run = self._runs.get(mission_id)
        if run is None:
            return False
        run.post(event)
        return True

    def command(self, mission_id: str, event: MissionInput) -> None:
        """Post an operator command after checking it against the mission's current state:
        ``UnknownMission`` or :class:`mission.lifecycle.InvalidTransition` otherwise."""
        run = self.get(mission_id)
        transition(run.mission, event, seq=run.seq + 1, params=run.params)  # raises if not possible now
        run.post(event)
