"""Incidents of the sim world with their ground truth: what, where, how big, how hot, since when.

The camera renderer draws them and tests score the payload detectors against them. A crowd and a
row of stalls are made of members (people, stalls) whose positions are deterministic for an id.
A ``decoy`` is a ginger-orange tarp at ambient temperature: it must never be reported as fire.
``end_s`` ends an incident (disposal), so a revisit can check that it is gone.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from payload.georef import offset_to_wgs84
from payload.model import Label


class IncidentKind(StrEnum):
    FIRE = "fire"  # flames (with smoke if ``smoke``), very hot
    PERSON = "person"  # one person, e.g. at the lake shore
    CROWD = "crowd"  # ``count`` people within a disc of diameter ``size_m``
    STALLS = "stalls"  # ``count`` market stalls in a row along ``heading_deg``
    DECOY = "decoy"  # a ginger-orange object at ambient temperature (not fire)


#: Labels a detector may rightly report for each kind (for precision/recall scoring).
EXPECTED_LABELS: dict[IncidentKind, frozenset[str]] = {
    IncidentKind.FIRE: frozenset({Label.FIRE, Label.SMOKE, Label.HOT_SPOT}),
    IncidentKind.PERSON: frozenset({Label.PERSON, Label.WARM_BODY}),
    IncidentKind.CROWD: frozenset({Label.CROWD, Label.PERSON, Label.WARM_BODY}),
    IncidentKind.STALLS: frozenset({Label.STATIONARY_OBJECT}),
    IncidentKind.DECOY: frozenset(),
}

PERSON_LENGTH_M = 0.5
PERSON_WIDTH_M = 0.3
STALL_LENGTH_M = 2.0
STALL_WIDTH_M = 1.5


@dataclass(frozen=True)
class Member:
    """One person of a crowd or one stall of a row, in metres east/north of the incident centre."""

    east_m: float
    north_m: float
    heading_deg: float


@dataclass(frozen=True)
class Incident:
    """Ground truth of one incident; ``size_m`` is the fire diameter, the crowd's diameter or a stall
    row's length; ``temperature_c`` the surface temperature (fire core, skin/clothes, canvas)."""

    incident_id: str
    kind: IncidentKind
    lon_deg: float
    lat_deg: float
    size_m: float = 1.0
    temperature_c: float = 33.0
    start_s: float = 0.0
    count: int = 1
    heading_deg: float = 0.0
    smoke: bool = True
    end_s: float | None = None
    """When it was dealt with (fire out, stalls cleared, crowd gone); None = still there."""

    def __post_init__(self) -> None:
        if self.size_m <= 0 or self.count < 1:
            raise ValueError(f"incident {self.incident_id}: size_m and count must be positive")
        if self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError(f"incident {self.incident_id}: end_s must come after start_s")

    def active(self, t_s: float) -> bool:
        return t_s >= self.start_s and (self.end_s is None or t_s < self.end_s)

    def _rng(self) -> np.random.Generator:
        seed = int.from_bytes(hashlib.sha256(self.incident_id.encode()).digest()[:8], "little")
        return np.random.default_rng(seed)

    def members(self) -> list[Member]:
        """People of a person/crowd, stalls of a row (one member at the centre otherwise)."""
        rng = self._rng()
        if self.kind is IncidentKind.CROWD:
            placed: list[Member] = []
            radius = self.size_m / 2.0
            tries = 0
            while len(placed) < self.count and tries < 20000:
                tries += 1
                r = radius * math.sqrt(rng.uniform())
                a = rng.uniform(0, 2 * math.pi)
                e, n = r * math.sin(a), r * math.cos(a)
                if all(math.hypot(e - m.east_m, n - m.north_m) >= 0.9 for m in placed):
                    placed.append(Member(e, n, float(rng.uniform(0, 360))))
            return placed
        if self.kind is IncidentKind.STALLS:
            h = math.radians(self.heading_deg)
            spacing = self.size_m / max(self.count, 1)
            offsets = [(i - (self.count - 1) / 2.0) * spacing for i in range(self.count)]
            return [Member(d * math.sin(h), d * math.cos(h), self.heading_deg) for d in offsets]
        return [Member(0.0, 0.0, float(rng.uniform(0, 360)))]

    def member_positions(self) -> list[tuple[float, float]]:
        """WGS84 (lon, lat) of every member."""
        ms = self.members()
        lon, lat = offset_to_wgs84(
            self.lon_deg,
            self.lat_deg,
            np.array([m.north_m for m in ms]),
            np.array([m.east_m for m in ms]),
        )
        return [(float(a), float(b)) for a, b in zip(lon, lat, strict=True)]

    @property
    def radius_m(self) -> float:
        """Radius of the disc that holds the whole incident on the ground."""
        if self.kind is IncidentKind.PERSON:
            return PERSON_LENGTH_M / 2.0
        if self.kind is IncidentKind.STALLS:
            return self.size_m / 2.0 + STALL_LENGTH_M
        return self.size_m / 2.0
