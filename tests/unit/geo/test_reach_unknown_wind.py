"""A wind of known speed from an unknown direction (geo/reach.py): every leg is timed against a
headwind, the worst case over all directions, and the energy check takes headwind out, tailwind
back, the worst round trip."""

from __future__ import annotations

import numpy as np
import pytest

from geo.model import EnergyParams, ReachParams, Wind
from geo.reach import constant_speed_leg_time_s, energy_required_pct, wind_cruise_time_s

V_MPS, A_MPS2 = 15.0, 3.0
DIRECTIONS_DEG = np.arange(0.0, 360.0, 2.5)
# offsets (east, north) from a few metres (acceleration only) to several kilometres
OFFSETS = [(3000.0, 1000.0), (-200.0, 50.0), (10.0, 5.0), (0.0, -40.0), (-2500.0, -2500.0), (120.0, 90.0)]


def test_the_unknown_direction_has_no_vector_and_calm_is_still_calm() -> None:
    with pytest.raises(ValueError, match="unknown"):
        _ = Wind.unknown_direction(5.0).vector_mps
    assert Wind.unknown_direction(0.0).vector_mps == (0.0, 0.0)
    assert not Wind.unknown_direction(0.0).unknown and Wind.unknown_direction(0.1).unknown
    assert Wind(5.0, 90.0).against(100.0, 0.0) == Wind(5.0, 90.0)  # a known direction is kept


@pytest.mark.parametrize("speed_mps", [3.0, 8.0, 12.0])
def test_each_leg_takes_the_headwind_time_the_worst_of_every_direction(speed_mps: float) -> None:
    unknown = Wind.unknown_direction(speed_mps)
    dx = np.array([o[0] for o in OFFSETS])
    dy = np.array([o[1] for o in OFFSETS])
    got = wind_cruise_time_s(dx, dy, unknown, V_MPS, A_MPS2)
    for i, (x, y) in enumerate(OFFSETS):
        headwind = unknown.against(x, y)  # blowing from where the leg goes
        assert headwind.direction_known
        assert got[i] == pytest.approx(float(wind_cruise_time_s(x, y, headwind, V_MPS, A_MPS2)), rel=1e-12)
        every = [float(wind_cruise_time_s(x, y, Wind(speed_mps, d), V_MPS, A_MPS2)) for d in DIRECTIONS_DEG]
        assert got[i] >= max(every) - 1e-6


def test_a_constant_speed_leg_flies_at_air_speed_minus_the_wind() -> None:
    t = constant_speed_leg_time_s(
        np.array([1500.0, 0.0, -300.0]), np.array([0.0, 2000.0, 400.0]), Wind.unknown_direction(5.0), V_MPS
    )
    assert t == pytest.approx([1500.0 / 10.0, 2000.0 / 10.0, 500.0 / 10.0])
    assert np.isinf(constant_speed_leg_time_s(100.0, 0.0, Wind.unknown_direction(V_MPS), V_MPS))


@pytest.mark.parametrize("speed_mps", [4.0, 8.0, 12.0])
def test_energy_is_the_worst_round_trip_over_every_direction(speed_mps: float) -> None:
    reach, energy = ReachParams(), EnergyParams()
    unknown = Wind.unknown_direction(speed_mps)
    for x, y in [*OFFSETS, (60.0, 0.0), (0.0, 149.0)]:
        got = energy_required_pct(x, y, reach, energy, unknown)
        headwind_out = energy_required_pct(x, y, reach, energy, unknown.against(x, y))
        every = max(energy_required_pct(x, y, reach, energy, Wind(speed_mps, d)) for d in DIRECTIONS_DEG)
        if np.hypot(x, y) >= 2 * V_MPS**2 / A_MPS2:  # at cruise speed: headwind out, tailwind back
            assert got == headwind_out
        else:  # still accelerating: the worst may be off the leg, the 5° sweep finds it
            assert got >= headwind_out
        assert got >= every - 1e-3
        assert got > energy_required_pct(x, y, reach, energy)  # never better than calm air
