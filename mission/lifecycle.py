"""A mission's life as a pure state machine (ARCHITECTURE.md §4): (mission, event) → transition.

:func:`transition` returns the mission as it is after the event, the :class:`MissionEvent` to append
to the log (store it **before** carrying out anything) and the effects to carry out, in order. It
does no I/O and never reads the clock unless ``at`` is omitted. An event that makes no sense in the
mission's state raises :class:`InvalidTransition`; a terminal mission accepts nothing.

A flying drone is never simply dropped: abort, failures and a lost link while airborne lead to
``returning`` with ``end_state`` set, and the mission ends ``aborted``/``failed`` once the dock has
closed over the drone (or at once, when it lands outside a dock or cannot land).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from fleet.drone_model import Height
from mission.lifecycle_types import (
    BEST_EFFORT,
    OPERATOR_COMMANDS,
    Abort,
    Airborne,
    ArmAndTakeOff,
    Arrived,
    BatteryLow,
    CloseCover,
    ConfirmAirborne,
    DockClosed,
    DockReady,
    Effect,
    EffectFailed,
    GoTo,
    GoToPoint,
    Hold,
    Hover,
    Land,
    Landed,
    LinkLost,
    LinkRestored,
    MissionInput,
    Notify,
    Orbit,
    Planned,
    PrepareDock,
    ReleaseDock,
    ReliefArrived,
    RequestRelief,
    ReserveDock,
    Resumed,
    Retasked,
    Return,
    ReturnToDock,
    SceneDone,
    Speak,
    SpeakCommand,
    StartCharging,
    StartPayloadTasks,
    StartWatch,
    StopPayloadTasks,
    TellRelieved,
    WatchEnded,
)
from mission.model import Mission, MissionEvent, MissionState, utc_now

S = MissionState
#: States in which the drone may be off the ground (launching included: it may be climbing).
AIRBORNE = frozenset({S.LAUNCHING, S.EN_ROUTE, S.ON_SCENE, S.SUPERVISING, S.RETURNING})
#: States in which the drone works for the incident (a return from here is a change of course).
ON_TASK = frozenset({S.LAUNCHING, S.EN_ROUTE, S.ON_SCENE, S.SUPERVISING})
PRE_FLIGHT = frozenset({S.REQUESTED, S.PLANNED})
#: States whose drone can be handed over in the air (climbing out of a dock is not one of them).
RETASKABLE = frozenset({S.EN_ROUTE, S.ON_SCENE, S.SUPERVISING, S.RETURNING})


@dataclass(frozen=True)
class LifecycleParams:
    """Heights and the on-scene orbit (from settings: planning.reach and the supervision section)."""

    cruise_height_m: float = 100.0
    on_scene_height_m: float = 100.0
    orbit_radius_m: float = 40.0
    orbit_speed_mps: float = 4.0


class InvalidTransition(Exception):
    """The event makes no sense in the mission's state (the mission is unchanged)."""

    def __init__(self, mission_id: str, state: MissionState, event: str, why: str = "") -> None:
        self.mission_id, self.state, self.event = mission_id, state, event
        text = f"mission {mission_id}: {event} is not possible while {state}"
        super().__init__(text + (f" ({why})" if why else ""))


@dataclass(frozen=True)
class Transition:
    """The mission after the event, the log entry to store first, and the effects to carry out."""

    mission: Mission
    record: MissionEvent
    effects: tuple[Effect, ...]

    @property
    def changed_state(self) -> bool:
        return self.record.from_state != self.record.to_state


_Decision = tuple[MissionState, dict[str, Any], list[Effect]]


def transition(
    mission: Mission,
    event: MissionInput,
    *,
    seq: int,
    at: datetime | None = None,
    params: LifecycleParams | None = None,
) -> Transition:
    """Apply ``event`` to ``mission``; ``seq`` is the number the log entry gets (last + 1)."""
    if mission.state.terminal:
        raise InvalidTransition(mission.id, mission.state, event.name, "the mission is over")
    when = at or utc_now()
    state, changes, effects = _decide(mission, event, params or LifecycleParams())
    after = replace(mission, state=state, updated_at=when, **changes)
    operator = isinstance(event, OPERATOR_COMMANDS)
    kind = "state" if state != mission.state else ("command" if operator else "event")
    record = MissionEvent(
        mission_id=mission.id,
        seq=seq,
        kind=kind,
        at=when,
        from_state=mission.state,
        to_state=state,
        actor=getattr(event, "actor", "system"),
        data={"event": event.name, **event.as_data(), "effects": [e.name for e in effects]},
    )
    return Transition(after, record, tuple(effects))


