"""Tracking on the ground, across frames: one fire is one lead, not thirty.

Each detection arrives georeferenced (a ground point with its uncertainty). It joins the nearest
live track of the same class within the gate (the larger of ``gate_m`` and the two uncertainty
radii), else starts a new track. A track is *confirmed* once it has ``min_hits`` detections; it is
dropped after ``max_age_s`` without one. Positions are averaged in metres around the first point.

With ``max_gap_s`` set, age is counted in the video actually watched: a gap between two updates of
more than ``max_gap_s`` (the onboard computer fell behind and skipped frames, e.g. a sped-up sim)
counts as ``max_gap_s``, so a track is dropped after ``max_age_s`` of looking without seeing it,
not because nobody looked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from payload.georef import offset_to_wgs84, wgs84_to_offset
from payload.model import Detection, GroundPoint


@dataclass
class Track:
    """One object followed over frames."""

    track_id: int
    label: str
    origin_lon_deg: float
    origin_lat_deg: float
    first_seen_s: float
    last_seen_s: float
    detection: Detection
    """The latest detection (its box is in the latest frame)."""
    hits: int = 1
    sum_east_m: float = 0.0
    sum_north_m: float = 0.0
    uncertainty_m: float = math.inf
    best_confidence: float = 0.0
    reported: bool = field(default=False)
    lead_id: str | None = None
    """The id of the lead this track's confirmation made (None while tentative)."""
    last_seen_watch_s: float = 0.0
    """The tracker's watched time (see ``max_gap_s``) at the latest detection."""

    @property
    def east_m(self) -> float:
        return self.sum_east_m / self.hits

    @property
    def north_m(self) -> float:
        return self.sum_north_m / self.hits

    @property
    def lon_lat(self) -> tuple[float, float]:
        lon, lat = offset_to_wgs84(self.origin_lon_deg, self.origin_lat_deg, self.north_m, self.east_m)
        return float(lon), float(lat)


class Tracker:
    """Associates georeferenced detections over time (greedy nearest neighbour per class)."""

    def __init__(
        self, gate_m: float = 3.0, min_hits: int = 3, max_age_s: float = 10.0, max_gap_s: float | None = None
    ) -> None:
        self.gate_m = gate_m
        self.min_hits = min_hits
        self.max_age_s = max_age_s
        self.max_gap_s = max_gap_s
        self.tracks: list[Track] = []
        self._next_id = 1
        self._last_t_s: float | None = None
        self.watched_s = 0.0
        """Time watched so far: update times' differences, each gap capped at ``max_gap_s``."""

    def _watch(self, t_s: float) -> float:
        if self._last_t_s is not None:
            dt = max(t_s - self._last_t_s, 0.0)
            self.watched_s += dt if self.max_gap_s is None else min(dt, self.max_gap_s)
        self._last_t_s = t_s
        return self.watched_s

    def _offset(self, track: Track, point: GroundPoint) -> tuple[float, float]:
        n, e = wgs84_to_offset(track.origin_lon_deg, track.origin_lat_deg, point.lon_deg, point.lat_deg)
        return float(e), float(n)

    def update(self, t_s: float, observations: list[tuple[Detection, GroundPoint]]) -> list[Track]:
        """Add one frame's detections; returns the tracks that were confirmed by this frame
        (reached ``min_hits`` now), each exactly once in its life."""
        watched = self._watch(t_s)
        self.tracks = [tr for tr in self.tracks if watched - tr.last_seen_watch_s <= self.max_age_s]
        pairs: list[tuple[float, int, int, tuple[float, float]]] = []
        for oi, (det, point) in enumerate(observations):
            for ti, tr in enumerate(self.tracks):
                if tr.label != det.label or tr.last_seen_s >= t_s:
                    continue
                e, n = self._offset(tr, point)
                dist = math.hypot(e - tr.east_m, n - tr.north_m)
                gate = max(self.gate_m, min(point.uncertainty_m, tr.uncertainty_m))
                if dist <= gate:
                    pairs.append((dist, oi, ti, (e, n)))
        pairs.sort()
        used_obs: set[int] = set()
        used_tracks: set[int] = set()
        confirmed: list[Track] = []
        for _, oi, ti, (e, n) in pairs:
            if oi in used_obs or ti in used_tracks:
                continue
            used_obs.add(oi)
            used_tracks.add(ti)
            det, point = observations[oi]
            tr = self.tracks[ti]
            tr.hits += 1
            tr.sum_east_m += e
            tr.sum_north_m += n
            tr.last_seen_s = t_s
            tr.last_seen_watch_s = watched
            tr.uncertainty_m = min(tr.uncertainty_m, point.uncertainty_m)
            tr.best_confidence = max(tr.best_confidence, det.confidence)
            tr.detection = det
            if tr.hits >= self.min_hits and not tr.reported:
                tr.reported = True
                confirmed.append(tr)
        for oi, (det, point) in enumerate(observations):
            if oi in used_obs:
                continue
            tr = Track(
                self._next_id,
                det.label,
                point.lon_deg,
                point.lat_deg,
                t_s,
                t_s,
                det,
                uncertainty_m=point.uncertainty_m,
                best_confidence=det.confidence,
                last_seen_watch_s=watched,
            )
            self._next_id += 1
            self.tracks.append(tr)
            if self.min_hits <= 1:
                tr.reported = True
                confirmed.append(tr)
        return confirmed
