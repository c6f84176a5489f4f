"""A drone whose keep-out geofence is not on board is not dispatched, through the real composition: the
demo's sim world (embedded broker, sim docks and vehicles) and :class:`mission.app_fleet.FleetSide`
with the reference settings, two docks 4 km apart (D12, D08). D12's autopilot refuses the fence upload
(the sim vehicle NACKs fence uploads, as an autopilot without fence storage would): its dock is
unavailable with the ``geofence`` reason and nothing else, and the planner sends D08 to a point 500 m
from D12."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from pathlib import Path

from fleet.geofence_sync import FenceState
from fleet.model import ReasonCode, SortieSpec
from mission.app_fleet import FleetSide, build_registry
from mission.app_sim import SimOptions, SimWorld
from mission.dispatch import wind_from_docks
from mission.geo_config import load_district
from mission.planner import Planner, dock_sites
from mission.settings import Settings, load_settings
from sim.vehicle.mission import MISSION_ERROR, MISSION_TYPE_FENCE
from sim.vehicle.vehicle import Vehicle

WAIT_S = 60.0
DOCKS = ("D12", "D08")


def two_dock_settings(tmp_path: Path) -> Settings:
    """The reference settings with only D12 and D08 (4 km apart) in the docks file, in that order."""
    base = load_settings()
    doc = json.loads(base.path(base.district.docks).read_text(encoding="utf-8"))
    doc["features"] = sorted(
        (f for f in doc["features"] if f["properties"]["id"] in DOCKS),
        key=lambda f: DOCKS.index(f["properties"]["id"]),
    )
    docks = tmp_path / "docks.geojson"
    docks.write_text(json.dumps(doc), encoding="utf-8")
    return base.model_copy(update={"district": base.district.model_copy(update={"docks": docks})})


def refuse_fences(vehicle: Vehicle) -> None:
    """The vehicle answers every fence upload with MISSION_ERROR (its other missions work as before)."""
    protocol = vehicle.mission.protocol
    handle = protocol.handle

    def refusing(msg, now_s):  # type: ignore[no-untyped-def]
        if msg.get_type() == "MISSION_COUNT" and getattr(msg, "mission_type", 0) == MISSION_TYPE_FENCE:
            src = (msg.get_srcSystem(), msg.get_srcComponent())
            return [protocol.mav.mission_ack_encode(src[0], src[1], MISSION_ERROR, MISSION_TYPE_FENCE)]
        return handle(msg, now_s)

    protocol.handle = refusing  # type: ignore[method-assign]


async def until(cond: Callable[[], bool], what: Callable[[], str]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not cond():
        assert loop.time() < deadline, f"not within {WAIT_S} s: {what()}"
        await asyncio.sleep(0.05)


async def test_a_drone_whose_fence_upload_fails_is_not_chosen(tmp_path: Path) -> None:
    settings = two_dock_settings(tmp_path)
    assert settings.geofence.enabled and settings.geofence.required
    async with SimWorld(settings, SimOptions(speed=20.0, dock_count=2, battery_pct=95.0)) as world:
        assert world.dock_ids == list(DOCKS)
        refuse_fences(next(d.vehicle for d in world.drones if d.dock_sn == "D12"))
        registry = build_registry(settings, only=world.dock_ids)
        refused, fenced = registry.dock("D12").drone_id, registry.dock("D08").drone_id
        async with FleetSide(
            settings, world.url, world.drone_specs(), registry=registry, clock=world.clock
        ) as fleet:
            manager = fleet.manager

            def states() -> str:
                fences = {d: s.state.value for d, s in fleet.geofence_status.items()}
                return f"fences {fences}, {[(i, manager.availability(i).summary) for i in DOCKS]}"

            def settled() -> bool:
                bad, good = fleet.geofence_status.get(refused), fleet.geofence_status.get(fenced)
                return (
                    bad is not None
                    and bad.state is FenceState.FAILED
                    and good is not None
                    and good.state is FenceState.UPLOADED
                    and manager.availability("D08").available
                    and manager.availability("D12").codes == (ReasonCode.GEOFENCE,)
                )

            await until(settled, states)
            assert "keep-out geofence not on board: upload failed" in manager.availability("D12").summary

            d12, d08 = registry.dock("D12"), registry.dock("D08")
            k = 500.0 / math.hypot(d08.x_m - d12.x_m, d08.y_m - d12.y_m)  # 500 m from D12 towards D08
            frame = load_district(settings).frame
            lon, lat = frame.to_wgs84(d12.x_m + (d08.x_m - d12.x_m) * k, d12.y_m + (d08.y_m - d12.y_m) * k)
            wind = wind_from_docks(manager)
            spec = SortieSpec(lon, lat, wind=wind)
            planner = Planner(dock_sites(registry), frame.to_local, target_s=settings.planning.target_s)
            decision = planner.plan("M-fence", lon, lat, manager.candidates(spec), wind)
            assert decision.dock_id == "D08", decision
            rejected = {r.dock_id: r for r in decision.rejected}
            assert rejected["D12"].reason_code == ReasonCode.GEOFENCE.value
            assert "keep-out geofence not on board" in rejected["D12"].reason
