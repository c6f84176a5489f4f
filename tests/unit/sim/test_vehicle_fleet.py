"""Fleet layout: homes on a grid, PX4 SITL ports and sysids."""

from __future__ import annotations

import math

import pytest

from sim.vehicle import spaced_configs
from sim.vehicle.model import LocalFrame


def test_grid_ports_and_sysids() -> None:
    cfgs = spaced_configs(5, 8.54, 47.37, 400.0, spacing_m=10.0, port_base=24000, local_port_base=28000)
    frame = LocalFrame(47.37, 8.54, 400.0)
    pts = [frame.to_local(c.home_lat_deg, c.home_lon_deg) for c in cfgs]
    assert pts[0] == pytest.approx((0.0, 0.0), abs=1e-6)
    gaps = [math.dist(a, b) for i, a in enumerate(pts) for b in pts[i + 1 :]]
    assert min(gaps) == pytest.approx(10.0, abs=0.01)
    assert [c.gcs_port for c in cfgs] == list(range(24000, 24005))
    assert [c.local_port for c in cfgs] == list(range(28000, 28005))
    assert [c.sysid for c in cfgs] == [1, 2, 3, 4, 5]
    assert cfgs[2].connection_url == "udpin://127.0.0.1:24002"
    assert all(c.home_alt_amsl_m == 400.0 for c in cfgs)


def test_same_sysid_and_ephemeral_ports_and_common_fields() -> None:
    cfgs = spaced_configs(3, 8.54, 47.37, sysid_base=None, local_port_base=0, heartbeat_hz=4.0)
    assert {c.sysid for c in cfgs} == {1}
    assert {c.local_port for c in cfgs} == {0}
    assert {c.heartbeat_hz for c in cfgs} == {4.0}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"count": 0},
        {"count": 3, "spacing_m": -1.0},
        {"count": 3, "port_base": 65534},
        {"count": 10, "sysid_base": 250},
    ],
)
def test_bad_layouts_are_refused(kwargs: dict[str, float]) -> None:
    count = int(kwargs.pop("count"))
    with pytest.raises(ValueError):
        spaced_configs(count, 8.54, 47.37, **kwargs)  # type: ignore[arg-type]


def test_bad_home_is_refused() -> None:
    with pytest.raises(ValueError):
        spaced_configs(1, 200.0, 47.37)
