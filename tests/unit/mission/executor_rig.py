"""A mission runner on fakes: three docks 3 km apart (D01..D03, drones U01..U03), a fire incident."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fleet.manager import FleetManager
from fleet.registry import FleetRegistry
from mission import lifecycle_types as fx
from mission.executor import ExecutorDeps
from mission.model import AlertType, Incident, Mission, MissionState
from mission.payload_client import PayloadClient
from mission.runner import MissionRunner
from mission.supervision import ExecutorSettings
from tests.unit.fleet.fleet_helpers import healthy_dock, make_registry, to_wgs84
from tests.unit.mission.fake_store import FakeStore
from tests.unit.mission.fakes_links import FakeDockLink, FakeDrone

#: The incident: 1 km north of D01.
FIRE_LON, FIRE_LAT = to_wgs84(0.0, 1000.0)


@dataclass
class Rig:
    runner: MissionRunner
    store: FakeStore
    fleet: FleetManager
    docks: FakeDockLink
    drones: dict[str, FakeDrone]
    incident: Incident
    notes: list[tuple[str, fx.Notify]] = field(default_factory=list)
    reliefs: list[fx.RequestRelief] = field(default_factory=list)
    tg: asyncio.TaskGroup | None = None
    task: asyncio.Task[None] | None = None

    async def restart(self) -> MissionRunner:
        """Mission control dies (every run cancelled, nothing else kept) and a new runner starts."""
        assert self.tg is not None and self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        self.runner = MissionRunner(self.runner.deps)
        self.task = self.tg.create_task(self.runner.run())
        await self.runner.started()
        return self.runner

    def mission(self, incident: bool = True, **changes: Any) -> Mission:
        return Mission(self.incident.id if incident else None, FIRE_LON, FIRE_LAT, **changes)

    async def until(
        self, mission_id: str, test: Callable[[Mission], bool], timeout_s: float = 5.0
    ) -> Mission:
        """The stored mission once ``test`` holds (a guard against hanging, not a timing check)."""
        async with asyncio.timeout(timeout_s):
            while True:
                m = self.store.missions.get(mission_id)
                if m is not None and test(m):
                    return m
                await asyncio.sleep(0.001)

    async def state(self, mission_id: str, state: MissionState) -> Mission:
        return await self.until(mission_id, lambda m: m.state is state)

    async def over(self, mission_id: str) -> Mission:
        m = await self.until(mission_id, lambda m: m.state.terminal)
        async with asyncio.timeout(5.0):  # the run ends right after its last transition
            while mission_id in self.runner.active:  # noqa: ASYNC110 - polling a fake is fine here
                await asyncio.sleep(0.001)
        return m

    def states(self, mission_id: str) -> list[str]:
        return [str(e.to_state) for e in self.store.events[mission_id] if e.kind == "state"]

    def kinds(self, mission_id: str) -> list[str]:
        return [e.kind for e in self.store.events[mission_id]]


@asynccontextmanager
async def rig(registry: FleetRegistry | None = None, **settings: Any) -> AsyncIterator[Rig]:
    """The runner on fakes; ``registry``: instead of three Dock 2 docks from the shipped config."""
    registry = registry or make_registry(("dock2", "dock2", "dock2"))
    fleet = FleetManager(registry)
    for entry in registry:
        fleet.put_dock_state(healthy_dock(entry.dock_id, fleet.clock.now_s()))
    drones = {e.drone_id: FakeDrone(e.drone_id, e.record.lat_deg, e.record.lon_deg) for e in registry}
    store, docks = FakeStore(), FakeDockLink()
    incident = Incident(AlertType.FIRE_SMOKE, FIRE_LON, FIRE_LAT, priority=1)
    await store.add_incident(incident)
    defaults: dict[str, Any] = {"watch_budget_s": 3600.0}
    deps = ExecutorDeps(
        store=store,
        fleet=fleet,
        drones=drones.__getitem__,
        docks=docks,
        payload=PayloadClient(docks),
        settings=ExecutorSettings(**{**defaults, **settings}),
    )
    runner = MissionRunner(deps)
    r = Rig(runner, store, fleet, docks, drones, incident)
    deps.notify = lambda mid, n: r.notes.append((mid, n))

    async def relief(m: Mission, e: fx.RequestRelief) -> None:
        r.reliefs.append(e)

    deps.request_relief = relief
    async with asyncio.TaskGroup() as tg:
        r.tg, r.task = tg, tg.create_task(runner.run())
        await runner.started()
        try:
            yield r
        finally:
            r.runner.stop()