def _decide(m: Mission, event: MissionInput, p: LifecycleParams) -> _Decision:
    st = m.state
    match event:
        case Planned() if st is S.REQUESTED:
            return _planned(m, event, p)
        case DockReady() if st is S.PLANNED:
            height = Height.above_home(m.cruise_height_m or p.cruise_height_m)
            return S.LAUNCHING, {}, [ArmAndTakeOff(_drone(m, event.name), height)]
        case Airborne() if st in (S.PLANNED, S.LAUNCHING):
            return S.EN_ROUTE, {}, [_goto_target(m, p)]
        case Arrived() if st is S.EN_ROUTE:
            return S.ON_SCENE, {}, _on_scene(m, p)
        case SceneDone() if st is S.ON_SCENE:
            return S.SUPERVISING, {}, [StartWatch(_drone(m, event.name))]
        case WatchEnded() if st in (S.ON_SCENE, S.SUPERVISING):
            return _go_home(m, "watch ended: " + event.reason)
        case ReliefArrived() if st in (S.ON_SCENE, S.SUPERVISING):
            return _go_home(m, f"relieved by mission {event.relief_mission_id}")
        case BatteryLow() if st in AIRBORNE:
            return _battery_low(m, event)
        case Landed() if st in AIRBORNE:
            return _landed(m, event)
        case DockClosed() if st is S.LANDED:
            effects: list[Effect] = []
            if m.return_dock_id:
                effects.append(StartCharging(m.return_dock_id))
            if m.dock_id:
                effects.append(ReleaseDock(m.dock_id, m.id))
            return m.end_state or S.CLOSED, {}, effects
        case EffectFailed():
            return _effect_failed(m, event)
        case Retasked() if st in RETASKABLE:
            return _retasked(m, event)
        case LinkLost() if st in AIRBORNE or st is S.PLANNED:
            return _link_lost(m, event)
        case LinkRestored() if st is S.RETURNING:
            return st, {}, [ReturnToDock(_drone(m, event.name), m.return_dock_id or m.dock_id)]
        case Resumed():
            return st, {}, _resume(m, p)
        case Abort():
            return _abort(m, event)
        case Return() if st in ON_TASK:
            return _go_home(m, None)
        case Return() if st is S.RETURNING:
            return st, {}, [ReturnToDock(_drone(m, event.name), m.return_dock_id or m.dock_id)]
        case Hold() if st in AIRBORNE:
            return st, {}, [Hover(_drone(m, event.name))]
        case GoToPoint():
            return _goto_point(m, event, p)
        case SpeakCommand() if st in AIRBORNE - {S.LAUNCHING}:
            return st, {}, [Speak(_drone(m, event.name), event.text, event.message)]
    raise InvalidTransition(m.id, st, event.name)


def _drone(m: Mission, event: str) -> str:
    if m.drone_id is None:
        raise InvalidTransition(m.id, m.state, event, "no drone assigned")
    return m.drone_id


def _goto_target(m: Mission, p: LifecycleParams, to: str = "target") -> GoTo:
    height = Height.above_home(m.cruise_height_m or p.cruise_height_m)
    return GoTo(_drone(m, "go_to"), m.lat_deg, m.lon_deg, height, to)


def _on_scene(m: Mission, p: LifecycleParams) -> list[Effect]:
    drone = _drone(m, "arrived")
    height = Height.above_home(p.on_scene_height_m)
    effects: list[Effect] = [
        Orbit(drone, m.lat_deg, m.lon_deg, height, p.orbit_radius_m, p.orbit_speed_mps),
        StartPayloadTasks(drone, m.id, m.incident_id),
    ]
    if m.relieves_mission_id:
        effects.append(TellRelieved(m.relieves_mission_id, m.id))
    return effects


def _planned(m: Mission, e: Planned, p: LifecycleParams) -> _Decision:
    if e.dock_id is None or e.drone_id is None:
        why = "no dock or drone can go"
        return S.FAILED, {"reason": why}, [Notify("urgent", f"mission {m.id}: {why}")]
    changes: dict[str, Any] = {
        "dock_id": e.dock_id,
        "drone_id": e.drone_id,
        "eta_s": e.eta_s,
        "promise_breached": e.promise_breached,
        "cruise_height_m": e.cruise_height_m or m.cruise_height_m or p.cruise_height_m,
        "return_dock_id": e.dock_id,
    }
    effects: list[Effect] = [ReserveDock(e.dock_id, m.id)]
    effects.append(ConfirmAirborne(e.drone_id) if e.airborne else PrepareDock(e.dock_id, m.id))
    if e.promise_breached:
        eta = "unknown" if e.eta_s is None else f"{e.eta_s:.0f} s"
        effects.append(Notify("warning", f"mission {m.id}: response-time promise breached (ETA {eta})"))
    return S.PLANNED, changes, effects


