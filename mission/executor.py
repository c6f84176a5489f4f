"""Carries out one mission: events in, transitions stored, effects done through the ports.

A :class:`MissionRun` owns one mission. Its loop takes events from a queue (operators, the
runner, its own jobs and monitor), asks :func:`mission.lifecycle.transition` what to do, appends the
transition to the store **before** acting, then carries out the effects in order. Short effects
(a command with its timeout) run inline; long ones run as *jobs* in a slot (``dock``, ``flight``,
``payload``, ``watch``) and post the event that follows (``DockReady``, ``Arrived``, ``Landed``, ...).
A state change cancels every running job, as does a new job in the same slot. A failure becomes an
``EffectFailed`` event, never an exception out of the loop. A monitor follows the drone's telemetry
(:mod:`mission.drone_monitor`).

The parts: :mod:`mission.executor_deps` (the ports, :class:`EffectError`),
:mod:`mission.executor_effects` (what each effect does), :mod:`mission.executor_flight` (take-off,
legs around the keep-out zones), :mod:`mission.executor_return` (the return-to-dock choice and
flight), :mod:`mission.executor_docks` (dock calls).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from mission import lifecycle_types as fx
from mission.drone_monitor import energy_of, watch_drone
from mission.executor_deps import EffectError, ExecutorDeps, NotifyFn, ReliefFn, TellFn, why
from mission.executor_docks import free_foreign_dock
from mission.executor_effects import do_effect
from mission.lifecycle import InvalidTransition, transition
from mission.lifecycle_types import Effect, MissionInput
from mission.model import Mission, MissionEvent, utc_now
from mission.ports import StoreError

__all__ = [
    "CANCELS",
    "JOB_SLOTS",
    "EffectError",
    "ExecutorDeps",
    "MissionRun",
    "NotifyFn",
    "ReliefFn",
    "TellFn",
]

log = logging.getLogger(__name__)

#: Long effects and the slot their job runs in.
JOB_SLOTS: dict[type, str] = {
    fx.PrepareDock: "dock",
    fx.CloseCover: "dock",
    fx.ConfirmAirborne: "flight",
    fx.ArmAndTakeOff: "flight",
    fx.GoTo: "flight",
    fx.ReturnToDock: "flight",
    fx.Land: "flight",
    fx.StartPayloadTasks: "payload",
    fx.StartWatch: "watch",
}
#: Short effects that still supersede a job (a new flight command ends the wait for the old one).
CANCELS: dict[type, str] = {fx.Orbit: "flight", fx.Hover: "flight", fx.StopPayloadTasks: "payload"}


class MissionRun:
    """The executor of one mission (see the module docstring). ``last_seq`` is the seq of its last
    stored event."""

    def __init__(self, mission: Mission, last_seq: int, deps: ExecutorDeps) -> None:
        self.mission = mission
        self.seq = last_seq
        self.deps = deps
        self.params = deps.settings.lifecycle()
        self._queue: asyncio.Queue[MissionInput] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self._jobs: dict[str, asyncio.Task[None]] = {}
        self._monitor: asyncio.Task[None] | None = None
        self._tg: asyncio.TaskGroup | None = None
        self.relief_requested = False
        self.foreign_dock: str | None = None  # another dock reserved (cover opened) to land in
        #: Every event taken and the outcome (``state``, ``command``, ``event``, ``ignored``, ``lost``).
        self.history: list[tuple[str, str]] = []

    def post(self, event: MissionInput) -> None:
        self._queue.put_nowait(event)

    async def run(self) -> None:
        """Take events until the mission is over (or the task is cancelled)."""
        try:
            async with asyncio.TaskGroup() as tg:
                self._tg = tg
                try:
                    self._ensure_monitor()
                    while not self.mission.state.terminal:
                        await self._apply(await self._queue.get())
                    await self._finish()
                finally:
                    self._cancel_jobs()
                    if self._monitor is not None:
                        self._monitor.cancel()
        except Exception:  # a bug, not a device failure: keep the runner alive, say so loudly
            log.exception("mission %s: executor stopped", self.mission.id)

    async def _finish(self) -> None:
        """Let the last transition's jobs (closing a dock's cover) end; log what failed after the end."""
        if self._monitor is not None:
            self._monitor.cancel()
        await asyncio.gather(*self._jobs.values(), return_exceptions=True)
        await free_foreign_dock(self)
        while not self._queue.empty():
            event = self._queue.get_nowait()
            if isinstance(event, fx.EffectFailed):
                await self.note("effect_failed", {"effect": event.effect, "why": event.reason})

    # --- transitions and the event log ---------------------------------------------------------

    async def _apply(self, event: MissionInput) -> None:
        async with self._lock:
            try:
                t = transition(self.mission, event, seq=self.seq + 1, params=self.params)
            except InvalidTransition as exc:
                log.info("%s", exc)
                self.history.append((event.name, "ignored"))
                await self._append_note("ignored", {"event": event.name, "why": str(exc)})
                return
            if not await self._append(t.record, t.mission):
                self.history.append((event.name, "lost"))
                return
            self.seq, self.mission = t.record.seq, t.mission
        self.history.append((event.name, t.record.kind))
        if t.changed_state:
            self._cancel_jobs()
        for effect in t.effects:
            await self._start(effect)
        self._ensure_monitor()

    async def _append(self, record: MissionEvent, mission: Mission | None) -> bool:
        """Store one event (retrying a failing store); False if it could not be stored."""
        tries = self.deps.settings.store_retries
        for attempt in range(tries):
            try:
                await self.deps.store.append_event(record, mission)
                return True
            except StoreError as exc:
                log.warning("mission %s: storing event %d failed: %s", record.mission_id, record.seq, exc)
                if attempt + 1 < tries:
                    await self.deps.clock.sleep(0.2 * 2**attempt)
        log.error("mission %s: event %d not stored; not acting on it", record.mission_id, record.seq)
        return False

    async def _append_note(self, kind: str, data: dict[str, Any], mission: Mission | None = None) -> None:
        """A log entry that changes no state (caller holds the lock); ``mission``: the mission row
        stored with it (same state, e.g. a new route)."""
        st = self.mission.state
        note = MissionEvent(self.mission.id, self.seq + 1, kind, utc_now(), st, st, data=data)
        if await self._append(note, mission):
            self.seq += 1
            if mission is not None:
                self.mission = mission

    async def note(
        self, kind: str, data: dict[str, Any], change: Callable[[Mission], Mission] | None = None
    ) -> None:
        """Store a log entry that changes no state; ``change`` gives the mission row stored with it
        from the mission at that moment (under the lock, so no transition is overwritten)."""
        async with self._lock:
            await self._append_note(kind, data, change(self.mission) if change is not None else None)

    # --- effects and jobs ----------------------------------------------------------------------

    async def _start(self, effect: Effect) -> None:
        slot = JOB_SLOTS.get(type(effect))
        if slot is None:
            cancel = CANCELS.get(type(effect))
            if cancel is not None:
                self._cancel_jobs(cancel)
            await self._guarded(effect)
            return
        self._cancel_jobs(slot)
        assert self._tg is not None
        self._jobs[slot] = self._tg.create_task(
            self._guarded(effect), name=f"{self.mission.id}:{effect.name}"
        )

    async def _guarded(self, effect: Effect) -> None:
        try:
            await do_effect(self, effect)
        except Exception as exc:  # every device failure becomes an event
            log.warning("mission %s: %s failed: %s", self.mission.id, effect.name, why(exc))
            self.post(fx.EffectFailed(effect.name, why(exc)))

    def _cancel_jobs(self, slot: str | None = None) -> None:
        for name in [slot] if slot else list(self._jobs):
            task = self._jobs.pop(name, None) if name else None
            if task is not None and task is not asyncio.current_task():
                task.cancel()

    # --- monitor -------------------------------------------------------------------------------

    def _ensure_monitor(self) -> None:
        if (
            self._monitor is None
            and self.mission.drone_id
            and self._tg is not None
            and not self.mission.state.terminal
        ):
            self._monitor = self._tg.create_task(
                self._watch_drone(self.mission.drone_id), name=f"{self.mission.id}:monitor"
            )

    async def _watch_drone(self, drone_id: str) -> None:
        registry = self.deps.fleet.registry
        try:
            link = self.deps.drones(drone_id)
            energy = energy_of(registry, drone_id)  # the planner's reserve, the dock type's endurance
        except Exception as exc:
            log.warning("mission %s: cannot watch %s: %s", self.mission.id, drone_id, exc)
            return
        await watch_drone(
            link,
            lambda: self.mission,
            lambda: "flight" in self._jobs,
            self.post,
            registry,
            self.deps.settings,
            energy,
        )
