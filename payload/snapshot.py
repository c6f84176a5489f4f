"""JPEG snapshots for leads: the frame with its boxes drawn, faces blurred for privacy where
OpenCV's Haar face cascade (opencv-contrib data) is available, shrunk until it fits a byte budget
(an MQTT event carries it inline). Thermal frames are shown with a colour map.
"""

from __future__ import annotations

import functools
import math
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


#: The smallest face the cascade finds (px): its 24 px model, run from this size up.
MIN_FACE_PX = 16
#: Bounds for how large a face can appear: a face (with hair) is at most this big (m) and at most
#: this high above the ground (m, a person standing; flat ground, as all georeferencing here).
FACE_SIZE_M = 0.4
FACE_HEIGHT_M = 2.5


def max_face_px(frame: Frame) -> float | None:
    """The largest a face can appear in ``frame`` (px), from the camera's height above the ground;
    None when unknown (no pose, or the camera at a face's height)."""
    if frame.pose is None:
        return None
    distance_m = frame.pose.agl_m - FACE_HEIGHT_M
    if distance_m <= FACE_SIZE_M:
        return None
    focal_px = frame.camera.width_px / 2.0 / math.tan(math.radians(frame.camera.hfov_deg) / 2.0)
    return FACE_SIZE_M * focal_px / distance_m


def blur_faces(bgr: U8, largest_face_px: float | None = None) -> tuple[U8, int]:
    """A copy with every detected face pixelated, and how many there were. ``largest_face_px``
    (:func:`max_face_px`) skips the search when no face can be as big as the cascade's smallest
    (a drone at 100 m sees a face as ~4 px) and limits its scales otherwise."""
    cascade = _face_cascade()
    if cascade is None:
        return bgr, 0
    if largest_face_px is not None and largest_face_px < MIN_FACE_PX:
        return bgr, 0
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    most = (0, 0) if largest_face_px is None else (math.ceil(largest_face_px),) * 2  # (0, 0): no limit
    faces = cascade.detectMultiScale(
        grey, scaleFactor=1.1, minNeighbors=5, minSize=(MIN_FACE_PX, MIN_FACE_PX), maxSize=most
    )
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


def _dashed_rectangle(img: U8, p0: tuple[int, int], p1: tuple[int, int], dash_px: int = 6) -> None:
    """A 1-px rectangle of ``dash_px`` dashes with equal gaps."""
    (x0, y0), (x1, y1) = p0, p1
    for a, b in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))):
        length = max(abs(b[0] - a[0]), abs(b[1] - a[1]))
        for start in range(0, length, 2 * dash_px):
            end = min(start + dash_px, length)
            f0, f1 = start / max(length, 1), end / max(length, 1)
            q0 = (round(a[0] + (b[0] - a[0]) * f0), round(a[1] + (b[1] - a[1]) * f0))
            q1 = (round(a[0] + (b[0] - a[0]) * f1), round(a[1] + (b[1] - a[1]) * f1))
            cv2.line(img, q0, q1, BOX_BGR, 1)


def snapshot_jpeg(
    frame: Frame,
    boxes: Sequence[tuple[BBox, str]] = (),
    max_bytes: int = 32_000,
    blur: bool = True,
    tentative: Sequence[tuple[BBox, str]] = (),
) -> bytes:
    """JPEG of ``frame`` with ``(box, caption)`` drawn, faces blurred, at most ``max_bytes``;
    ``tentative`` boxes (tracks not yet confirmed) are drawn thin and dashed."""
    img = render_frame(frame)
    if blur and frame.kind is FrameKind.RGB:
        img, _ = blur_faces(img, max_face_px(frame))
    img = img.copy()
    thickness = max(1, img.shape[1] // 640)
    height, width = img.shape[:2]

    def corners(box: BBox) -> tuple[tuple[int, int], tuple[int, int]]:
        x, y, w, h = (min(max(c, -1e4), 1e4) for c in box)  # cv2 wants C ints
        p0 = (min(max(int(x) - 2, -2), width + 1), min(max(int(y) - 2, -2), height + 1))
        return p0, (min(max(int(x + w) + 2, -2), width + 1), min(max(int(y + h) + 2, -2), height + 1))

    for box, caption in boxes:
        p0, p1 = corners(box)
        cv2.rectangle(img, p0, p1, BOX_BGR, thickness)
        cv2.putText(
            img, caption, (p0[0], max(p0[1] - 4, 10)), cv2.FONT_HERSHEY_SIMPLEX, 0.4 * thickness, BOX_BGR, 1
        )
    for box, caption in tentative:
        p0, p1 = corners(box)
        _dashed_rectangle(img, p0, p1)
        cv2.putText(img, caption, (p0[0], max(p0[1] - 4, 10)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, BOX_BGR, 1)
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
