"""What the payload needs from the outside world, as Protocols (implementations live in adapters)."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from payload.frames import FrameSource
from payload.model import Detection


class PixelDetector(Protocol):
    """A single-frame detector over an RGB (BGR uint8) image: HOG people, an ONNX model."""

    def detect(self, bgr: npt.NDArray[np.uint8]) -> list[Detection]: ...


class AudioSink(Protocol):
    """Where the loudspeaker's audio goes: the real amplifier, or a file in the sim."""

    def play(self, wav_bytes: bytes, volume_pct: int) -> None: ...

    def stop(self) -> None: ...


__all__ = ["AudioSink", "FrameSource", "PixelDetector"]
