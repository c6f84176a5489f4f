"""Request/reply to a drone's payload agent (detect, measure, announce) over the dock protocol.

The payload computer is a device like a dock (ARCHITECTURE.md §3): the same envelope, the same
``services``/``services_reply`` topics under its own serial. So this client reuses a
:class:`docks.ports.DockLink` (``call`` validates the request against ``PAYLOAD_SERVICES`` and
pairs the reply by ``tid``) and only adds typed methods and typed errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from docks.ports import DockLink, DockLinkError, reply_of
from docks.protocol.envelope import Empty
from docks.protocol.payload import (
    AiDetectOutput,
    AiDetectStart,
    AudioFile,
    IrAreaOutput,
    IrMeasureArea,
    LiveViewStart,
    SpeakerAudioPlayStart,
    SpeakerPlayStop,
    SpeakerTtsPlayStart,
    Tts,
)


class PayloadError(Exception):
    """A payload request failed: ``method`` names it; the cause is chained."""

    def __init__(self, serial: str, method: str, detail: str) -> None:
        self.serial, self.method, self.detail = serial, method, detail
        super().__init__(f"payload {serial}: {method}: {detail}")


class PayloadRefused(PayloadError):
    """The payload answered with a non-zero result (``result``; ``reason`` from its output)."""

    def __init__(self, serial: str, method: str, result: int, reason: str) -> None:
        self.result, self.reason = result, reason
        super().__init__(serial, method, f"result {result}" + (f": {reason}" if reason else ""))


class PayloadUnreachable(PayloadError):
    """No reply (timeout), no broker, or a reply that failed validation."""


class PayloadClient:
    """Typed payload services for drones; ``serial_of`` maps a drone id to its payload computer's
    serial (by default the same string)."""

    def __init__(
        self,
        link: DockLink,
        serial_of: Callable[[str], str] | None = None,
        timeout_s: float | None = None,
    ) -> None:
        self.link = link
        self.serial_of = serial_of or (lambda drone_id: drone_id)
        self.timeout_s = timeout_s

    async def _call(
        self, drone_id: str, method: str, data: BaseModel | None = None, bid: str | None = None
    ) -> dict[str, Any]:
        sn = self.serial_of(drone_id)
        try:
            message = await self.link.call(sn, method, data, bid=bid, timeout_s=self.timeout_s)
        except DockLinkError as exc:
            raise PayloadUnreachable(sn, method, str(exc)) from exc
        body = reply_of(message)
        if body.result != 0:
            raise PayloadRefused(sn, method, body.result, str(body.output.get("reason", "")))
        return dict(body.output)

    async def start_detection(
        self,
        drone_id: str,
        classes: tuple[str, ...],
        confidence_min: float = 0.5,
        flight_id: str | None = None,
    ) -> tuple[str, ...]:
        """Start detecting ``classes`` (empty: all the payload supports); returns the classes it runs."""
        request = AiDetectStart(classes=classes, confidence_min=confidence_min, flight_id=flight_id)
        output = await self._call(drone_id, "ai_detect_start", request, bid=flight_id)
        return AiDetectOutput.model_validate(output).classes

    async def stop_detection(self, drone_id: str) -> None:
        await self._call(drone_id, "ai_detect_stop", Empty())

    async def measure_area(
        self, drone_id: str, x: float = 0.0, y: float = 0.0, width: float = 1.0, height: float = 1.0
    ) -> IrAreaOutput:
        """Temperatures over an image box (fractions of the thermal frame)."""
        output = await self._call(
            drone_id, "ir_measure_area", IrMeasureArea(x=x, y=y, width=width, height=height)
        )
        return IrAreaOutput.model_validate(output)

    async def play_message(self, drone_id: str, message: str, lang: str = "zh", repeat: bool = False) -> None:
        """Play a stored warning (a key of speaker_messages.toml) in ``lang``."""
        audio = AudioFile(name=message, url=f"stored:{message}.{lang}", format="wav")
        await self._call(
            drone_id, "speaker_audio_play_start", SpeakerAudioPlayStart(file=audio, repeat=repeat)
        )

    async def speak_text(self, drone_id: str, text: str, repeat: bool = False) -> None:
        """Say ``text`` with the payload's text-to-speech."""
        tts = Tts(name="operator", text=text)
        await self._call(drone_id, "speaker_tts_play_start", SpeakerTtsPlayStart(tts=tts, repeat=repeat))

    async def stop_speaker(self, drone_id: str) -> None:
        await self._call(drone_id, "speaker_play_stop", SpeakerPlayStop())

    async def start_live_view(self, drone_id: str, camera: str = "rgb", rate_hz: float = 2.0) -> None:
        """Start (or keep alive) the payload's preview stream of ``camera`` (``rgb``/``thermal``)."""
        request = LiveViewStart.model_validate({"camera": camera, "rate_hz": rate_hz})
        await self._call(drone_id, "live_view_start", request)

    async def stop_live_view(self, drone_id: str) -> None:
        await self._call(drone_id, "live_view_stop", Empty())
