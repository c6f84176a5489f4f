"""Simulation time with a speed-up factor: sim time runs ``speed`` times faster than the wall clock.

Every sim component (vehicles, docks, weather) reads time and sleeps through one :class:`SimClock`, so
rates, delays and timeouts all scale together.
"""

from __future__ import annotations

import asyncio
import time


class SimClock:
    """Sim seconds since the clock started; ``speed`` = 10 makes a 60 s dock preparation take 6 s."""

    def __init__(self, speed: float = 1.0, start_s: float = 0.0) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed!r}")
        self.speed = speed
        self._start_s = start_s
        self._wall0 = time.monotonic()

    def now_s(self) -> float:
        """Current sim time in seconds."""
        return self._start_s + (time.monotonic() - self._wall0) * self.speed

    def wall_s(self, sim_s: float) -> float:
        """How many wall-clock seconds ``sim_s`` sim seconds take."""
        return sim_s / self.speed

    async def sleep(self, sim_s: float) -> None:
        """Sleep for ``sim_s`` sim seconds."""
        await asyncio.sleep(max(sim_s, 0.0) / self.speed)
