"""Wait for a drone to reach a state, through its telemetry stream (any DroneLink)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

from fleet.drone_model import DroneTelemetry, LinkEvent, LinkState, Position
from fleet.errors import CommandTimeout, DroneOffline
from fleet.ports import DroneLink

EARTH_RADIUS_M = 6_371_008.8


def distance_m(a_lat_deg: float, a_lon_deg: float, b_lat_deg: float, b_lon_deg: float) -> float:
    """Great-circle (haversine) distance between two WGS84 points.

    >>> round(distance_m(34.75, 113.70, 34.75 + 1 / 60, 113.70))
    1853
    """
    p1, p2 = math.radians(a_lat_deg), math.radians(b_lat_deg)
    dp, dl = p2 - p1, math.radians(b_lon_deg - a_lon_deg)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def horizontal_distance_m(position: Position | None, lat_deg: float, lon_deg: float) -> float:
    """Distance from a reported position to a point; infinite while the position is unknown."""
    if position is None:
        return math.inf
    return distance_m(position.lat_deg, position.lon_deg, lat_deg, lon_deg)


async def wait_until(
    link: DroneLink,
    predicate: Callable[[DroneTelemetry], bool],
    timeout_s: float,
    what: str,
    *,
    offline_ok: bool = False,
) -> DroneTelemetry:
    """The first snapshot (the current one included) for which ``predicate`` holds.

    Raises ``CommandTimeout`` naming ``what`` after ``timeout_s``, and ``DroneOffline`` if the link
    goes offline meanwhile (unless ``offline_ok``).
    """
    current = link.telemetry()
    if predicate(current):
        return current
    stream = link.subscribe()
    try:
        async with asyncio.timeout(timeout_s):
            async for update in stream:
                if isinstance(update, LinkEvent):
                    if update.state is LinkState.CLOSED or (
                        update.state is LinkState.OFFLINE and not offline_ok
                    ):
                        raise DroneOffline(link.drone_id, what, f"link {update.state}: {update.reason}")
                    continue
                if predicate(update):
                    return update
    except TimeoutError:
        raise CommandTimeout(link.drone_id, what, timeout_s) from None
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    raise DroneOffline(link.drone_id, what, "telemetry stream ended")
