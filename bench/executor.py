"""Mission lifecycle and executor, software only: ``python -m bench.executor``.

Rows: pure lifecycle transitions per second (the happy path, requested → closed, repeated); and
the executor's share of "alert accepted → take-off command sent": from a ``Planned`` event handed to
the runner (mission stored first) to the drone link's ``arm`` call, with the dock's
``flighttask_prepare`` answered at once by an in-memory dock, for 1 mission at a time and for N
missions launched together. In-memory store and links (tests/unit/mission fakes): the figures
exclude the database, the broker, MAVLink and the dock's own preparation time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from fleet.manager import FleetManager
from mission import lifecycle_types as fx
from mission.executor import ExecutorDeps
from mission.lifecycle import LifecycleParams, transition
from mission.model import Mission, MissionState
from mission.payload_client import PayloadClient
from mission.runner import MissionRunner
from tests.unit.fleet.fleet_helpers import healthy_dock, make_registry
from tests.unit.mission.fake_store import FakeStore
from tests.unit.mission.fakes_links import FakeDockLink, FakeDrone

PATH: list[fx.MissionInput] = [
    fx.Planned("d1", "u1", eta_s=100.0),
    fx.DockReady(),
    fx.Airborne(),
    fx.Arrived(),
    fx.SceneDone(),
    fx.WatchEnded("x"),
    fx.Landed("d1"),
    fx.DockClosed(),
]


def lifecycle_rate(rounds: int) -> float:
    params = LifecycleParams()
    t0 = time.perf_counter()
    for _ in range(rounds):
        m = Mission("i", 113.7, 34.7)
        for seq, event in enumerate(PATH, start=2):
            m = transition(m, event, seq=seq, params=params).mission
        assert m.state is MissionState.CLOSED
    return rounds * len(PATH) / (time.perf_counter() - t0)


class TimedDrone(FakeDrone):
    armed_at: float | None = None

    async def arm(self) -> None:
        self.armed_at = time.perf_counter()
        self.stall.add("takeoff")  # stop here: the bench is about reaching the first command
        await super().arm()


async def launch_to_arm(missions: int, rounds: int) -> list[float]:
    """Latencies (ms) of ``missions`` launched together, ``rounds`` times."""
    out: list[float] = []
    registry = make_registry(tuple("dock2" for _ in range(missions)))
    for _ in range(rounds):
        fleet = FleetManager(registry)
        for e in registry:
            fleet.put_dock_state(healthy_dock(e.dock_id, fleet.clock.now_s()))
        drones = {e.drone_id: TimedDrone(e.drone_id, e.record.lat_deg, e.record.lon_deg) for e in registry}
        docks = FakeDockLink()
        deps = ExecutorDeps(FakeStore(), fleet, drones.__getitem__, docks, PayloadClient(docks))
        runner = MissionRunner(deps)
        async with asyncio.TaskGroup() as tg:
            tg.create_task(runner.run())
            await runner.started()
            started: dict[str, float] = {}
            for e in registry:
                m = Mission(None, e.record.lon_deg, e.record.lat_deg + 0.01)
                started[e.drone_id] = time.perf_counter()
                await runner.launch(m, fx.Planned(e.dock_id, e.drone_id, eta_s=100.0))
            while any(d.armed_at is None for d in drones.values()):  # noqa: ASYNC110
                await asyncio.sleep(0)
            runner.stop()
        out += [(d.armed_at - started[i]) * 1000.0 for i, d in drones.items() if d.armed_at is not None]
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=200, help="missions for the 1-at-a-time row")
    parser.add_argument("--together", type=int, default=16, help="missions launched together")
    args = parser.parse_args(argv)
    rate = lifecycle_rate(5000)
    rows: list[tuple[str, Any, Any, Any]] = [("lifecycle transitions / s", f"{rate:,.0f}", "", "")]
    for n, rounds in ((1, args.rounds), (args.together, max(1, args.rounds // args.together))):
        lat = asyncio.run(launch_to_arm(n, rounds))
        rows.append(
            (
                f"planned -> arm sent, {n} at once ({len(lat)} missions)",
                f"{statistics.median(lat):.2f} ms",
                f"{pct(lat, 0.99):.2f} ms",
                f"{max(lat):.2f} ms",
            )
        )
    print(f"| {'row':<48} | {'p50 / rate':>14} | {'p99':>10} | {'max':>10} |")
    print(f"|{'-' * 50}|{'-' * 16}|{'-' * 12}|{'-' * 12}|")
    for name, a, b, c in rows:
        print(f"| {name:<48} | {a:>14} | {b:>10} | {c:>10} |")


if __name__ == "__main__":
    main()
