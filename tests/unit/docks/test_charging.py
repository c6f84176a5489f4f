import math

import pytest

from docks.charging import ChargingCurve


def test_twenty_to_ninety_takes_the_calibrated_time() -> None:
    curve = ChargingCurve(charge_20_90_s=1920.0)
    assert curve.time_to_pct(20.0, 90.0) == pytest.approx(1920.0)
    assert curve.pct_after(20.0, 1920.0) == pytest.approx(90.0)


def test_slower_at_the_top() -> None:
    curve = ChargingCurve()
    low = curve.time_to_pct(30.0, 40.0)
    high = curve.time_to_pct(85.0, 95.0)
    assert high > 1.5 * low


@pytest.mark.parametrize("start", [0.0, 20.0, 55.0, 80.0, 93.0])
@pytest.mark.parametrize("duration", [0.0, 60.0, 600.0, 3000.0])
def test_time_and_pct_are_inverse(start: float, duration: float) -> None:
    curve = ChargingCurve(charge_20_90_s=1500.0, knee_pct=75.0)
    end = curve.pct_after(start, duration)
    assert start <= end < 100.0
    assert curve.time_to_pct(start, end) == pytest.approx(duration, abs=1e-6)


def test_charging_is_additive() -> None:
    curve = ChargingCurve()
    direct = curve.pct_after(25.0, 1000.0)
    stepwise = curve.pct_after(curve.pct_after(25.0, 400.0), 600.0)
    assert stepwise == pytest.approx(direct)


def test_edges() -> None:
    curve = ChargingCurve()
    assert curve.time_to_pct(60.0, 50.0) == 0.0
    assert math.isinf(curve.time_to_pct(60.0, 100.0))
    with pytest.raises(ValueError):
        ChargingCurve(charge_20_90_s=0.0)
    with pytest.raises(ValueError):
        ChargingCurve(knee_pct=95.0)
