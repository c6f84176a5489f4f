"""Hand-over in the executor (on fakes): the old run stops commanding the drone without landing it,
frees a foreign dock it had opened to land in, and the new run flies the same drone straight on."""

from __future__ import annotations

import asyncio

from mission import lifecycle_types as fx
from mission.model import Mission, MissionState
from tests.unit.fleet.fleet_helpers import healthy_dock, to_wgs84
from tests.unit.mission.executor_rig import rig

S = MissionState
PLAN = fx.Planned("D01", "U01", eta_s=150.0)


async def test_a_returning_drone_is_handed_over_and_flies_the_new_mission_without_a_take_off() -> None:
    async with rig() as r:
        old = r.mission()
        await r.runner.launch(old, PLAN)
        await r.state(old.id, S.SUPERVISING)
        drone = r.drones["U01"]
        drone.stall.add("return_to_launch")
        r.runner.send(old.id, fx.WatchEnded("case_handled"))
        await r.state(old.id, S.RETURNING)
        r.fleet.release("D01", old.id)  # what the dispatcher does when it re-tasks the drone
        lon, lat = to_wgs84(1500.0, 1500.0)
        new = Mission(r.incident.id, lon, lat)
        before, docks_before = len(drone.commands), len(r.docks.calls)
        r.runner.send(old.id, fx.Retasked(new.id))
        await r.runner.launch(new, fx.Planned("D01", "U01", eta_s=90.0, airborne=True))
        ended = await r.over(old.id)
        flying = await r.state(new.id, S.SUPERVISING)
    assert ended.state is S.CLOSED and ended.reason is not None and new.id in ended.reason
    after = [c for c in drone.commands[before:]]
    assert [c[0] for c in after][:2] == ["goto", "orbit"]
    assert after[0][1:3] == (lat, lon)
    assert not {"arm", "takeoff", "land", "return_to_launch"} & {c[0] for c in after}
    assert not {"flighttask_prepare", "cover_close"} & {m for _, m, _ in r.docks.calls[docks_before:]}
    assert flying.drone_id == "U01" and r.fleet.assignment("D01") == new.id


async def test_a_foreign_dock_opened_to_land_in_is_closed_and_freed_on_hand_over() -> None:
    async with rig() as r:
        old = r.mission()
        await r.runner.launch(old, PLAN)
        await r.state(old.id, S.SUPERVISING)
        now = r.fleet.clock.now_s()
        r.fleet.put_dock_state(healthy_dock("D01", now, online=False))
        r.fleet.put_dock_state(healthy_dock("D02", now, drone_in_dock=False))
        r.drones["U01"].stall.add("goto")  # on its way to D02
        r.runner.send(old.id, fx.WatchEnded("x"))
        await r.state(old.id, S.RETURNING)
        async with asyncio.timeout(5.0):  # a guard against hanging, not a timing check
            while r.fleet.assignment("D02") != old.id or "goto" not in r.drones["U01"].commands[-1]:  # noqa: ASYNC110 - polling a fake
                await asyncio.sleep(0.01)
        r.fleet.release("D01", old.id)
        r.fleet.assign("D01", "m2")  # the dispatcher moved the drone's own dock to the new mission
        r.runner.send(old.id, fx.Retasked("m2"))
        ended = await r.over(old.id)
    assert ended.state is S.CLOSED
    assert r.docks.methods("D02") == ["cover_open", "cover_close"]
    assert r.fleet.assignment("D02") is None and r.fleet.assignment("D01") == "m2"
    assert "land" not in [c[0] for c in r.drones["U01"].commands]
    assert [e.data["dock_id"] for e in r.store.events[old.id] if e.kind == "return_dock_freed"] == ["D02"]


async def test_a_return_starting_during_the_hand_over_waits_for_it_instead_of_landing_the_drone() -> None:
    """Seen in the fire e2e: the dispatcher had moved the drone's dock to the verify mission and was
    storing its decision when the response mission's return began; the return found no dock for
    the drone, the mission landed it in the field and failed, and the verify mission flew it too."""
    async with rig() as r:
        old = r.mission()
        await r.runner.launch(old, PLAN)
        await r.state(old.id, S.SUPERVISING)
        drone = r.drones["U01"]
        r.fleet.release("D01", old.id)  # the dispatcher re-tasks the drone ...
        r.fleet.assign("D01", "m2")
        r.runner.send(old.id, fx.WatchEnded("case_handled"))  # ... as its watch ends
        await r.state(old.id, S.RETURNING)
        for _ in range(20):  # the return's first steps run; the decision is being stored
            await asyncio.sleep(0.01)
        r.runner.send(old.id, fx.Retasked("m2"))
        ended = await r.over(old.id)
    assert ended.state is S.CLOSED and ended.reason is not None and "m2" in ended.reason
    assert not {"land", "return_to_launch"} & {c[0] for c in drone.commands}
    assert not [e for e in r.store.events[old.id] if e.kind == "effect_failed"]
