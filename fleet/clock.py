"""The fleet manager's clock: injectable, so stale detection is tested without waiting."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """Seconds that only move forward (``sim.clock.SimClock`` fits, for sped-up tests)."""

    def now_s(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class MonotonicClock:
    """The default clock: ``time.monotonic`` and ``asyncio.sleep``."""

    def now_s(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
