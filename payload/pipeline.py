"""From frames to leads: run the chosen detectors, georeference, track, confirm.

One :class:`DetectionPipeline` per camera pair (RGB + co-aligned thermal) and per detection task.
:meth:`DetectionPipeline.detect` gives one frame's georeferenced detections (what the CLI prints);
:meth:`DetectionPipeline.process` feeds the tracker and returns the leads confirmed by this frame;
after it, :attr:`DetectionPipeline.seen` holds every track seen in that frame (the live view's boxes).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from shapely import Point, Polygon

from payload.detectors.crowd import CrowdParams, detect_crowds
from payload.detectors.fire_smoke import FireSmokeDetector, FireSmokeParams
from payload.detectors.stationary import StationaryObjectDetector, StationaryParams
from payload.detectors.thermal import HotSpotParams, WarmBodyParams, detect_hot_spots, detect_warm_bodies
from payload.georef import BelowHorizonError, gsd_m, pixel_to_ground, wgs84_to_offset
from payload.model import (
    AttitudeErrors,
    BBox,
    CameraModel,
    CameraPose,
    Detection,
    Frame,
    FrameKind,
    GroundPoint,
    Label,
    Lead,
)
from payload.ports import PixelDetector
from payload.tracking import Track, Tracker


class DetectorName(StrEnum):
    """Detectors a mission can ask for (``ai_detect_start`` ``detectors``)."""

    HOT_SPOT = "hot_spot"
    WARM_BODY = "warm_body"
    FIRE_SMOKE = "fire_smoke"
    CROWD = "crowd"
    STATIONARY = "stationary"
    PERSON = "person"  # HOG, or the ONNX plug-in when one is configured


ALL_DETECTORS = frozenset(DetectorName)
RGB_DETECTORS = frozenset({DetectorName.FIRE_SMOKE, DetectorName.STATIONARY, DetectorName.PERSON})


@dataclass(frozen=True)
class Located:
    """A detection, the frame it was found in, and where it is on the ground."""

    detection: Detection
    frame: Frame
    ground: GroundPoint | None


@dataclass(frozen=True)
class Sighting:
    """A live track as seen in one processed frame: its box there, and its lead once confirmed."""

    track_id: int
    label: str
    confidence: float
    source: str
    bbox_px: BBox
    frame_kind: FrameKind
    camera: CameraModel
    pose: CameraPose | None
    t_capture_s: float
    hits: int
    lon_deg: float
    lat_deg: float
    uncertainty_m: float
    lead_id: str | None = None
    """None while the track is tentative (fewer than ``min_hits`` frames)."""
    t_peak_c: float | None = None
    area_m2: float | None = None
    count: int | None = None


@dataclass(frozen=True)
class PipelineParams:
    hot_spot: HotSpotParams = field(default_factory=HotSpotParams)
    warm_body: WarmBodyParams = field(default_factory=WarmBodyParams)
    fire_smoke: FireSmokeParams = field(default_factory=FireSmokeParams)
    stationary: StationaryParams = field(default_factory=StationaryParams)
    crowd: CrowdParams = field(default_factory=CrowdParams)
    errors: AttitudeErrors = field(default_factory=AttitudeErrors)
    default_gsd_m: float = 0.05
    """Ground sample distance assumed for frames without a pose."""
    min_hits: int = 3
    water_lonlat: tuple[tuple[tuple[float, float], ...], ...] = ()
    """Water bodies as WGS84 (lon, lat) rings: people within ``shore_buffer_m`` get ``near_water_m``."""
    shore_buffer_m: float = 10.0
    gate_m: float = 3.0
    max_age_s: float = 10.0
    max_gap_s: float = 3.0
    """The tracker counts a longer gap between frames (frames skipped) as this much watched time."""


class DetectionPipeline:
    """Stateful over a frame sequence (fire flicker, stationary objects, tracks)."""

    def __init__(
        self,
        detectors: Iterable[str] = ALL_DETECTORS,
        params: PipelineParams | None = None,
        person_detector: PixelDetector | None = None,
        stationary_region: npt.NDArray[np.uint8] | None = None,
    ) -> None:
        self.detectors = frozenset(DetectorName(d) for d in detectors)
        self.p = params or PipelineParams()
        self.person_detector = person_detector
        self._fire = FireSmokeDetector(self.p.fire_smoke)
        self._stationary = StationaryObjectDetector(self.p.stationary, stationary_region)
        self.tracker = Tracker(self.p.gate_m, self.p.min_hits, self.p.max_age_s, self.p.max_gap_s)
        self.seen: list[Sighting] = []
        """The tracks updated by the last :meth:`process` call, with their boxes in its frames."""

    def _locate(self, det: Detection, frame: Frame) -> Located:
        if frame.pose is None:
            return Located(det, frame, None)
        u, v = det.centre_px
        w, h = det.bbox_px[2], det.bbox_px[3]
        try:
            gsd = max(gsd_m(frame.camera, frame.pose, u, v))
            ground = pixel_to_ground(
                frame.camera, frame.pose, u, v, self.p.errors, extra_m=0.25 * max(w, h) * gsd
            )
        except BelowHorizonError:
            ground = None
        return Located(det, frame, ground)

    def _gsd(self, frame: Frame) -> float:
        if frame.pose is None:
            return self.p.default_gsd_m
        across, along = gsd_m(frame.camera, frame.pose)
        return float(np.sqrt(across * along)) if np.isfinite(along) else self.p.default_gsd_m

    def detect(self, rgb: Frame | None = None, thermal: Frame | None = None) -> list[Located]:
        """One frame (or a co-aligned RGB + thermal pair): every detection, georeferenced if posed."""
        found: list[Located] = []
        people: list[Located] = []
        if thermal is not None:
            if thermal.kind is not FrameKind.THERMAL:
                raise ValueError("the thermal frame must be of kind 'thermal'")
            gsd = self._gsd(thermal)
            temp = np.asarray(thermal.image, dtype=np.float32)
            if DetectorName.HOT_SPOT in self.detectors:
                found += [self._locate(d, thermal) for d in detect_hot_spots(temp, gsd, self.p.hot_spot)]
            if self.detectors & {DetectorName.WARM_BODY, DetectorName.CROWD}:
                bodies = [self._locate(d, thermal) for d in detect_warm_bodies(temp, gsd, self.p.warm_body)]
                people += bodies
                if DetectorName.WARM_BODY in self.detectors:
                    found += bodies
        if rgb is not None:
            if rgb.kind is not FrameKind.RGB:
                raise ValueError("the RGB frame must be of kind 'rgb'")
            gsd = self._gsd(rgb)
            img = np.asarray(rgb.image, dtype=np.uint8)
            if DetectorName.FIRE_SMOKE in self.detectors:
                temp_c = None if thermal is None else np.asarray(thermal.image, dtype=np.float32)
                ir_camera = thermal.camera if thermal else None
                dets = self._fire.update(img, gsd, temp_c, rgb.camera, ir_camera, rgb.t_s)
                found += [self._locate(d, rgb) for d in dets]
            if DetectorName.STATIONARY in self.detectors:
                found += [self._locate(d, rgb) for d in self._stationary.update(img, rgb.t_s, gsd)]
            if DetectorName.PERSON in self.detectors and self.person_detector is not None:
                persons = [self._locate(d, rgb) for d in self.person_detector.detect(img)]
                found += persons
                if thermal is None:
                    people += persons
        if DetectorName.CROWD in self.detectors:
            found += self._crowds(people)
        return found

    def _crowds(self, people: list[Located]) -> list[Located]:
        posed = [p for p in people if p.ground is not None]
        if not posed:
            return []
        ref = posed[0].ground
        assert ref is not None
        pts = [((p.ground.east_m - ref.east_m), (p.ground.north_m - ref.north_m)) for p in posed if p.ground]
        crowds = detect_crowds([p.detection for p in posed], pts, self.p.crowd)
        frame = posed[0].frame
        return [self._locate(c, frame) for c in crowds]

    def _near_water_m(self, label: str, lon: float, lat: float) -> float | None:
        if label not in (Label.PERSON, Label.WARM_BODY) or not self.p.water_lonlat:
            return None
        best: float | None = None
        for ring in self.p.water_lonlat:
            n, e = wgs84_to_offset(lon, lat, np.array([p[0] for p in ring]), np.array([p[1] for p in ring]))
            d = float(Polygon(np.column_stack([e, n])).distance(Point(0.0, 0.0)))
            if d <= self.p.shore_buffer_m and (best is None or d < best):
                best = d
        return best

    def _on_a_fire(self, loc: Located) -> bool:
        """A burning area also "arrived and stayed": it is reported as fire, not as a stationary object."""
        if loc.detection.label != Label.STATIONARY_OBJECT or loc.ground is None:
            return False
        g = loc.ground
        for tr in self.tracker.tracks:
            if tr.label in (Label.FIRE, Label.SMOKE, Label.HOT_SPOT):
                n, e = wgs84_to_offset(g.lon_deg, g.lat_deg, *tr.lon_lat)
                if math.hypot(float(n), float(e)) <= g.uncertainty_m + 5.0:
                    return True
        return False

    def process(self, rgb: Frame | None = None, thermal: Frame | None = None) -> list[Lead]:
        """Detect, track, and return the leads that this frame confirmed (each track once)."""
        located = self.detect(rgb, thermal)
        first = rgb if rgb is not None else thermal
        t_s = first.t_s if first is not None else 0.0
        by_id: dict[int, Located] = {}
        observations: list[tuple[Detection, GroundPoint]] = []
        for loc in located:
            if loc.ground is not None and not self._on_a_fire(loc):
                by_id[id(loc.detection)] = loc
                observations.append((loc.detection, loc.ground))
        leads: list[Lead] = []
        for track in self.tracker.update(t_s, observations):
            seen = by_id.get(id(track.detection))
            if seen is None:
                continue
            d = track.detection
            lon, lat = track.lon_lat
            track.lead_id = str(uuid.uuid4())
            leads.append(
                Lead(
                    lead_id=track.lead_id,
                    track_id=track.track_id,
                    label=d.label,
                    confidence=track.best_confidence,
                    source=d.source,
                    camera=seen.frame.kind,
                    bbox_px=d.bbox_px,
                    image_size_px=(seen.frame.camera.width_px, seen.frame.camera.height_px),
                    t_capture_s=seen.frame.t_s,
                    frames_confirmed=track.hits,
                    lon_deg=lon,
                    lat_deg=lat,
                    uncertainty_m=track.uncertainty_m,
                    t_peak_c=d.t_peak_c,
                    area_m2=d.area_m2,
                    count=d.count,
                    near_water_m=self._near_water_m(d.label, lon, lat),
                    pose=seen.frame.pose,
                )
            )
        self.seen = [
            self._sighting(tr, by_id[id(tr.detection)])
            for tr in self.tracker.tracks
            if tr.last_seen_s == t_s and id(tr.detection) in by_id
        ]
        return leads

    @staticmethod
    def _sighting(track: Track, loc: Located) -> Sighting:
        d, frame = track.detection, loc.frame
        lon, lat = track.lon_lat
        return Sighting(
            track_id=track.track_id,
            label=d.label,
            confidence=track.best_confidence,
            source=d.source,
            bbox_px=d.bbox_px,
            frame_kind=frame.kind,
            camera=frame.camera,
            pose=frame.pose,
            t_capture_s=frame.t_s,
            hits=track.hits,
            lon_deg=lon,
            lat_deg=lat,
            uncertainty_m=track.uncertainty_m,
            lead_id=track.lead_id,
            t_peak_c=d.t_peak_c,
            area_m2=d.area_m2,
            count=d.count,
        )


__all__ = [
    "ALL_DETECTORS",
    "DetectionPipeline",
    "DetectorName",
    "Label",
    "Located",
    "PipelineParams",
    "Sighting",
]
