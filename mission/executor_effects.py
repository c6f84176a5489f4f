"""The executor's effect dispatch: what each lifecycle effect does through the ports.

:func:`do_effect` carries out one effect for a run and posts the event that follows a long one
(``DockReady``, ``Airborne``, ``Arrived``, ``Landed``, ``SceneDone``, ...); a device that refuses
raises (the run turns that into ``EffectFailed``). Which effects are long, and in which job slot they
run, is the run loop's business (:mod:`mission.executor`).
"""

from __future__ import annotations

import logging

from docks.protocol.dock import FlighttaskPrepare
from fleet.flight_waits import wait_until
from mission import lifecycle_types as fx
from mission.drone_monitor import on_ground
from mission.executor_deps import EffectError, RunContext
from mission.executor_docks import dock_call
from mission.executor_flight import go_to, take_off
from mission.executor_return import return_to_dock
from mission.lifecycle_types import Effect
from mission.model import AlertType
from mission.on_scene import run_tasks, stop_tasks
from mission.ports import StoreError

log = logging.getLogger(__name__)


async def do_effect(run: RunContext, e: Effect) -> None:
    """Carry out ``e`` for ``run``; a refusal or failure raises."""
    d, s = run.deps, run.deps.settings
    match e:
        case fx.ReserveDock():
            d.fleet.assign(e.dock_id, e.mission_id)
        case fx.ReleaseDock():
            for dock_id in {e.dock_id, run.mission.return_dock_id} - {None}:
                assert dock_id is not None
                d.fleet.release(dock_id, e.mission_id)
        case fx.PrepareDock():
            await dock_call(run, e.dock_id, "flighttask_prepare", FlighttaskPrepare(flight_id=e.flight_id))
            run.post(fx.DockReady())
        case fx.ConfirmAirborne():
            if not d.drones(e.drone_id).telemetry().in_air:
                raise EffectError(f"{e.drone_id} is not flying")
            run.post(fx.Airborne())
        case fx.ArmAndTakeOff():
            await take_off(run, e)
        case fx.GoTo():
            await go_to(run, e)
        case fx.Orbit():
            await d.drones(e.drone_id).orbit(e.lat_deg, e.lon_deg, e.height, e.radius_m, e.speed_mps)
        case fx.Hover():
            await d.drones(e.drone_id).hold()
        case fx.StartPayloadTasks():
            await payload_tasks(run, e)
        case fx.StopPayloadTasks():
            await stop_tasks(d.payload, e.drone_id)
        case fx.Speak() if e.text is not None:
            await d.payload.speak_text(e.drone_id, e.text)
        case fx.Speak():
            await d.payload.play_message(e.drone_id, e.message or "general", s.speaker_lang)
        case fx.StartWatch():
            await d.clock.sleep(s.watch_budget_s)
            run.post(fx.WatchEnded("time_budget"))
        case fx.RequestRelief():
            await request_relief(run, e)
        case fx.TellRelieved():
            if d.tell is None or not d.tell(e.relieved_mission_id, fx.ReliefArrived(e.relief_mission_id)):
                raise EffectError(f"mission {e.relieved_mission_id} is not running")
        case fx.ReturnToDock():
            await return_to_dock(run, e)
        case fx.Land():
            link = d.drones(e.drone_id)
            await link.land()
            await wait_until(link, on_ground, s.land_timeout_s, "land")
            run.post(fx.Landed(None))
        case fx.CloseCover():
            await dock_call(run, e.dock_id, "cover_close")
            run.post(fx.DockClosed())
        case fx.StartCharging():
            await dock_call(run, e.dock_id, "charge_start")
        case fx.Notify():
            if d.notify is not None:
                d.notify(run.mission.id, e)
            else:
                log.log(logging.WARNING if e.level != "info" else logging.INFO, "%s", e.text)


async def payload_tasks(run: RunContext, e: fx.StartPayloadTasks) -> None:
    """Run the incident type's on-scene tasks; post ``SceneDone`` with what they found."""
    incident_type: AlertType | None = None
    if e.incident_id is not None:
        try:
            incident_type = (await run.deps.store.get_incident(e.incident_id)).type
        except StoreError as exc:
            log.warning("mission %s: incident %s: %s", run.mission.id, e.incident_id, exc)
    lang = run.deps.settings.speaker_lang
    done = await run_tasks(run.deps.payload, e.drone_id, e.flight_id, incident_type, lang, run.note)
    run.post(fx.SceneDone(findings=done))


async def request_relief(run: RunContext, e: fx.RequestRelief) -> None:
    """Ask the planner for a relief drone, once per run."""
    if run.relief_requested:
        return
    if run.deps.request_relief is None:
        raise EffectError("no planner to ask for a relief drone")
    run.relief_requested = True
    await run.deps.request_relief(run.mission, e)
