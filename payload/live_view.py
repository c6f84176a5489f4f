"""The payload's live view: JPEG preview frames of one camera with the boxes of every track the
detector currently follows, a few times a second, while someone asked for it.

``live_view_start`` (re)starts it and must be repeated within ``keepalive_s``, else it stops by
itself — a ground station that vanished leaves no stream running. Stream times are wall-clock seconds
(``time.monotonic``), also in a sped-up simulation: the stream is for people. Pure logic: the agent
calls :meth:`LiveView.note_run` after each detection run, and when a frame is :meth:`LiveView.due`,
:meth:`LiveView.frame` with the frame to show (the detector's newest frame when the stream
:meth:`LiveView.wants` it, else the camera's current picture: the agent picks); the MQTT adapter
publishes what comes back. Frames go out in capture order: one older than the last one shown is not
shown.

Boxes: each detection run replaces the tracks seen on the cameras it processed. A track is drawn
while it was seen in one of the last ``1 + MISSES_KEPT`` runs on its camera (a flickering fire does
not blink) and its detection frame is at most ``max_lag_s`` (capture time) older than the frame
shown (the agent sets it from how far behind and how often its detector runs). The detector runs at
its own rate, so the frame shown may be newer than the one a box was
found in: with both frames posed, the box's corners are carried over the flat ground into the shown
frame (the drone's motion, turn and climb), and a box that then falls outside the picture is not
drawn; without poses the box stays where it was found. Confirmed tracks (a published lead) are drawn
solid with ``label confidence``; tentative ones thin and dashed with ``label?``, and have no
``lead_id`` on the wire.
"""

from __future__ import annotations

import base64
import math
import threading
from collections.abc import Collection, Mapping, Sequence

import numpy as np

from docks.protocol.payload import Detection, LiveFrame, LiveViewStart
from payload.georef import ned_to_pixel, pixel_to_ned, wgs84_to_offset
from payload.model import BBox, Frame, FrameKind, normalised_box
from payload.pipeline import Sighting
from payload.snapshot import snapshot_jpeg

#: A track missed by this many consecutive detection runs on its camera still keeps its box.
MISSES_KEPT = 1

CAMERAS = {"rgb": FrameKind.RGB, "thermal": FrameKind.THERMAL}


def moved_box(sighting: Sighting, shown: Frame) -> BBox | None:
    """The sighting's box in ``shown``'s pixels (None when it falls outside the picture)."""
    same = sighting.t_capture_s == shown.t_s and sighting.pose == shown.pose
    if same or sighting.pose is None or shown.pose is None:
        return sighting.bbox_px
    x, y, w, h = sighting.bbox_px
    us, vs = np.array([x, x + w, x + w, x]), np.array([y, y, y + h, y + h])
    north_m, east_m = pixel_to_ned(sighting.camera, sighting.pose, us, vs)
    dn, de = wgs84_to_offset(
        shown.pose.lon_deg, shown.pose.lat_deg, sighting.pose.lon_deg, sighting.pose.lat_deg
    )
    u, v = ned_to_pixel(shown.camera, shown.pose, north_m + dn, east_m + de)
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
        return None
    w_px, h_px = shown.camera.width_px, shown.camera.height_px
    x0, y0 = max(float(u.min()), 0.0), max(float(v.min()), 0.0)  # clipped: near the horizon a
    x1, y1 = min(float(u.max()), w_px), min(float(v.max()), h_px)  # corner can land far away
    if x1 <= x0 or y1 <= y0:
        return None  # out of the picture
    return (x0, y0, x1 - x0, y1 - y0)


def wire(sighting: Sighting, box: BBox, image_size_px: tuple[int, int]) -> Detection:
    """The sighting as a wire detection, its box normalised to the shown frame."""
    x, y, w, h = normalised_box(box, image_size_px)
    confirmed = sighting.lead_id is not None
    return Detection(
        label=sighting.label[:32],
        confidence=min(max(sighting.confidence, 0.0), 1.0),
        x=x,
        y=y,
        width=w,
        height=h,
        latitude_deg=sighting.lat_deg,
        longitude_deg=sighting.lon_deg,
        track_id=sighting.track_id,
        lead_id=sighting.lead_id,
        uncertainty_m=round(sighting.uncertainty_m, 2) if math.isfinite(sighting.uncertainty_m) else None,
        frames_confirmed=sighting.hits if confirmed else None,
        source=sighting.source[:64],
        camera="rgb" if sighting.frame_kind is FrameKind.RGB else "thermal",
        t_peak_c=None if sighting.t_peak_c is None else round(sighting.t_peak_c, 1),
        area_m2=None if sighting.area_m2 is None else round(sighting.area_m2, 3),
        count=sighting.count,
    )


