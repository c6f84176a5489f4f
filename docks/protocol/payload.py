"""Payload-computer messages: AI detection, infrared measurement, loudspeaker (services) and the
``ai_detection`` event. Kept apart from the dock messages so the payload helper can extend them;
:mod:`docks.protocol.codec` registers everything in :data:`PAYLOAD_SERVICES` / :data:`PAYLOAD_EVENTS`.

Image coordinates are normalised to [0, 1] (x right, y down) so they do not depend on resolution.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from docks.protocol.envelope import Empty, TelemetryModel, WireModel
from docks.protocol.topics import Channel

Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class AiDetectStart(WireModel):
    """Start onboard detection of ``classes`` (empty = all the payload supports): ``fire``, ``smoke``,
    ``hot_spot``, ``warm_body``, ``person``, ``crowd``, ``stationary_object``."""

    classes: tuple[str, ...] = ()
    confidence_min: Unit = 0.5
    flight_id: str | None = Field(None, max_length=64)
    rate_hz: Annotated[float, Field(gt=0.0, le=30.0)] | None = None
    """Detection rate; None = the payload's configured rate."""


class AiDetectOutput(TelemetryModel):
    classes: tuple[str, ...] = ()


class IrMeasurePoint(WireModel):
    """Radiometric temperature at one image point."""

    x: Unit
    y: Unit


class IrPointOutput(TelemetryModel):
    temperature_c: float


class IrMeasureArea(WireModel):
    """Radiometric statistics over an image rectangle."""

    x: Unit
    y: Unit
    width: Unit
    height: Unit


class IrAreaOutput(TelemetryModel):
    min_temperature_c: float
    max_temperature_c: float
    mean_temperature_c: float
    hottest_x: Unit
    hottest_y: Unit
    hottest_latitude_deg: float | None = Field(None, ge=-90.0, le=90.0)
    hottest_longitude_deg: float | None = Field(None, ge=-180.0, le=180.0)
    hottest_uncertainty_m: float | None = Field(None, ge=0.0)


class Tts(WireModel):
    name: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=1000)
    md5: str | None = Field(None, pattern=r"^[0-9a-f]{32}$")


class SpeakerTtsPlayStart(WireModel):
    """Speak ``tts.text`` on the loudspeaker at mount ``psdk_index``."""

    psdk_index: int = Field(2, ge=0, le=7)
    tts: Tts
    volume_pct: Annotated[float, Field(ge=0.0, le=100.0)] | None = None
    repeat: bool = False


class AudioFile(WireModel):
    name: str = Field(min_length=1, max_length=64)
    url: str = Field(min_length=1, max_length=1024)
    md5: str | None = Field(None, pattern=r"^[0-9a-f]{32}$")
    format: Literal["pcm", "wav", "mp3", "opus"] = "pcm"


class SpeakerAudioPlayStart(WireModel):
    """Play a recorded message on the loudspeaker at mount ``psdk_index``."""

    psdk_index: int = Field(2, ge=0, le=7)
    file: AudioFile
    volume_pct: Annotated[float, Field(ge=0.0, le=100.0)] | None = None
    repeat: bool = False


class SpeakerPlayStop(WireModel):
    psdk_index: int = Field(2, ge=0, le=7)


class Detection(TelemetryModel):
    """One detected object: class, confidence, image box, and its ground position if georeferenced."""

    label: str = Field(min_length=1, max_length=32)
    confidence: Unit
    x: Unit
    y: Unit
    width: Unit
    height: Unit
    latitude_deg: float | None = Field(None, ge=-90.0, le=90.0)
    longitude_deg: float | None = Field(None, ge=-180.0, le=180.0)
    track_id: int | None = None
    # payload extensions: a confirmed lead's identity, accuracy and measurements
    lead_id: str | None = Field(None, max_length=64)
    uncertainty_m: float | None = Field(None, ge=0.0)
    frames_confirmed: int | None = Field(None, ge=1)
    source: str | None = Field(None, max_length=64)
    camera: Literal["rgb", "thermal"] | None = None
    t_peak_c: float | None = None
    area_m2: float | None = Field(None, ge=0.0)
    count: int | None = Field(None, ge=0)
    near_water_m: float | None = Field(None, ge=0.0)


