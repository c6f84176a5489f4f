"""Keep one drone's autopilot fenced: upload the keep-out geofence whenever its link comes ONLINE.

:func:`keep_geofence` runs as one task per drone (mission/app_fleet.py). It uploads (and verifies, see
:meth:`fleet.ports.DroneLink.upload_geofence`) when the link is first ONLINE and again after every
reconnect: PX4 keeps its fence in dataman across reboots, but a reconnect may be another airframe under
the same id, or a drone whose fence was cleared by hand; the upload is ~10 items and a few parameters.
A failed upload is reported through ``on_status`` and retried while the link stays ONLINE, after
``first_retry_s``, doubling up to ``retry_s``; it is logged as a WARNING, as an ERROR from the
:data:`ERROR_AFTER_FAILURES`-th failure in a row. ``slots``, shared by a fleet's tasks, bounds how many
uploads run at once (16 autopilots answering mission-protocol transfers at the same moment time out
on a loaded link or machine).

The reported state says whether the fence is confirmed on board: PENDING at start and again when the
link of a fenced drone is lost (the next connection may be another airframe: the fence is uploaded
again before it counts), UPLOADED once an upload is verified, FAILED after a failed one (it stays
FAILED, link lost or not, until an upload succeeds). The fleet manager gates dispatch on it
(:meth:`fleet.manager.FleetManager.ingest_geofence`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Protocol

from fleet.drone_model import LinkState
from fleet.errors import DroneError
from fleet.geofence import GeofencePlan
from fleet.model import FenceState, GeofenceStatus

__all__ = ["FenceState", "FencedDrone", "GeofenceStatus", "keep_geofence"]

log = logging.getLogger(__name__)


class FencedDrone(Protocol):
    """What :func:`keep_geofence` needs of a :class:`fleet.ports.DroneLink`."""

    @property
    def drone_id(self) -> str: ...

    @property
    def link_state(self) -> LinkState: ...

    async def upload_geofence(self, plan: GeofencePlan) -> None: ...


async def keep_geofence(
    link: FencedDrone,
    plan: GeofencePlan,
    on_status: Callable[[GeofenceStatus], None] | None = None,
    retry_s: float = 30.0,
    poll_s: float = 0.5,
    *,
    first_retry_s: float = 2.0,
    slots: asyncio.Semaphore | None = None,
) -> None:
    """Upload ``plan`` on every transition to ONLINE (and at start if already ONLINE) until cancelled.

    The link state is read every ``poll_s`` (wall) rather than followed through the drone's update
    stream: that stream carries every telemetry snapshot (thousands a second over a fleet at a sim
    speed-up), and a reconnect is never shorter than the link-loss timeout (seconds)."""
    report = on_status or (lambda _s: None)
    report(GeofenceStatus(link.drone_id, FenceState.PENDING, at_s=time.monotonic()))
    loop = asyncio.get_running_loop()
    was_online, needed, next_try, failures = False, True, 0.0, 0
    while True:
        online = link.link_state is LinkState.ONLINE
        if online and not was_online:
            needed, next_try, failures = True, 0.0, 0
        elif was_online and not online and not needed:
            detail = "link lost: the fence is uploaded again on reconnect"
            report(GeofenceStatus(link.drone_id, FenceState.PENDING, detail, time.monotonic()))
        was_online = online
        if needed and online and loop.time() >= next_try:
            async with slots if slots is not None else contextlib.nullcontext():
                if link.link_state is LinkState.ONLINE:  # still, after waiting for a slot
                    wait_s = min(first_retry_s * 2**failures, retry_s)
                    needed = not await _upload(link, plan, report, failures + 1, wait_s)
                    failures = failures + 1 if needed else 0
                    next_try = loop.time() + wait_s
        await asyncio.sleep(poll_s)


#: Consecutive failed uploads after which a failure is logged as an ERROR (before: a WARNING; a
#: loaded autopilot link can time out once, the retry usually succeeds).
ERROR_AFTER_FAILURES = 3


async def _upload(
    link: FencedDrone,
    plan: GeofencePlan,
    report: Callable[[GeofenceStatus], None],
    attempt: int,
    retry_in_s: float,
) -> bool:
    try:
        await link.upload_geofence(plan)
    except DroneError as exc:
        log.log(
            logging.ERROR if attempt >= ERROR_AFTER_FAILURES else logging.WARNING,
            "drone %s: geofence upload failed (attempt %d; not dispatched until it is on board; "
            "retry in %g s): %s",
            link.drone_id,
            attempt,
            retry_in_s,
            exc,
        )
        report(GeofenceStatus(link.drone_id, FenceState.FAILED, str(exc), time.monotonic()))
        return False
    log.info(
        "drone %s: geofence uploaded (%d polygons, %s)", link.drone_id, len(plan.polygons), dict(plan.params)
    )
    report(GeofenceStatus(link.drone_id, FenceState.UPLOADED, at_s=time.monotonic()))
    return True
