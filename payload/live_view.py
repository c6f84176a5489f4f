"""The payload's low-rate preview stream: the chosen camera's newest frame as a JPEG with the
detector's current boxes drawn, a few times a second, while someone asked for it.

``live_view_start`` (re)starts it and must be repeated within ``keepalive_s``, else it stops by
itself — a ground station that vanished leaves no stream running. Times are wall-clock seconds
(``time.monotonic``), also in a sped-up simulation: the stream is for people. Pure logic: the agent calls
:meth:`LiveView.frame` with its latest frames; the MQTT adapter publishes what comes back.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Mapping, Sequence

from docks.protocol.payload import Detection, LiveFrame, LiveViewStart
from payload.model import Frame, FrameKind, Lead
from payload.snapshot import snapshot_jpeg

#: A lead's box stays drawn this long after the detector last reported it.
BOX_HOLD_S = 2.0

CAMERAS = {"rgb": FrameKind.RGB, "thermal": FrameKind.THERMAL}


class LiveView:
    """Thread-safe: services start and stop it on the MQTT loop, frames are made in a worker."""

    def __init__(self, wire: Callable[[Lead], Detection]) -> None:
        self._wire = wire
        self._lock = threading.Lock()
        self.request: LiveViewStart | None = None
        self._until_s = 0.0
        self._last_s = -1e18
        self._last_frame: Frame | None = None
        self._leads: list[tuple[float, Lead]] = []
        self.seq = 0

    def start(self, request: LiveViewStart, now_s: float) -> None:
        with self._lock:
            if self.request is None or request.camera != self.request.camera:
                self._last_s, self._last_frame = -1e18, None  # a new camera shows at once
            self.request, self._until_s = request, now_s + request.keepalive_s

    def stop(self) -> None:
        with self._lock:
            self.request = None

    def active(self, now_s: float) -> bool:
        with self._lock:
            if self.request is not None and now_s > self._until_s:
                self.request = None  # nobody kept it alive
            return self.request is not None

    def note_leads(self, leads: Sequence[Lead], now_s: float) -> None:
        """The detector's newest leads (their boxes are drawn for :data:`BOX_HOLD_S`)."""
        with self._lock:
            fresh = [(t, lead) for t, lead in self._leads if now_s - t <= BOX_HOLD_S]
            newer = {(lead.label, lead.track_id) for lead in leads}
            kept = [(t, lead) for t, lead in fresh if (lead.label, lead.track_id) not in newer]
            self._leads = kept + [(now_s, lead) for lead in leads]

    def frame(self, latest: Mapping[FrameKind, Frame], now_s: float) -> LiveFrame | None:
        """The next preview frame when one is due and the camera has a new frame, else None."""
        if not self.active(now_s):
            return None
        with self._lock:
            request = self.request
            assert request is not None
            kind = CAMERAS[request.camera]
            shown = latest.get(kind)
            if shown is None or shown is self._last_frame or now_s - self._last_s < 1.0 / request.rate_hz:
                return None
            self._last_s, self._last_frame = now_s, shown
            leads = [lead for t, lead in self._leads if lead.camera is kind and now_s - t <= BOX_HOLD_S]
            self.seq += 1
            seq = self.seq
        boxes = [(lead.bbox_px, f"{lead.label} {lead.confidence:.2f}") for lead in leads]
        jpeg = snapshot_jpeg(shown, boxes, request.max_bytes)
        return LiveFrame(
            camera=request.camera,
            seq=seq,
            frame_timestamp_ms=max(int(shown.t_s * 1000), 0),
            image_width_px=shown.camera.width_px,
            image_height_px=shown.camera.height_px,
            detections=tuple(self._wire(lead) for lead in leads[:256]),
            jpeg_b64=base64.b64encode(jpeg).decode(),
        )