class AiDetection(TelemetryModel):
    """Detections in one frame (``ai_detection`` event)."""

    flight_id: str | None = None
    frame_timestamp_ms: int = Field(ge=0)
    detections: tuple[Detection, ...] = Field(max_length=256)
    image_width_px: int | None = Field(None, ge=1)
    image_height_px: int | None = Field(None, ge=1)
    snapshot_jpeg_b64: str | None = Field(None, max_length=45_000)
    """The frame with the boxes drawn (faces blurred), base64 JPEG, kept under ~32 kB."""


class PayloadOsd(TelemetryModel):
    """Periodic payload-computer telemetry (``payload_osd`` on ``thing/product/{sn}/osd``, ~1 Hz)."""

    detecting: bool
    classes: tuple[str, ...] = ()
    rate_hz: float | None = Field(None, ge=0.0)
    rgb_online: bool = False
    thermal_online: bool = False
    frame_age_s: float | None = Field(None, ge=0.0)
    """Age of the newest frame on the payload's clock (None before the first)."""
    speaker_playing: bool = False
    leads_published: int = Field(0, ge=0)


class LiveViewStart(WireModel):
    """Start (or keep alive) the low-rate preview stream of one camera on ``thing/product/{sn}/live``:
    JPEG frames with the detector's boxes drawn. It stops by itself ``keepalive_s`` after the last
    start, so a viewer that vanishes does not leave the stream running; send it again to keep it."""

    camera: Literal["rgb", "thermal"] = "rgb"
    rate_hz: Annotated[float, Field(gt=0.0, le=10.0)] = 2.0
    max_bytes: int = Field(40_000, ge=2_000, le=200_000)
    keepalive_s: float = Field(30.0, gt=0.0, le=600.0)


class LiveViewOutput(TelemetryModel):
    camera: Literal["rgb", "thermal"]
    rate_hz: float


class LiveFrame(TelemetryModel):
    """One preview frame (on :func:`live_topic`, QoS 0, not retained; no envelope: it is a stream,
    not an event). Boxes are the detector's current tracks on this camera (a confirmed one with its
    ``lead_id``, a tentative one without), normalised like :class:`Detection`, and already drawn
    into the JPEG."""

    camera: Literal["rgb", "thermal"]
    seq: int = Field(ge=0)
    frame_timestamp_ms: int = Field(ge=0)
    image_width_px: int = Field(ge=1)
    image_height_px: int = Field(ge=1)
    detections: tuple[Detection, ...] = Field((), max_length=256)
    jpeg_b64: str = Field(min_length=1, max_length=280_000)


#: The preview stream's topic template.
LIVE_TOPIC = "thing/product/{sn}/live"


def live_topic(sn: str) -> str:
    """The topic a payload publishes its :class:`LiveFrame`\\ s on."""
    return LIVE_TOPIC.format(sn=sn)


#: Payload services: method -> (request data model, reply output model).
PAYLOAD_SERVICES: dict[str, tuple[type[WireModel], type[TelemetryModel] | None]] = {
    "ai_detect_start": (AiDetectStart, AiDetectOutput),
    "ai_detect_stop": (Empty, None),
    "ir_measure_point": (IrMeasurePoint, IrPointOutput),
    "ir_measure_area": (IrMeasureArea, IrAreaOutput),
    "speaker_tts_play_start": (SpeakerTtsPlayStart, None),
    "speaker_audio_play_start": (SpeakerAudioPlayStart, None),
    "speaker_play_stop": (SpeakerPlayStop, None),
    "live_view_start": (LiveViewStart, LiveViewOutput),
    "live_view_stop": (Empty, None),
}

#: Payload events: method -> data model.
PAYLOAD_EVENTS: dict[str, type[TelemetryModel]] = {
    "ai_detection": AiDetection,
}

#: Payload telemetry channels -> method -> data model.
PAYLOAD_TELEMETRY: dict[Channel, dict[str, type[TelemetryModel]]] = {Channel.OSD: {"payload_osd": PayloadOsd}}
