"""The dock's charging curve: constant rate up to a knee, then a taper that slows towards 100 %.

A pure model shared by the simulated dock (which charges along it) and the fleet manager (which
predicts "ready in 7 min" with it). Calibrated by one number, the time from 20 % to 90 %
(≈ 32 min for a DJI Dock 2 class dock, an unverified default in ``config/skyloop.toml``).

Below ``knee_pct`` the battery gains ``rate`` %/s; above it the rate falls linearly with the
remaining capacity, ``rate · (100 − p) / (100 − knee)``, so the charge approaches 100 % exponentially.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: A battery at or above this is reported full (the exponential tail never reaches 100).
FULL_PCT = 99.5


@dataclass(frozen=True)
class ChargingCurve:
    """``charge_20_90_s``: seconds from 20 % to 90 %; ``knee_pct``: where the taper starts."""

    charge_20_90_s: float = 1920.0
    knee_pct: float = 80.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.charge_20_90_s) and self.charge_20_90_s > 0):
            raise ValueError(f"charge_20_90_s must be positive, got {self.charge_20_90_s!r}")
        if not 20.0 < self.knee_pct < 90.0:
            raise ValueError(f"knee_pct must be within (20, 90), got {self.knee_pct!r}")

    @property
    def rate_pct_per_s(self) -> float:
        """Charge rate below the knee, chosen so that 20 → 90 % takes ``charge_20_90_s``."""
        taper = (100.0 - self.knee_pct) * math.log((100.0 - self.knee_pct) / 10.0)
        return ((self.knee_pct - 20.0) + taper) / self.charge_20_90_s

    def _tau_s(self) -> float:
        return (100.0 - self.knee_pct) / self.rate_pct_per_s

    def pct_after(self, start_pct: float, duration_s: float) -> float:
        """State of charge after charging ``duration_s`` seconds from ``start_pct``."""
        pct = min(max(start_pct, 0.0), 100.0)
        remaining_s = max(duration_s, 0.0)
        if pct < self.knee_pct:
            to_knee_s = (self.knee_pct - pct) / self.rate_pct_per_s
            if remaining_s <= to_knee_s:
                return pct + remaining_s * self.rate_pct_per_s
            pct, remaining_s = self.knee_pct, remaining_s - to_knee_s
        return 100.0 - (100.0 - pct) * math.exp(-remaining_s / self._tau_s())

    def time_to_pct(self, start_pct: float, target_pct: float) -> float:
        """Seconds of charging from ``start_pct`` to ``target_pct`` (0 if already there; inf for 100)."""
        start = min(max(start_pct, 0.0), 100.0)
        target = min(max(target_pct, 0.0), 100.0)
        if target <= start:
            return 0.0
        if target >= 100.0:
            return math.inf
        seconds = 0.0
        if start < self.knee_pct:
            seconds += (min(target, self.knee_pct) - start) / self.rate_pct_per_s
            start = self.knee_pct
        if target > start:
            seconds += self._tau_s() * math.log((100.0 - start) / (100.0 - target))
        return seconds
