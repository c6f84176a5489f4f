"""Who is alive: each device's retained online status and when its last OSD arrived.

Pure bookkeeping with an injected clock (monotonic seconds), so staleness is testable without waiting.
A device is *live* when its status says online and its OSD is younger than ``stale_after_s``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Presence:
    """What we know about one device's liveness."""

    online: bool | None = None
    last_osd_s: float | None = None
    last_status_s: float | None = None

    def osd_age_s(self, now_s: float) -> float | None:
        return None if self.last_osd_s is None else max(0.0, now_s - self.last_osd_s)

    def stale(self, now_s: float, stale_after_s: float) -> bool:
        age = self.osd_age_s(now_s)
        return age is None or age > stale_after_s

    def live(self, now_s: float, stale_after_s: float) -> bool:
        return self.online is True and not self.stale(now_s, stale_after_s)


@dataclass
class PresenceTracker:
    """Presence of every device seen, keyed by serial."""

    stale_after_s: float
    devices: dict[str, Presence] = field(default_factory=dict)

    def _get(self, sn: str) -> Presence:
        return self.devices.setdefault(sn, Presence())

    def saw_osd(self, sn: str, now_s: float) -> None:
        self._get(sn).last_osd_s = now_s

    def saw_status(self, sn: str, online: bool, now_s: float) -> None:
        presence = self._get(sn)
        presence.online = online
        presence.last_status_s = now_s

    def get(self, sn: str) -> Presence:
        return self.devices.get(sn, Presence())

    def live(self, sn: str, now_s: float) -> bool:
        return self.get(sn).live(now_s, self.stale_after_s)

    def stale(self, now_s: float) -> list[str]:
        """Serials whose OSD is older than the stale time (or never came)."""
        return sorted(sn for sn, p in self.devices.items() if p.stale(now_s, self.stale_after_s))
