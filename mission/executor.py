"""Carries out one mission: events in, transitions stored, effects done through the ports.

A :class:`MissionRun` owns one mission. Its loop takes events from a queue (operators, the
runner, its own jobs and monitor), asks :func:`mission.lifecycle.transition` what to do, appends the
transition to the store **before** acting, then carries out the effects in order. Short effects
(a command with its timeout) run inline; long ones run as *jobs* in a slot (``dock``, ``flight``,
``payload``, ``watch``) and post the event that follows (``DockReady``, ``Arrived``, ``Landed``, ...).
A state change cancels every running job, as does a new job in the same slot. A failure becomes an
``EffectFailed`` event, never an exception out of the loop. A monitor follows the drone's telemetry:
battery thresholds from :class:`mission.supervision.BatteryBudget`, a lost link, a landing after a
failsafe return (:mod:`mission.drone_monitor`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from docks.ports import DockLink, reply_of
from docks.protocol.dock import FlighttaskPrepare
from fleet.clock import Clock, MonotonicClock
from fleet.drone_model import DroneTelemetry, Height, HeightRef
from fleet.flight_waits import horizontal_distance_m, wait_until
from fleet.manager import FleetManager
from fleet.ports import DroneLink
from mission import lifecycle_types as fx
from mission.drone_monitor import dock_latlon, on_ground, watch_drone
from mission.lifecycle import InvalidTransition, transition
from mission.lifecycle_types import Effect, MissionInput
from mission.model import AlertType, Mission, MissionEvent, utc_now
from mission.on_scene import run_tasks, stop_tasks
from mission.payload_client import PayloadClient
from mission.ports import MissionStore, StoreError
from mission.supervision import DockOption, ExecutorSettings, choose_return_dock

log = logging.getLogger(__name__)

NotifyFn = Callable[[str, fx.Notify], None]
ReliefFn = Callable[[Mission, fx.RequestRelief], Awaitable[None]]
TellFn = Callable[[str, MissionInput], bool]

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


class EffectError(Exception):
    """A device refused or could not do what an effect asked (the message says which and why)."""


@dataclass
class ExecutorDeps:
    """The ports a mission run works through (shared by all runs of a :class:`MissionRunner`)."""

    store: MissionStore
    fleet: FleetManager
    drones: Callable[[str], DroneLink]  # FleetLink.drone
    docks: DockLink
    payload: PayloadClient
    settings: ExecutorSettings = field(default_factory=ExecutorSettings)
    clock: Clock = field(default_factory=MonotonicClock)
    notify: NotifyFn | None = None
    request_relief: ReliefFn | None = None
    tell: TellFn | None = None  # post an event to another mission (set by the runner)


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


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
        self._relief_requested = False
        self._foreign_dock: str | None = None  # another dock reserved (cover opened) to land in
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
        await self._free_foreign_dock()
        while not self._queue.empty():
            event = self._queue.get_nowait()
            if isinstance(event, fx.EffectFailed):
                await self.note("effect_failed", {"effect": event.effect, "why": event.reason})

    async def _free_foreign_dock(self) -> None:
        """A dock reserved to land in that the drone never landed in (it was handed over in the air
        to another mission, or lost) is closed again and freed."""
        dock_id, m = self._foreign_dock, self.mission
        if dock_id is None or dock_id == m.return_dock_id or self.deps.fleet.assignment(dock_id) != m.id:
            return
        try:
            await self._dock_call(dock_id, "cover_close")
        except Exception as exc:
            await self.note("effect_failed", {"effect": "cover_close", "why": _why(exc)})
        self.deps.fleet.release(dock_id, m.id)
        await self.note("return_dock_freed", {"dock_id": dock_id})

    # --- transitions ---------------------------------------------------------------------------

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

    async def _append_note(self, kind: str, data: dict[str, Any]) -> None:
        """A log entry that changes nothing (caller holds the lock)."""
        st = self.mission.state
        note = MissionEvent(self.mission.id, self.seq + 1, kind, utc_now(), st, st, data=data)
        if await self._append(note, None):
            self.seq += 1

    async def note(self, kind: str, data: dict[str, Any]) -> None:
        async with self._lock:
            await self._append_note(kind, data)

    # --- effects -------------------------------------------------------------------------------

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
            await self._do(effect)
        except Exception as exc:  # every device failure becomes an event
            log.warning("mission %s: %s failed: %s", self.mission.id, effect.name, _why(exc))
            self.post(fx.EffectFailed(effect.name, _why(exc)))

    def _cancel_jobs(self, slot: str | None = None) -> None:
        for name in [slot] if slot else list(self._jobs):
            task = self._jobs.pop(name, None) if name else None
            if task is not None and task is not asyncio.current_task():
                task.cancel()

    async def _do(self, e: Effect) -> None:
        d, s = self.deps, self.deps.settings
        match e:
            case fx.ReserveDock():
                d.fleet.assign(e.dock_id, e.mission_id)
            case fx.ReleaseDock():
                for dock_id in {e.dock_id, self.mission.return_dock_id} - {None}:
                    assert dock_id is not None
                    d.fleet.release(dock_id, e.mission_id)
            case fx.PrepareDock():
                await self._dock_call(
                    e.dock_id, "flighttask_prepare", FlighttaskPrepare(flight_id=e.flight_id)
                )
                self.post(fx.DockReady())
            case fx.ConfirmAirborne():
                if not d.drones(e.drone_id).telemetry().in_air:
                    raise EffectError(f"{e.drone_id} is not flying")
                self.post(fx.Airborne())
            case fx.ArmAndTakeOff():
                await self._take_off(e)
            case fx.GoTo():
                link = d.drones(e.drone_id)
                await link.goto(e.lat_deg, e.lon_deg, e.height)
                await self._wait_at(link, e.lat_deg, e.lon_deg, "go_to")
                self.post(fx.Arrived())
            case fx.Orbit():
                await d.drones(e.drone_id).orbit(e.lat_deg, e.lon_deg, e.height, e.radius_m, e.speed_mps)
            case fx.Hover():
                await d.drones(e.drone_id).hold()
            case fx.StartPayloadTasks():
                await self._payload_tasks(e)
            case fx.StopPayloadTasks():
                await stop_tasks(d.payload, e.drone_id)
            case fx.Speak() if e.text is not None:
                await d.payload.speak_text(e.drone_id, e.text)
            case fx.Speak():
                await d.payload.play_message(e.drone_id, e.message or "general", s.speaker_lang)
            case fx.StartWatch():
                await d.clock.sleep(s.watch_budget_s)
                self.post(fx.WatchEnded("time_budget"))
            case fx.RequestRelief():
                await self._request_relief(e)
            case fx.TellRelieved():
                if d.tell is None or not d.tell(e.relieved_mission_id, fx.ReliefArrived(e.relief_mission_id)):
                    raise EffectError(f"mission {e.relieved_mission_id} is not running")
            case fx.ReturnToDock():
                await self._return(e)
            case fx.Land():
                link = d.drones(e.drone_id)
                await link.land()
                await wait_until(link, on_ground, s.land_timeout_s, "land")
                self.post(fx.Landed(None))
            case fx.CloseCover():
                await self._dock_call(e.dock_id, "cover_close")
                self.post(fx.DockClosed())
            case fx.StartCharging():
                await self._dock_call(e.dock_id, "charge_start")
            case fx.Notify():
                if d.notify is not None:
                    d.notify(self.mission.id, e)
                else:
                    log.log(logging.WARNING if e.level != "info" else logging.INFO, "%s", e.text)

    async def _dock_call(self, sn: str, method: str, data: Any = None) -> dict[str, Any]:
        reply = reply_of(await self.deps.docks.call(sn, method, data, bid=self.mission.id))
        if reply.result != 0:
            reason = reply.output.get("reason", "")
            raise EffectError(
                f"dock {sn} refused {method}: result {reply.result}" + (f" ({reason})" if reason else "")
            )
        return dict(reply.output)

    async def _take_off(self, e: fx.ArmAndTakeOff) -> None:
        link = self.deps.drones(e.drone_id)
        await link.arm()
        await link.takeoff(e.height)

        def up(t: DroneTelemetry) -> bool:
            return bool(t.in_air) and _reached_height(t, e.height)

        await wait_until(link, up, self.deps.settings.takeoff_timeout_s, "takeoff")
        self.post(fx.Airborne())

    async def _wait_at(self, link: DroneLink, lat_deg: float, lon_deg: float, what: str) -> None:
        s = self.deps.settings
        distance = horizontal_distance_m(link.telemetry().position, lat_deg, lon_deg)
        timeout_s = s.flight_timeout_s(distance if distance != float("inf") else 0.0)

        def there(t: DroneTelemetry) -> bool:
            return horizontal_distance_m(t.position, lat_deg, lon_deg) <= s.arrive_radius_m

        await wait_until(link, there, timeout_s, what)

    async def _payload_tasks(self, e: fx.StartPayloadTasks) -> None:
        incident_type: AlertType | None = None
        if e.incident_id is not None:
            try:
                incident_type = (await self.deps.store.get_incident(e.incident_id)).type
            except StoreError as exc:
                log.warning("mission %s: incident %s: %s", self.mission.id, e.incident_id, exc)
        lang = self.deps.settings.speaker_lang
        done = await run_tasks(self.deps.payload, e.drone_id, e.flight_id, incident_type, lang, self.note)
        self.post(fx.SceneDone(findings=done))

    async def _request_relief(self, e: fx.RequestRelief) -> None:
        if self._relief_requested:
            return
        if self.deps.request_relief is None:
            raise EffectError("no planner to ask for a relief drone")
        self._relief_requested = True
        await self.deps.request_relief(self.mission, e)

    def _dock_options(self) -> list[DockOption]:
        fleet = self.deps.fleet
        return [
            DockOption(
                entry.dock_id,
                entry.record.lat_deg,
                entry.record.lon_deg,
                fleet.dock_state(entry.dock_id),
                fleet.assignment(entry.dock_id),
            )
            for entry in fleet.registry
        ]

    async def _return(self, e: fx.ReturnToDock) -> None:
        """Own dock: return to launch; another dock: reserve it, fly over it and land. The chosen
        dock's cover is opened first."""
        d, s = self.deps, self.deps.settings
        link = d.drones(e.drone_id)
        pos = link.telemetry().position
        lat, lon = (pos.lat_deg, pos.lon_deg) if pos else (None, None)
        dock_id = choose_return_dock(self._dock_options(), lat, lon, self.mission.id, e.preferred_dock_id)
        if dock_id is None:
            raise EffectError("no dock can take the drone")
        home = d.fleet.registry.dock_of_drone(e.drone_id).dock_id
        if dock_id != self.mission.dock_id:
            d.fleet.assign(dock_id, self.mission.id)
            self._foreign_dock = dock_id
        await self.note("return_dock", {"dock_id": dock_id, "own": dock_id == home})
        if not link.telemetry().in_air:  # never left (or already down): nothing to fly
            if link.telemetry().armed:
                await link.disarm()
            self.post(fx.Landed(dock_id))
            return
        try:
            await self._dock_call(dock_id, "cover_open")
        except Exception as exc:
            if dock_id != home:
                raise
            # the own dock opens for its returning drone by itself (as real docks do): fly on
            await self.note("cover_open_failed", {"dock_id": dock_id, "why": _why(exc)})
        if dock_id == home:
            await link.return_to_launch()
            distance = horizontal_distance_m(pos, *dock_latlon(d.fleet.registry, dock_id))
            distance = 0.0 if distance == float("inf") else distance
        else:
            dlat, dlon = dock_latlon(d.fleet.registry, dock_id)
            await link.goto(dlat, dlon, Height.above_home(s.cruise_height_m))
            await self._wait_at(link, dlat, dlon, "return_to_dock")
            await link.land()
            distance = 0.0
        await wait_until(link, on_ground, s.flight_timeout_s(distance) + s.land_timeout_s, "return_to_dock")
        self.post(fx.Landed(dock_id))

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
        try:
            link = self.deps.drones(drone_id)
        except Exception as exc:
            log.warning("mission %s: no link to %s: %s", self.mission.id, drone_id, exc)
            return
        await watch_drone(
            link,
            lambda: self.mission,
            lambda: "flight" in self._jobs,
            self.post,
            self.deps.fleet.registry,
            self.deps.settings,
        )


def _reached_height(t: DroneTelemetry, height: Height, share: float = 0.8) -> bool:
    if t.position is None:
        return False
    if height.ref is HeightRef.ABOVE_HOME:
        return t.position.rel_alt_m >= share * height.value_m
    home_amsl_m = t.home.abs_alt_m if t.home is not None else t.position.abs_alt_m - t.position.rel_alt_m
    return t.position.abs_alt_m - home_amsl_m >= share * (height.value_m - home_amsl_m)