class LiveView:
    """Thread-safe: services start and stop it on the MQTT loop, frames are made in a worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.request: LiveViewStart | None = None
        self._until_s = 0.0
        self._last_s = -1e18
        self._last_frame: Frame | None = None
        self._last_t_s = -math.inf  # the capture time of the last frame shown
        self._tracks: dict[int, tuple[int, Sighting]] = {}  # track id -> (misses, latest sighting)
        self.max_lag_s = 2.0
        self.seq = 0

    def start(self, request: LiveViewStart, now_s: float) -> None:
        with self._lock:
            if self.request is None or request.camera != self.request.camera:
                self._last_s, self._last_frame = -1e18, None  # a new camera shows at once
                self._last_t_s = -math.inf
            self.request, self._until_s = request, now_s + request.keepalive_s

    def stop(self) -> None:
        with self._lock:
            self.request = None

    def active(self, now_s: float) -> bool:
        with self._lock:
            if self.request is not None and now_s > self._until_s:
                self.request = None  # nobody kept it alive
            return self.request is not None

    def due(self, now_s: float) -> FrameKind | None:
        """The camera whose next frame is due now (None: nobody watches, or not yet)."""
        if not self.active(now_s):
            return None
        with self._lock:
            request = self.request
            if request is None or now_s - self._last_s < 1.0 / request.rate_hz:
                return None
            return CAMERAS[request.camera]

    def wants(self, frame: Frame, arrived_s: float, now_s: float) -> bool:
        """Whether ``frame``, which came from the camera at wall time ``arrived_s``, is a current
        new frame for the stream: newer than the last one shown and come since it was sent (the
        stream's first frame: within one period)."""
        with self._lock:
            if self.request is None or frame is self._last_frame or frame.t_s <= self._last_t_s:
                return False
            if self._last_frame is None:
                return now_s - arrived_s < 1.0 / self.request.rate_hz
            return arrived_s >= self._last_s

    def note_run(self, kinds: Collection[FrameKind], seen: Sequence[Sighting], max_lag_s: float) -> None:
        """One detection run over frames of ``kinds``: the tracks it saw (boxes in those frames)."""
        with self._lock:
            self.max_lag_s = max_lag_s
            kept: dict[int, tuple[int, Sighting]] = {}
            for tid, (misses, s) in self._tracks.items():
                if s.frame_kind in kinds:
                    misses += 1  # this run looked at its camera and did not see it
                if misses <= MISSES_KEPT:
                    kept[tid] = (misses, s)
            kept.update({s.track_id: (0, s) for s in seen})
            self._tracks = kept

    def clear(self) -> None:
        """Detection stopped or restarted: no track is current any more."""
        with self._lock:
            self._tracks = {}

    def boxes(self, shown: Frame) -> list[tuple[Sighting, BBox]]:
        """The current tracks on ``shown``'s camera, with their boxes in its pixels."""
        with self._lock:
            sightings = [s for _, s in self._tracks.values() if s.frame_kind is shown.kind]
            max_lag_s = self.max_lag_s
        out = []
        for s in sorted(sightings, key=lambda s: s.track_id):
            if abs(shown.t_s - s.t_capture_s) > max_lag_s:
                continue
            box = moved_box(s, shown)
            if box is not None:
                out.append((s, box))
        return out

    def frame(self, latest: Mapping[FrameKind, Frame], now_s: float) -> LiveFrame | None:
        """The next preview frame when one is due and the camera has a new frame in ``latest`` (not
        the last one shown, nor older), else None."""
        if not self.active(now_s):
            return None
        with self._lock:
            request = self.request
            assert request is not None
            kind = CAMERAS[request.camera]
            shown = latest.get(kind)
            if (
                shown is None
                or shown is self._last_frame
                or shown.t_s <= self._last_t_s
                or now_s - self._last_s < 1.0 / request.rate_hz
            ):
                return None
            self._last_s, self._last_frame, self._last_t_s = now_s, shown, shown.t_s
            self.seq += 1
            seq = self.seq
        boxes = self.boxes(shown)[:256]
        solid = [(box, f"{s.label} {s.confidence:.2f}") for s, box in boxes if s.lead_id is not None]
        dashed = [(box, f"{s.label}?") for s, box in boxes if s.lead_id is None]
        jpeg = snapshot_jpeg(shown, solid, request.max_bytes, tentative=dashed)
        size = (shown.camera.width_px, shown.camera.height_px)
        return LiveFrame(
            camera=request.camera,
            seq=seq,
            frame_timestamp_ms=max(int(shown.t_s * 1000), 0),
            image_width_px=shown.camera.width_px,
            image_height_px=shown.camera.height_px,
            detections=tuple(wire(s, box, size) for s, box in boxes),
            jpeg_b64=base64.b64encode(jpeg).decode(),
        )
