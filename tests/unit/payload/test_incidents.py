"""Sim incidents: deterministic members, sizes, life span."""

from __future__ import annotations

import math

import pytest

from sim.incidents import Incident, IncidentKind


def test_crowd_members_are_deterministic_inside_the_disc_and_apart() -> None:
    crowd = Incident("c1", IncidentKind.CROWD, 113.75, 34.8, size_m=8.0, count=15)
    members = crowd.members()
    assert members == Incident("c1", IncidentKind.CROWD, 113.75, 34.8, size_m=8.0, count=15).members()
    assert members != Incident("c2", IncidentKind.CROWD, 113.75, 34.8, size_m=8.0, count=15).members()
    assert len(members) == 15
    assert all(math.hypot(m.east_m, m.north_m) <= 4.0 for m in members)
    gaps = [
        math.hypot(a.east_m - b.east_m, a.north_m - b.north_m) for a in members for b in members if a is not b
    ]
    assert min(gaps) >= 0.9


def test_stalls_line_up_along_the_heading() -> None:
    stalls = Incident("s1", IncidentKind.STALLS, 113.75, 34.8, size_m=12.0, count=4, heading_deg=90.0)
    east = [round(m.east_m, 6) for m in stalls.members()]
    assert east == [-4.5, -1.5, 1.5, 4.5]
    assert all(abs(m.north_m) < 1e-9 for m in stalls.members())
    lon = [p[0] for p in stalls.member_positions()]
    assert lon == sorted(lon) and lon[0] < 113.75 < lon[-1]


def test_life_span() -> None:
    fire = Incident("f1", IncidentKind.FIRE, 113.75, 34.8, start_s=10.0, end_s=70.0)
    assert [fire.active(t) for t in (5.0, 10.0, 69.9, 70.0)] == [False, True, True, False]
    with pytest.raises(ValueError, match="end_s"):
        Incident("f2", IncidentKind.FIRE, 113.75, 34.8, start_s=10.0, end_s=10.0)
    with pytest.raises(ValueError, match="positive"):
        Incident("f3", IncidentKind.CROWD, 113.75, 34.8, count=0)
