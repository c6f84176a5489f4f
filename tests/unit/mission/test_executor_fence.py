"""Take-off waits for the keep-out geofence to be confirmed on board when the fleet requires it: a
drone chosen while its link was down is fenced only once it connects (the planner's gate cannot see
that yet); no confirmation within ``fence_wait_s`` and the drone never arms."""

from __future__ import annotations

import asyncio

from fleet.model import FenceState, GeofenceStatus
from mission import lifecycle_types as fx
from mission.model import MissionState
from tests.unit.mission.executor_rig import rig

S = MissionState
PLAN = fx.Planned("D01", "U01", eta_s=150.0)


def status(state: FenceState, detail: str = "") -> GeofenceStatus:
    return GeofenceStatus("U01", state, detail)


async def test_take_off_waits_for_the_fence_then_flies() -> None:
    async with rig(fence_wait_s=30.0) as r:
        r.drones["U01"].stall.add("goto")  # en route until aborted
        r.fleet.geofence_required = True
        r.fleet.ingest_geofence(status(FenceState.PENDING))
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.until(m.id, lambda m: m.state is S.LAUNCHING, timeout_s=10)
        await asyncio.sleep(0.5)  # pending meanwhile: the drone must not arm
        assert [c[0] for c in r.drones["U01"].commands if c[0] == "arm"] == []
        r.fleet.ingest_geofence(status(FenceState.UPLOADED))
        await r.until(m.id, lambda m: m.state is S.EN_ROUTE, timeout_s=10)
        assert [c[0] for c in r.drones["U01"].commands][:2] == ["arm", "takeoff"]
        r.runner.command(m.id, fx.Abort("alice", "test over"))
        assert (await r.over(m.id)).state is S.ABORTED


async def test_no_fence_on_board_in_time_fails_without_arming() -> None:
    async with rig(fence_wait_s=0.3) as r:
        r.fleet.geofence_required = True
        r.fleet.ingest_geofence(status(FenceState.FAILED, "upload_geofence: no answer"))
        m = r.mission()
        await r.runner.launch(m, PLAN)
        done = await r.over(m.id)
    assert done.state is S.FAILED
    assert "geofence not confirmed on board" in (done.reason or "")
    assert "upload_geofence: no answer" in (done.reason or "")
    assert "arm" not in [c[0] for c in r.drones["U01"].commands]


async def test_without_the_requirement_take_off_does_not_look_at_the_fence() -> None:
    async with rig(fence_wait_s=0.3) as r:
        r.drones["U01"].stall.add("goto")
        r.fleet.ingest_geofence(status(FenceState.FAILED, "upload_geofence: no answer"))
        m = r.mission()
        await r.runner.launch(m, PLAN)
        await r.until(m.id, lambda m: m.state is S.EN_ROUTE, timeout_s=10)
        r.runner.command(m.id, fx.Abort("alice", "test over"))
        assert (await r.over(m.id)).state is S.ABORTED
