"""The executor's flights: take-off, and go-tos flown leg by leg around the keep-out zones.

A flight to a point takes the route from where the drone is (:mod:`mission.flight_routes`) and
flies it leg by leg: go to each bend, wait there, then the next. The route is stored first (a
``route`` event and the mission's ``route``). A straight route is one go-to, as without zones. No
route (the destination inside a zone or enclosed by zones) is never flown straight: a
``route_refused`` note and an :class:`EffectError`.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from fleet.drone_model import DroneTelemetry, Height, HeightRef
from fleet.flight_waits import horizontal_distance_m, wait_until
from fleet.model import FenceState
from fleet.ports import DroneLink
from mission import lifecycle_types as fx
from mission.executor_deps import EffectError, RunContext
from mission.flight_routes import NoRoute, Route
from mission.model import Mission, utc_now

Legs = list[tuple[float, float]]  # (lat_deg, lon_deg) points flown to in order, the destination last


async def take_off(run: RunContext, e: fx.ArmAndTakeOff) -> None:
    """Arm, take off and post ``Airborne`` at 80 % of the take-off height; when the fleet requires
    the keep-out geofence on board, not before it is confirmed there (:func:`fence_on_board`)."""
    link = run.deps.drones(e.drone_id)
    await fence_on_board(run, e.drone_id)
    await link.arm()
    await link.takeoff(e.height)

    def up(t: DroneTelemetry) -> bool:
        return bool(t.in_air) and reached_height(t, e.height)

    await wait_until(link, up, run.deps.settings.takeoff_timeout_s, "takeoff")
    run.post(fx.Airborne())


async def fence_on_board(run: RunContext, drone_id: str) -> None:
    """Wait until the drone's keep-out geofence is confirmed on board (``fence_wait_s``, wall); an
    :class:`EffectError` if it is not by then. The planner only picks a drone whose fence is not
    failing, but a drone chosen while its link was down is fenced only once it connects."""
    fleet = run.deps.fleet
    if not fleet.geofence_required:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + run.deps.settings.fence_wait_s
    while True:
        status = fleet.geofence_status(drone_id)
        if status is not None and status.state is FenceState.UPLOADED:
            return
        if loop.time() >= deadline:
            state = "nothing reported" if status is None else f"{status.state}"
            detail = f": {status.detail}" if status is not None and status.detail else ""
            raise EffectError(
                f"keep-out geofence not confirmed on board within {run.deps.settings.fence_wait_s:g} s "
                f"({state}{detail}): not taking off"
            )
        await asyncio.sleep(FENCE_POLL_S)


#: How often :func:`fence_on_board` looks at the fence status (wall seconds).
FENCE_POLL_S = 0.2


def plan_route(run: RunContext, link: DroneLink, lat_deg: float, lon_deg: float, to: str) -> Route | None:
    """The route around the keep-out zones from where the drone is (None: no zones configured);
    :class:`NoRoute` when none keeps out of them."""
    routes = run.deps.routes
    if routes is None:
        return None
    pos = link.telemetry().position
    if pos is None:
        raise EffectError("the drone's position is unknown: no route around the keep-out zones")
    return routes.route((pos.lon_deg, pos.lat_deg), (lon_deg, lat_deg), to)


async def note_refused(
    run: RunContext, to: str, lat_deg: float, lon_deg: float, exc: NoRoute, **more: Any
) -> None:
    """Log a destination no route around the keep-out zones reaches (``route_refused``)."""
    data = {"to": to, "lon_deg": lon_deg, "lat_deg": lat_deg, "why": str(exc), **more}
    await run.note("route_refused", data)


async def legs_of(run: RunContext, route: Route | None, lat_deg: float, lon_deg: float) -> Legs:
    """The points to fly to in order, the destination last; a route is stored first (its event
    and the mission's ``route``; a store outage does not ground the drone)."""
    if route is None:
        return [(lat_deg, lon_deg)]

    def flown(m: Mission) -> Mission:
        return replace(m, route=route.as_lists(), updated_at=utc_now())

    await run.note("route", route.as_data(), flown)
    return [(lat, lon) for lon, lat in route.bends]


async def route_legs(run: RunContext, link: DroneLink, lat_deg: float, lon_deg: float, to: str) -> Legs:
    """:func:`legs_of` the route from where the drone is; no route is an :class:`EffectError`."""
    try:
        route = plan_route(run, link, lat_deg, lon_deg, to)
    except NoRoute as exc:
        await note_refused(run, to, lat_deg, lon_deg, exc)
        raise EffectError(f"no route around the keep-out zones: {exc}") from None
    return await legs_of(run, route, lat_deg, lon_deg)


async def go_to(run: RunContext, e: fx.GoTo) -> None:
    """Fly the route to the effect's point and post ``Arrived``."""
    link = run.deps.drones(e.drone_id)
    legs = await route_legs(run, link, e.lat_deg, e.lon_deg, e.to)
    await fly_legs(run, link, legs, e.height, "go_to")
    run.post(fx.Arrived())


async def fly_legs(run: RunContext, link: DroneLink, legs: Legs, height: Height, what: str) -> None:
    """Go to each (lat, lon) in turn and wait there (a cancelled job stops between or in legs)."""
    for lat_deg, lon_deg in legs:  # at the cruise speed the planner priced, not the autopilot's
        await link.goto(lat_deg, lon_deg, height, speed_mps=run.deps.settings.cruise_mps)
        await wait_at(run, link, lat_deg, lon_deg, what)


async def wait_at(run: RunContext, link: DroneLink, lat_deg: float, lon_deg: float, what: str) -> None:
    """Wait until the drone is within ``arrive_radius_m`` of the point (timeout by distance)."""
    s = run.deps.settings
    distance = horizontal_distance_m(link.telemetry().position, lat_deg, lon_deg)
    timeout_s = s.flight_timeout_s(distance if distance != float("inf") else 0.0)

    def there(t: DroneTelemetry) -> bool:
        return horizontal_distance_m(t.position, lat_deg, lon_deg) <= s.arrive_radius_m

    await wait_until(link, there, timeout_s, what)


def reached_height(t: DroneTelemetry, height: Height, share: float = 0.8) -> bool:
    """Whether the drone is at ``share`` of ``height`` (above home, or of the climb to an AMSL one)."""
    if t.position is None:
        return False
    if height.ref is HeightRef.ABOVE_HOME:
        return t.position.rel_alt_m >= share * height.value_m
    home_amsl_m = t.home.abs_alt_m if t.home is not None else t.position.abs_alt_m - t.position.rel_alt_m
    return t.position.abs_alt_m - home_amsl_m >= share * (height.value_m - home_amsl_m)