def _go_home(
    m: Mission, reason: str | None, end_state: MissionState | None = None, relief: bool = False
) -> _Decision:
    drone = _drone(m, "return")
    effects: list[Effect] = []
    if relief and m.incident_id is not None:
        effects.append(RequestRelief(m.id, m.incident_id, m.lat_deg, m.lon_deg))
    effects += [StopPayloadTasks(drone), ReturnToDock(drone, m.return_dock_id or m.dock_id)]
    changes: dict[str, Any] = {}
    if end_state is not None and m.end_state is None:
        changes["end_state"] = end_state
    if reason is not None and end_state is not None:  # a normal return keeps its cause in the log
        changes["reason"] = reason
    return S.RETURNING, changes, effects


def _battery_low(m: Mission, e: BatteryLow) -> _Decision:
    text = f"mission {m.id}: battery {e.battery_pct:.0f} %"
    watching = m.state in (S.ON_SCENE, S.SUPERVISING)
    if not e.must_return:
        effects: list[Effect] = [Notify("warning", text + ", relief requested" if watching else text)]
        if watching:
            effects.insert(0, RequestRelief(m.id, m.incident_id, m.lat_deg, m.lon_deg))
        return m.state, {}, effects
    if m.state in (S.RETURNING, S.LAUNCHING):
        return m.state, {}, [Notify("warning", text + ", returning")]
    state, changes, effects = _go_home(m, f"battery low ({e.battery_pct:.0f} %)", relief=True)
    return state, changes, [*effects, Notify("warning", text + ", returning")]


def _landed(m: Mission, e: Landed) -> _Decision:
    if e.dock_id is not None:
        return S.LANDED, {"return_dock_id": e.dock_id}, [CloseCover(e.dock_id)]
    why = "landed outside a dock"
    effects: list[Effect] = [Notify("urgent", f"mission {m.id}: drone {m.drone_id} {why}; recover it")]
    if m.dock_id:
        effects.insert(0, ReleaseDock(m.dock_id, m.id))
    return S.FAILED, {"reason": why}, effects


def _end_before_flight(m: Mission, state: MissionState, reason: str, *, dock_used: bool) -> _Decision:
    effects: list[Effect] = []
    if m.dock_id and dock_used:
        effects += [CloseCover(m.dock_id), ReleaseDock(m.dock_id, m.id)]
    effects.append(Notify("warning" if state is S.ABORTED else "urgent", f"mission {m.id}: {reason}"))
    return state, {"reason": reason}, effects


def _effect_failed(m: Mission, e: EffectFailed) -> _Decision:
    st, why = m.state, f"{e.effect} failed: {e.reason}"
    if e.effect in BEST_EFFORT:
        return st, {}, [Notify("warning", f"mission {m.id}: {why}")]
    if e.effect == "orbit" and st in AIRBORNE:
        return st, {}, [Hover(_drone(m, e.name))]
    if st in PRE_FLIGHT:
        return _end_before_flight(m, S.FAILED, why, dock_used=e.effect != "reserve_dock")
    if st in ON_TASK:  # e.g. no route around the keep-out zones: the operator must hear of it
        state, changes, effects = _go_home(m, why, S.FAILED)
        return state, changes, [*effects, Notify("urgent", f"mission {m.id}: {why}; returning")]
    if st is S.RETURNING and e.effect == "return_to_dock":
        changes = {"end_state": m.end_state or S.FAILED, "reason": why}
        return st, changes, [Land(_drone(m, e.name)), Notify("urgent", f"mission {m.id}: {why}; landing")]
    if st is S.RETURNING and e.effect == "land":
        return _landed_badly(m, why)
    if st is S.LANDED and e.effect == "close_cover":
        return S.FAILED, {"reason": why}, [Notify("urgent", f"mission {m.id}: {why}; dock needs a visit")]
    return st, {}, [Notify("warning", f"mission {m.id}: {why}")]


def _landed_badly(m: Mission, why: str) -> _Decision:
    effects: list[Effect] = [Notify("urgent", f"mission {m.id}: {why}; drone needs manual recovery")]
    if m.dock_id:
        effects.insert(0, ReleaseDock(m.dock_id, m.id))
    return S.FAILED, {"reason": why}, effects


