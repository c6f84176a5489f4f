"""Telemetry streams on a sped-up clock: up to MAX_STREAM_SPEEDUP their rates follow sim time; a
faster clock stretches them, so the wall rate stays bounded (and the streams keep their ratios)."""

from __future__ import annotations

from collections import Counter

import pytest

from sim.vehicle.telemetry import MSG_GLOBAL_POSITION_INT, MSG_SYS_STATUS
from sim.vehicle.vehicle import MAX_STREAM_SPEEDUP, MavMessage
from tests.unit.sim.vehicle_helpers import advance, make_vehicle


def sent_per_sim_s(speed: float, sim_s: float = 20.0) -> Counter[int]:
    v, clock = make_vehicle()
    clock.speed = speed
    sent: Counter[int] = Counter()

    def count(msg: MavMessage) -> None:
        sent[msg.get_msgId()] += 1

    v.send = count  # type: ignore[method-assign]
    advance(v, clock, sim_s, step_s=0.02)
    return Counter({k: round(n / sim_s, 2) for k, n in sent.items()})


@pytest.mark.parametrize("speed", [1.0, MAX_STREAM_SPEEDUP])
def test_streams_follow_sim_time_up_to_the_cap(speed: float) -> None:
    rates = sent_per_sim_s(speed)
    assert rates[MSG_GLOBAL_POSITION_INT] == pytest.approx(5.0, abs=0.1)  # every 0.2 sim s
    assert rates[MSG_SYS_STATUS] == pytest.approx(1.0, abs=0.1)


def test_a_faster_clock_stretches_every_stream_alike() -> None:
    speed = 5 * MAX_STREAM_SPEEDUP
    rates = sent_per_sim_s(speed)
    stretch = speed / MAX_STREAM_SPEEDUP
    assert rates[MSG_GLOBAL_POSITION_INT] == pytest.approx(5.0 / stretch, abs=0.1)
    assert rates[MSG_SYS_STATUS] == pytest.approx(1.0 / stretch, abs=0.1)
    # in wall time: at most MAX_STREAM_SPEEDUP times the nominal 5 Hz
    assert rates[MSG_GLOBAL_POSITION_INT] * speed <= 5.0 * MAX_STREAM_SPEEDUP + 0.5
