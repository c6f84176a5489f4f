"""The onboard agent's logic: what the payload computer does with frames and service requests.

It keeps the latest RGB and thermal frames from its :class:`payload.frames.FrameSource`\\ s, runs the
detectors a mission asked for (``ai_detect_start``) at the requested rate, turns confirmed leads
into one ``ai_detection`` event per frame (with a JPEG snapshot), measures temperatures
(``ir_measure_point/area``) and drives the loudspeaker (``speaker_*``). No I/O of its own: the MQTT
adapter (:mod:`payload.agent_mqtt`) calls :meth:`OnboardAgent.handle` and :meth:`OnboardAgent.step`.
"""

from __future__ import annotations

import base64
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import IntEnum
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel

from docks.protocol.payload import (
    AiDetection,
    AiDetectOutput,
    AiDetectStart,
    IrAreaOutput,
    IrMeasureArea,
    IrMeasurePoint,
    IrPointOutput,
    LiveFrame,
    LiveViewOutput,
    LiveViewStart,
    PayloadOsd,
    SpeakerAudioPlayStart,
    SpeakerTtsPlayStart,
)
from docks.protocol.payload import Detection as WireDetection
from payload.frames import ClipSource, FrameSource, PreviewSource, Take
from payload.infrared import MeasureError, measure_area, measure_point
from payload.live_view import LiveView
from payload.model import Frame, FrameKind, Label, Lead, normalised_box
from payload.pipeline import DetectionPipeline, DetectorName, PipelineParams, Sighting
from payload.ports import PixelDetector
from payload.snapshot import snapshot_jpeg
from payload.speaker import Speaker, SpeakerError, SpeakerState

log = logging.getLogger(__name__)

#: Which detector finds which class.
CLASS_DETECTORS: dict[str, DetectorName] = {
    Label.FIRE: DetectorName.FIRE_SMOKE,
    Label.SMOKE: DetectorName.FIRE_SMOKE,
    Label.HOT_SPOT: DetectorName.HOT_SPOT,
    Label.WARM_BODY: DetectorName.WARM_BODY,
    Label.PERSON: DetectorName.PERSON,
    Label.CROWD: DetectorName.CROWD,
    Label.STATIONARY_OBJECT: DetectorName.STATIONARY,
}
LOOP_REPEATS = 10
"""``repeat: true`` on a speaker service plays the message this many times (or until stopped)."""
LIVE_CYCLE_RUNS = 8
"""The live view's boxes last 2.5 detection cycles: the longest gap (clock) between the shown runs of
at least this many last runs (a clip's warm-up frames leave a gap after its last shown frame)."""


class Result(IntEnum):
    """The result codes the agent answers with (the same numbers as ``docks.result_codes``)."""

    OK = 0
    UNKNOWN_METHOD = 10001
    INVALID_PARAMS = 10002
    WRONG_MODE = 10004
    INTERNAL_ERROR = 99999


@dataclass
class AgentConfig:
    sn: str
    rate_hz: float = 2.0
    snapshot_max_bytes: int = 30_000
    default_volume_pct: int = 80
    pipeline: PipelineParams = field(default_factory=PipelineParams)
    clip_frames: int | None = None
    """Most frames of one clip (see :class:`OnboardAgent`; 1: always the newest frame alone); None:
    enough for the fire check's history and the tracker's hits (``fire_smoke.min_frames + min_hits - 1``)."""

    @property
    def clip_len(self) -> int:
        if self.clip_frames is not None:
            return max(self.clip_frames, 1)
        return max(self.pipeline.fire_smoke.min_frames + self.pipeline.min_hits - 1, 1)


@dataclass
class Published:
    """One ``ai_detection`` event and the leads in it (for logs and latency figures)."""

    event: AiDetection
    leads: list[Lead]
    frame_t_s: float


