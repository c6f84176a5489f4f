"""JPEG snapshots for leads: the frame with its boxes drawn, faces blurred for privacy where
OpenCV's Haar face cascade (opencv-contrib data) is available, shrunk until it fits a byte budget
(an MQTT event carries it inline). Thermal frames are shown with a colour map.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from payload.model import BBox, Frame, FrameKind

U8 = npt.NDArray[np.uint8]
BOX_BGR = (0, 255, 255)


@functools.cache
def _face_cascade() -> cv2.CascadeClassifier | None:
    if not hasattr(cv2, "CascadeClassifier"):
        return None
    folder = getattr(getattr(cv2, "data", None), "haarcascades", "")
    path = Path(folder) / "haarcascade_frontalface_default.xml"
    if not path.is_file():
        return None
    cascade = cv2.CascadeClassifier(str(path))
    return None if cascade.empty() else cascade


def face_blur_available() -> bool:
    return _face_cascade() is not None


def blur_faces(bgr: U8) -> tuple[U8, int]:
    """A copy with every detected face pixelated, and how many there were."""
    cascade = _face_cascade()
    if cascade is None:
        return bgr, 0
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    faces = cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(16, 16))
    out = bgr.copy()
    for x, y, w, h in faces:
        roi = out[y : y + h, x : x + w]
        small = cv2.resize(roi, (max(w // 12, 1), max(h // 12, 1)), interpolation=cv2.INTER_AREA)
        out[y : y + h, x : x + w] = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    return out, len(faces)


def render_frame(frame: Frame) -> U8:
    """A displayable BGR image of an RGB or radiometric frame."""
    if frame.kind is FrameKind.RGB:
        return np.asarray(frame.image, dtype=np.uint8)
    t = np.asarray(frame.image, dtype=np.float32)
    lo, hi = float(np.percentile(t, 1)), float(np.percentile(t, 99.5))
    grey = np.clip((t - lo) * 255.0 / max(hi - lo, 1e-3), 0, 255).astype(np.uint8)
    return np.asarray(cv2.applyColorMap(grey, cv2.COLORMAP_INFERNO), dtype=np.uint8)


def snapshot_jpeg(
    frame: Frame,
    boxes: Sequence[tuple[BBox, str]] = (),
    max_bytes: int = 32_000,
    blur: bool = True,
) -> bytes:
    """JPEG of ``frame`` with ``(box, caption)`` drawn, faces blurred, at most ``max_bytes``."""
    img = render_frame(frame)
    if blur and frame.kind is FrameKind.RGB:
        img, _ = blur_faces(img)
    img = img.copy()
    thickness = max(1, img.shape[1] // 640)
    for (x, y, w, h), caption in boxes:
        p0, p1 = (int(x) - 2, int(y) - 2), (int(x + w) + 2, int(y + h) + 2)
        cv2.rectangle(img, p0, p1, BOX_BGR, thickness)
        cv2.putText(
            img, caption, (p0[0], max(p0[1] - 4, 10)), cv2.FONT_HERSHEY_SIMPLEX, 0.4 * thickness, BOX_BGR, 1
        )
    scale, quality = 1.0, 80
    while True:
        shown = (
            img if scale == 1.0 else cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        )
        ok, buf = cv2.imencode(".jpg", shown, [cv2.IMWRITE_JPEG_QUALITY, quality])
        data = buf.tobytes() if ok else b""
        if len(data) <= max_bytes or shown.shape[1] < 80:
            return data
        if quality > 50:
            quality -= 15
        else:
            scale *= 0.7