def _retasked(m: Mission, e: Retasked) -> _Decision:
    """Hand the flying drone over: no return, no landing, no cover; the dispatcher already moved the
    dock's reservation to the new mission (so no release either). A drone already coming home
    because the mission is ending aborted/failed is not handed over."""
    if m.end_state is not None:
        raise InvalidTransition(m.id, m.state, e.name, f"the mission is ending {m.end_state}")
    if e.new_mission_id == m.id:
        raise InvalidTransition(m.id, m.state, e.name, "a mission cannot take over its own drone")
    why = f"re-tasked: drone {m.drone_id} handed over to mission {e.new_mission_id}"
    effects: list[Effect] = []
    if m.state in (S.ON_SCENE, S.SUPERVISING):
        effects.append(StopPayloadTasks(_drone(m, e.name)))
    level = "warning" if m.state in (S.ON_SCENE, S.SUPERVISING) else "info"
    watch = f"; incident {m.incident_id} is no longer watched" if level == "warning" else ""
    effects.append(Notify(level, f"mission {m.id}: {why}{watch}"))
    return S.CLOSED, {"reason": why}, effects


def _link_lost(m: Mission, e: LinkLost) -> _Decision:
    why = "drone link lost" + (f": {e.reason}" if e.reason else "")
    if m.state in PRE_FLIGHT:
        return _end_before_flight(m, S.FAILED, why, dock_used=m.state is S.PLANNED)
    # no commands can reach the drone: the autopilot's failsafe returns it; telemetry or the dock
    # tells us when it has landed
    changes: dict[str, Any] = {"reason": why} if m.reason is None else {}
    if m.state in ON_TASK and m.end_state is None:
        changes["end_state"] = S.FAILED
    return S.RETURNING, changes, [Notify("urgent", f"mission {m.id}: {why}; failsafe return expected")]


def _abort(m: Mission, e: Abort) -> _Decision:
    if m.state in PRE_FLIGHT:
        return _end_before_flight(m, S.ABORTED, e.reason, dock_used=m.state is S.PLANNED)
    if m.state in ON_TASK:
        return _go_home(m, e.reason, S.ABORTED)
    # returning or landed: it is coming home anyway; the mission will end aborted
    return m.state, {"end_state": S.ABORTED, "reason": e.reason}, []


def _goto_point(m: Mission, e: GoToPoint, p: LifecycleParams) -> _Decision:
    changes: dict[str, Any] = {"lat_deg": e.lat_deg, "lon_deg": e.lon_deg}
    if m.state in PRE_FLIGHT or m.state is S.LAUNCHING:
        return m.state, changes, []  # the new target is flown to once airborne
    if m.state is S.LANDED:
        raise InvalidTransition(m.id, m.state, e.name, "the drone has landed")
    moved = replace(m, **changes)
    effects: list[Effect] = []
    if m.state in (S.ON_SCENE, S.SUPERVISING):
        effects.append(StopPayloadTasks(_drone(m, e.name)))
    effects.append(_goto_target(moved, p, "goto"))
    return S.EN_ROUTE, changes, effects


def _resume(m: Mission, p: LifecycleParams) -> list[Effect]:
    """What the state needs done again after a restart (telemetry-driven events, such as a landing
    that happened meanwhile, are posted by mission.recovery before this)."""
    st = m.state
    if st is S.REQUESTED:
        return []  # the planner decides
    if st is S.PLANNED:
        assert m.dock_id is not None
        return [PrepareDock(m.dock_id, m.id)]
    drone = _drone(m, "resumed")
    if st is S.LAUNCHING:
        return [ArmAndTakeOff(drone, Height.above_home(m.cruise_height_m or p.cruise_height_m))]
    if st is S.EN_ROUTE:
        return [_goto_target(m, p)]
    if st is S.ON_SCENE:
        return _on_scene(m, p)
    if st is S.SUPERVISING:
        height = Height.above_home(p.on_scene_height_m)
        orbit = Orbit(drone, m.lat_deg, m.lon_deg, height, p.orbit_radius_m, p.orbit_speed_mps)
        return [orbit, StartWatch(drone)]
    if st is S.RETURNING:
        return [ReturnToDock(drone, m.return_dock_id or m.dock_id)]
    assert st is S.LANDED
    return [CloseCover(m.return_dock_id or m.dock_id or "")] if (m.return_dock_id or m.dock_id) else []