@dataclass(frozen=True)
class _ClipFrame:
    """One frame time of a clip: the cameras' takes; a warm-up frame only fills the detectors'
    history (not shown on the live view, where its missing judgement would drop boxes)."""

    rgb: Take | None
    thermal: Take | None
    warm_up: bool = False


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


class OnboardAgent:
    """Thread-safe: ``handle`` runs on the MQTT loop while ``step`` runs in a worker thread.

    Detection runs on the camera's newest frame, at most ``rate_hz`` times a second of the clock
    (sim time in the sim). When the agent falls so far behind that the video it saw would have a gap
    of more than ``fire_smoke.max_gap_s`` (a sped-up sim on a busy CPU: frames 10–20 sim s apart),
    cameras that can be sampled at chosen times (:class:`payload.frames.ClipSource`: the sim
    camera) give a *clip* instead: the frames due at the detection spacing, at most ``clip_frames``
    ending now, processed one per :meth:`step` — the detectors then see 0.5 s of video between
    frames, as on a drone, and the older frames are dropped. Other cameras give their newest frame,
    each processed once.
    """

    def __init__(
        self,
        config: AgentConfig,
        rgb: FrameSource | None = None,
        thermal: FrameSource | None = None,
        speaker: Speaker | None = None,
        person_detector: PixelDetector | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.rgb_source = rgb
        self.thermal_source = thermal
        self.speaker = speaker
        self.person_detector = person_detector
        self.clock = clock
        self.latest: dict[FrameKind, Frame] = {}
        self.active = False
        self.classes: frozenset[str] = frozenset()
        self.confidence_min = 0.5
        self.flight_id: str | None = None
        self.rate_hz = config.rate_hz
        self._pipeline: DetectionPipeline | None = None
        self._last_run_s = -1e18
        self._lock = threading.Lock()
        self.leads_published = 0
        self._processed: dict[FrameKind, Frame] = {}
        self.live = LiveView()
        self._lead_ids: set[str] = set()  # the leads published by the running detection
        self._clip: deque[_ClipFrame] = deque()  # frames still to process
        self._last_clip_s = -math.inf  # the newest frame time a clip has taken
        self._latest_wall_s: dict[FrameKind, float] = {}  # when each camera's latest came (wall)
        self._last_note_s = -math.inf  # the clock when the last run was shown on the live view
        self._note_gaps_s: deque[float] = deque(maxlen=max(config.clip_len, LIVE_CYCLE_RUNS))

    # -- services -------------------------------------------------------------------------------

    def handle(self, method: str, data: BaseModel) -> tuple[int, BaseModel | dict[str, Any] | None]:
        """Answer one payload service request: (result code, output)."""
        handler = getattr(self, f"_svc_{method}", None)
        if handler is None:
            return Result.UNKNOWN_METHOD, None
        try:
            result: tuple[int, BaseModel | dict[str, Any] | None] = handler(data)
            return result
        except (SpeakerError, MeasureError, ValueError) as exc:
            log.info("%s refused: %s", method, exc)
            return Result.INVALID_PARAMS, {"reason": str(exc)}

    def _supported(self) -> set[str]:
        classes = {
            Label.FIRE,
            Label.SMOKE,
            Label.HOT_SPOT,
            Label.WARM_BODY,
            Label.CROWD,
            Label.STATIONARY_OBJECT,
        }
        model_classes = self._model_classes()
        if self.person_detector is not None:
            classes.add(Label.PERSON)
        if self.thermal_source is None:
            classes -= {Label.HOT_SPOT, Label.WARM_BODY, Label.CROWD}
        if self.rgb_source is None:
            classes -= {Label.FIRE, Label.SMOKE, Label.STATIONARY_OBJECT, Label.PERSON}
            model_classes = set()
        return {str(c) for c in classes} | model_classes

    def _model_classes(self) -> set[str]:
        """The class names of a plugged-in model (e.g. ``car``, ``boat``): it can look for those too."""
        names = getattr(self.person_detector, "class_names", None)
        return {str(n) for n in names} if names else set()

    def _svc_ai_detect_start(self, data: AiDetectStart) -> tuple[int, BaseModel | None]:
        supported = self._supported()
        wanted = set(data.classes) or supported
        unknown = wanted - supported
        if unknown:
            raise ValueError(f"unsupported classes {sorted(unknown)} (this payload: {sorted(supported)})")
        detectors = {CLASS_DETECTORS.get(c, DetectorName.PERSON) for c in wanted}
        with self._lock:
            self._pipeline = DetectionPipeline(
                detectors, self.config.pipeline, person_detector=self.person_detector
            )
            self.classes = frozenset(wanted)
            self.confidence_min = data.confidence_min
            self.flight_id = data.flight_id
            self.rate_hz = data.rate_hz or self.config.rate_hz
            self._last_run_s = -1e18
            self.active = True
            self._lead_ids = set()
            self._clip.clear()
            self._last_clip_s = -math.inf
            self._last_note_s = -math.inf
            self._note_gaps_s.clear()
        self.live.clear()
        return Result.OK, AiDetectOutput(classes=tuple(sorted(wanted)))

    def _svc_ai_detect_stop(self, data: BaseModel) -> tuple[int, None]:
        with self._lock:
            self.active = False
            self._pipeline = None
            self._clip.clear()
        self.live.clear()
        return Result.OK, None

    def _thermal(self) -> Frame:
        frame = self.latest.get(FrameKind.THERMAL)
        if frame is None:
            raise MeasureError("no radiometric frame yet (no thermal camera, or it has not delivered)")
        return frame

    def _svc_ir_measure_point(self, data: IrMeasurePoint) -> tuple[int, BaseModel | dict[str, Any] | None]:
        if self.thermal_source is None:
            return Result.WRONG_MODE, {"reason": "this payload has no thermal camera"}
        frame = self._thermal()
        u, v = data.x * frame.camera.width_px, data.y * frame.camera.height_px
        u, v = min(u, frame.camera.width_px - 0.5), min(v, frame.camera.height_px - 0.5)
        return Result.OK, IrPointOutput(temperature_c=round(measure_point(frame.image, u, v), 2))  # type: ignore[arg-type]

    def _svc_ir_measure_area(self, data: IrMeasureArea) -> tuple[int, BaseModel | dict[str, Any] | None]:
        if self.thermal_source is None:
            return Result.WRONG_MODE, {"reason": "this payload has no thermal camera"}
        frame = self._thermal()
        w, h = frame.camera.width_px, frame.camera.height_px
        box = (data.x * w, data.y * h, max(data.width * w, 1.0), max(data.height * h, 1.0))
        m = measure_area(frame.image, box, frame.camera, frame.pose)  # type: ignore[arg-type]
        return Result.OK, IrAreaOutput(
            min_temperature_c=round(m.min_c, 2),
            max_temperature_c=round(m.max_c, 2),
            mean_temperature_c=round(m.mean_c, 2),
            hottest_x=min((m.hottest_px[0] + 0.5) / w, 1.0),
            hottest_y=min((m.hottest_px[1] + 0.5) / h, 1.0),
            hottest_latitude_deg=m.hottest_lat_deg,
            hottest_longitude_deg=m.hottest_lon_deg,
            hottest_uncertainty_m=m.hottest_uncertainty_m,
        )

    def _volume(self, volume_pct: float | None) -> int:
        return round(self.config.default_volume_pct if volume_pct is None else volume_pct)

    def _svc_speaker_tts_play_start(
        self, data: SpeakerTtsPlayStart
    ) -> tuple[int, BaseModel | dict[str, Any] | None]:
        if self.speaker is None:
            return Result.WRONG_MODE, {"reason": "this payload has no loudspeaker"}
        lang = "zh" if _is_chinese(data.tts.text) else "en"
        repeat = LOOP_REPEATS if data.repeat else 1
        clip = self.speaker.play_tts(data.tts.text, lang, self._volume(data.volume_pct), repeat)
        return Result.OK, {"duration_s": round(clip.duration_s, 2)}

    def _svc_speaker_audio_play_start(
        self, data: SpeakerAudioPlayStart
    ) -> tuple[int, BaseModel | dict[str, Any] | None]:
        """``file.url`` is ``stored:<type>.<lang>`` (a configured message) or ``file:///…wav`` (local)."""
        if self.speaker is None:
            return Result.WRONG_MODE, {"reason": "this payload has no loudspeaker"}
        volume = self._volume(data.volume_pct)
        repeat = LOOP_REPEATS if data.repeat else 1
        url = urlsplit(data.file.url)
        if url.scheme == "stored":
            kind, _, lang = url.path.partition(".")
            clip = self.speaker.play_message(kind, lang or "zh", volume, repeat)
        elif url.scheme == "file" and data.file.format == "wav":
            path = Path(unquote(url.path))
            if not path.is_file():
                raise SpeakerError(f"no such audio file {path}")
            clip = self.speaker.play_audio(path.read_bytes(), volume, repeat)
        else:
            raise SpeakerError("audio must be stored:<type>.<lang> or a file:// WAV on the payload computer")
        return Result.OK, {"duration_s": round(clip.duration_s, 2)}

    def _svc_speaker_play_stop(self, data: BaseModel) -> tuple[int, None]:
        if self.speaker is not None:
            self.speaker.stop()
        return Result.OK, None

    def _svc_live_view_start(self, data: LiveViewStart) -> tuple[int, BaseModel | dict[str, Any] | None]:
        source = self.rgb_source if data.camera == "rgb" else self.thermal_source
        if source is None:
            return Result.INVALID_PARAMS, {"reason": f"no {data.camera} camera on this payload"}
        self.live.start(data, time.monotonic())  # wall time: viewers are people, not the sim clock
        return Result.OK, LiveViewOutput(camera=data.camera, rate_hz=data.rate_hz)

    def _svc_live_view_stop(self, data: BaseModel) -> tuple[int, None]:
        self.live.stop()
        return Result.OK, None

    def live_frame(self) -> LiveFrame | None:
        """The next preview frame, when the live view is on and one is due (wall clock), whatever
        the detector does: the detector's newest frame of that camera if it came since the last
        frame sent and is newer than it (its boxes are exact), else the camera's
        current picture (a :class:`payload.frames.PreviewSource`: the sim camera renders it now, a
        capture gives its newest frame), else the newest frame the detector has. The current
        tracks' boxes are carried over to it. Runs in its own thread next to :meth:`step`: it reads
        the detector's state (``latest``) and changes none of it; a preview never feeds the
        detector. Nobody watching: nothing is read."""
        now_s = time.monotonic()
        kind = self.live.due(now_s)
        if kind is None:
            return None
        shown = self._live_picture(kind, now_s)
        return None if shown is None else self.live.frame({kind: shown}, now_s)

    def _live_picture(self, kind: FrameKind, now_s: float) -> Frame | None:
        source = self.rgb_source if kind is FrameKind.RGB else self.thermal_source
        latest = self.latest.get(kind)
        arrived_s = self._latest_wall_s.get(kind, -math.inf)
        if latest is not None and self.live.wants(latest, arrived_s, now_s):
            return latest
        if isinstance(source, PreviewSource):
            return source.preview()
        return latest

    def pipeline_tracks(self) -> int:
        """Objects being followed by the running detection (0 when stopped)."""
        return 0 if self._pipeline is None else len(self._pipeline.tracker.tracks)

    def osd(self) -> PayloadOsd:
        """The payload's periodic telemetry."""
        now = self.clock()
        ages = [now - f.t_s for f in self.latest.values()]
        playing = self.speaker is not None and self.speaker.state is SpeakerState.PLAYING
        return PayloadOsd(
            detecting=self.active,
            classes=tuple(sorted(self.classes)) if self.active else (),
            rate_hz=self.rate_hz if self.active else None,
            rgb_online=FrameKind.RGB in self.latest,
            thermal_online=FrameKind.THERMAL in self.latest,
            frame_age_s=round(max(min(ages), 0.0), 3) if ages else None,
            speaker_playing=playing,
            leads_published=self.leads_published,
        )

    # -- frames and detection -------------------------------------------------------------------

    def read_frames(self) -> None:
        """Pull the newest frame from each source."""
        for kind, source in ((FrameKind.RGB, self.rgb_source), (FrameKind.THERMAL, self.thermal_source)):
            if source is not None:
                frame = source.read()
                if frame is not None:
                    self._set_latest(kind, frame)

    def _set_latest(self, kind: FrameKind, frame: Frame) -> None:
        if self.latest.get(kind) is not frame:
            self._latest_wall_s[kind] = time.monotonic()
        self.latest[kind] = frame

    def step(self) -> Published | None:
        """Take the next frames; if detection is on and due, run it on them; the event to publish, if
        any lead is new."""
        with self._lock:
            pipeline, active = self._pipeline, self.active
            now = self.clock()
            due = active and pipeline is not None
            if due and not self._clip:
                if now - self._last_run_s < 1.0 / self.rate_hz:
                    due = False
                else:
                    self._last_run_s = now
                    self._clip.extend(self._take_clip(now))
            take = self._clip.popleft() if due and self._clip else None
        shown = take is None or not take.warm_up
        if take is not None:
            rgb, thermal = self._develop(take)
        else:
            self.read_frames()
            if not due:
                return None
            # each frame is processed once: a stalled source must not confirm a lead by repetition
            rgb, thermal = (self._fresh(kind) for kind in (FrameKind.RGB, FrameKind.THERMAL))
        if pipeline is None or (rgb is None and thermal is None):
            return None
        leads = [
            lead
            for lead in pipeline.process(rgb, thermal)
            if lead.label in self.classes and lead.confidence >= self.confidence_min
        ]
        with self._lock:
            if self._pipeline is not pipeline:  # stopped or restarted meanwhile: drop
                return None
            self._lead_ids.update(lead.lead_id for lead in leads)
            if shown:
                frames = [f for f in (rgb, thermal) if f is not None]
                self.live.note_run(
                    {f.kind for f in frames},
                    self._sightings(pipeline),
                    self._box_lag_s(max(f.t_s for f in frames)),
                )
        if not leads:
            return None
        self.leads_published += len(leads)
        return self._event(leads, rgb, thermal)

    def _box_lag_s(self, captured_s: float) -> float:
        """How much newer (capture time) than this run's frames a live frame may be and still show
        its boxes: this run's age now plus 2.5 detection cycles — the detection period, or the
        longest gap between the last shown runs when the detector is slower (a sped-up sim on a busy
        CPU: a live frame rendered now shows the boxes of frames seconds old). A detector that
        stalls for longer than that leaves no box. Called under ``_lock``."""
        now = self.clock()
        if math.isfinite(self._last_note_s):
            self._note_gaps_s.append(now - self._last_note_s)
        self._last_note_s = now
        cycle_s = max([1.0 / self.rate_hz, *self._note_gaps_s])
        return max(now - captured_s, 0.0) + 2.5 * cycle_s

    def _sightings(self, pipeline: DetectionPipeline) -> list[Sighting]:
        """The tracks the last run saw, of the asked-for classes and confidence; a track is confirmed
        on the live view once its lead was published."""
        return [
            s if s.lead_id is None or s.lead_id in self._lead_ids else replace(s, lead_id=None)
            for s in pipeline.seen
            if s.label in self.classes and s.confidence >= self.confidence_min
        ]

    def _take_clip(self, now: float) -> list[_ClipFrame]:
        """The frames of the next run (empty unless every camera is a :class:`ClipSource`): the newest
        while the video stays continuous (this frame within ``max_gap_s`` of the last one taken), else
        a clip of the frames due at the detection spacing, at most ``clip_len``, the last one now.
        A clip's frames before the last ``min_hits`` only fill the detectors' history (warm-up)."""
        sources = [s for s in (self.rgb_source, self.thermal_source) if s is not None]
        if not sources or not all(isinstance(s, ClipSource) for s in sources):
            return []
        period_s = 1.0 / self.rate_hz
        gap_s = now - self._last_clip_s
        n = 1
        if math.isfinite(gap_s) and gap_s > self.config.pipeline.fire_smoke.max_gap_s:
            n = max(1, min(int(gap_s / period_s + 1e-6), self.config.clip_len))
        times = [now - (n - 1 - i) * period_s for i in range(n)]
        self._last_clip_s = now
        rgb = self.rgb_source.clip(times) if isinstance(self.rgb_source, ClipSource) else [None] * n
        ir = self.thermal_source.clip(times) if isinstance(self.thermal_source, ClipSource) else [None] * n
        warm = n - self.config.pipeline.min_hits
        return [_ClipFrame(r, t, i < warm) for i, (r, t) in enumerate(zip(rgb, ir, strict=True))]

    def _develop(self, take: _ClipFrame) -> tuple[Frame | None, Frame | None]:
        """A clip's frames (one already processed gives None); each but a warm-up one becomes its
        camera's latest, the frame the live view and the IR services see."""
        out: list[Frame | None] = []
        for kind, develop in ((FrameKind.RGB, take.rgb), (FrameKind.THERMAL, take.thermal)):
            frame = None if develop is None else develop()
            if frame is None or self._processed.get(kind) is frame:
                out.append(None)
                continue
            self._processed[kind] = frame
            if not take.warm_up:
                self._set_latest(kind, frame)
            out.append(frame)
        return out[0], out[1]

    def _fresh(self, kind: FrameKind) -> Frame | None:
        frame = self.latest.get(kind)
        if frame is None or self._processed.get(kind) is frame:
            return None
        self._processed[kind] = frame
        return frame

    def _event(self, leads: list[Lead], rgb: Frame | None, thermal: Frame | None) -> Published:
        shown = rgb if any(lead.camera is FrameKind.RGB for lead in leads) and rgb is not None else thermal
        assert shown is not None
        boxes = [
            (lead.bbox_px, f"{lead.label} {lead.confidence:.2f}")
            for lead in leads
            if lead.camera is shown.kind
        ]
        jpeg = snapshot_jpeg(shown, boxes, self.config.snapshot_max_bytes)
        frame_t = max(f.t_s for f in (rgb, thermal) if f is not None)
        event = AiDetection(
            flight_id=self.flight_id,
            frame_timestamp_ms=max(int(frame_t * 1000), 0),
            detections=tuple(_wire(lead) for lead in leads[:256]),
            image_width_px=shown.camera.width_px,
            image_height_px=shown.camera.height_px,
            snapshot_jpeg_b64=base64.b64encode(jpeg).decode() if jpeg else None,
        )
        return Published(event, leads, frame_t)


def _wire(lead: Lead) -> WireDetection:
    x0, y0, width, height = normalised_box(lead.bbox_px, lead.image_size_px)
    return WireDetection(
        label=lead.label[:32],
        confidence=min(max(lead.confidence, 0.0), 1.0),
        x=x0,
        y=y0,
        width=width,
        height=height,
        latitude_deg=lead.lat_deg,
        longitude_deg=lead.lon_deg,
        track_id=lead.track_id,
        lead_id=lead.lead_id,
        uncertainty_m=round(lead.uncertainty_m, 2),
        frames_confirmed=lead.frames_confirmed,
        source=lead.source,
        camera="rgb" if lead.camera is FrameKind.RGB else "thermal",
        t_peak_c=None if lead.t_peak_c is None else round(lead.t_peak_c, 1),
        area_m2=None if lead.area_m2 is None else round(lead.area_m2, 3),
        count=lead.count,
        near_water_m=None if lead.near_water_m is None else round(lead.near_water_m, 1),
    )
