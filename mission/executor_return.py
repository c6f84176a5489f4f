"""The executor's return to a dock: which dock (:func:`mission.supervision.choose_return_dock`,
passing over docks no route around the keep-out zones reaches) and the flight there.

The own dock: return to launch after the route's bends. Another dock: reserve it, fly over it and
land. The chosen dock's cover is opened before the flight; the own dock opens for its returning
drone by itself, so its refusal is logged and the drone flies on. No dock that can take the drone is
an :class:`EffectError` (the lifecycle then lands it where it is and asks for recovery).
"""

from __future__ import annotations

import asyncio
import time

from fleet.drone_model import Height
from fleet.flight_waits import horizontal_distance_m, wait_until
from fleet.manager import FleetManager
from fleet.ports import DroneLink
from mission import lifecycle_types as fx
from mission.drone_monitor import dock_latlon, on_ground
from mission.executor_deps import EffectError, RunContext, why
from mission.executor_docks import dock_call
from mission.executor_flight import fly_legs, legs_of, note_refused, plan_route
from mission.flight_routes import NoRoute, Route
from mission.supervision import DockOption, choose_return_dock

#: How long (wall s) a return waits for the hand-over of its drone once the dispatcher has moved
#: the drone's dock to another mission (the old mission is told once the decision is stored).
HANDOVER_WAIT_S = 10.0


async def await_handover(run: RunContext, home_dock_id: str) -> None:
    """Re-tasking a drone in the air, the dispatcher moves its dock's reservation to the new mission,
    stores the decision, then tells the old mission ``Retasked`` (whose transition cancels this
    job). A return that starts in between must not read the new reservation as "no dock can take
    the drone": that would land the drone in the field while the new mission flies it. So it waits
    for the hand-over, a bounded time (a dispatch that fails to store gives the dock back)."""
    fleet = run.deps.fleet
    deadline = time.monotonic() + HANDOVER_WAIT_S
    while time.monotonic() < deadline:
        if fleet.assignment(home_dock_id) in (None, run.mission.id):
            return
        await asyncio.sleep(0.05)  # reservations have no change event to wait on


def dock_options(fleet: FleetManager) -> list[DockOption]:
    """Every registered dock with its live state and the mission it serves."""
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


async def return_dock(run: RunContext, link: DroneLink, e: fx.ReturnToDock) -> tuple[str, Route | None]:
    """The dock to return to (:func:`choose_return_dock`) and the route there; a dock with no
    route around the keep-out zones is passed over for the next one that can take the drone."""
    await await_handover(run, run.deps.fleet.registry.dock_of_drone(link.drone_id).dock_id)
    pos = link.telemetry().position
    lat, lon = (pos.lat_deg, pos.lon_deg) if pos else (None, None)
    options = dock_options(run.deps.fleet)
    refused: list[str] = []
    while True:
        dock_id = choose_return_dock(options, lat, lon, run.mission.id, e.preferred_dock_id)
        if dock_id is None:
            why_not = f" on a route around the keep-out zones ({'; '.join(refused)})" if refused else ""
            raise EffectError("no dock can take the drone" + why_not)
        dlat, dlon = dock_latlon(run.deps.fleet.registry, dock_id)
        try:
            in_air = bool(link.telemetry().in_air)
            return dock_id, plan_route(run, link, dlat, dlon, "dock") if in_air else None
        except NoRoute as exc:
            await note_refused(run, "dock", dlat, dlon, exc, dock_id=dock_id)
            refused.append(f"{dock_id}: {exc}")
            options = [o for o in options if o.dock_id != dock_id]


async def return_to_dock(run: RunContext, e: fx.ReturnToDock) -> None:
    """Choose the dock, open it, fly the route there and land; post ``Landed(dock)``."""
    d, s = run.deps, run.deps.settings
    link = d.drones(e.drone_id)
    dock_id, route = await return_dock(run, link, e)
    home = d.fleet.registry.dock_of_drone(e.drone_id).dock_id
    if dock_id != run.mission.dock_id:
        d.fleet.assign(dock_id, run.mission.id)
        run.foreign_dock = dock_id
    await run.note("return_dock", {"dock_id": dock_id, "own": dock_id == home})
    if not link.telemetry().in_air:  # never left (or already down): nothing to fly
        if link.telemetry().armed:
            await link.disarm()
        run.post(fx.Landed(dock_id))
        return
    dlat, dlon = dock_latlon(d.fleet.registry, dock_id)
    legs = await legs_of(run, route, dlat, dlon)
    height = Height.above_home(s.cruise_height_m)
    try:
        await dock_call(run, dock_id, "cover_open")
    except Exception as exc:
        if dock_id != home:
            raise
        # the own dock opens for its returning drone by itself (as real docks do): fly on
        await run.note("cover_open_failed", {"dock_id": dock_id, "why": why(exc)})
    if dock_id == home:
        await fly_legs(run, link, legs[:-1], height, "return_to_dock")  # the bends, then home
        await link.return_to_launch()
        distance = horizontal_distance_m(link.telemetry().position, dlat, dlon)
        distance = 0.0 if distance == float("inf") else distance
    else:
        await fly_legs(run, link, legs, height, "return_to_dock")
        await link.land()
        distance = 0.0
    await wait_until(link, on_ground, s.flight_timeout_s(distance) + s.land_timeout_s, "return_to_dock")
    run.post(fx.Landed(dock_id))
