"""Where frames come from: the :class:`FrameSource` port, an OpenCV capture adapter (file, RTSP,
device), a directory/file source, and readers for RGB images and radiometric thermal files.

A camera that is a :class:`PreviewSource` also shows its current picture to the live view, from
another thread than the detector's reads, without taking a frame from them.

Radiometric files: ``.npy`` holds °C (float); a 16-bit PNG/TIFF holds centikelvin
(``°C = value / 100 - 273.15``, the "TLinear 0.01 K" style of FLIR Boson/Lepton cores).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np
import numpy.typing as npt

from payload.model import CameraModel, CameraPose, Frame, FrameKind

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

RGB_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
THERMAL_SUFFIXES = frozenset({".npy", ".png", ".tif", ".tiff"})
ABSOLUTE_ZERO_C = -273.15


class FrameReadError(ValueError):
    """A file could not be read as a frame of the expected kind; the message says why."""


class FrameSource(Protocol):
    """Anything that yields frames: a camera, a video, a directory, the sim's renderer."""

    def read(self) -> Frame | None:
        """The next frame, or None when the source is exhausted."""
        ...

    def close(self) -> None: ...


Take = Callable[[], Frame | None]
"""One frame of a clip, developed when called (a sim camera renders it then; None: no frame)."""


@runtime_checkable
class ClipSource(FrameSource, Protocol):
    """A camera whose recent video can be sampled at chosen times, as an onboard computer reads the
    frames it wants from the camera's video buffer (the sim camera: frames rendered in sim time)."""

    def clip(self, times_s: Sequence[float]) -> list[Take]:
        """One take per time of ``times_s`` (ascending, none after now). The camera's pose at each
        time is fixed by this call; the image may be developed later."""
        ...


@runtime_checkable
class PreviewSource(FrameSource, Protocol):
    """A camera the live view can look through between the detector's reads, as a drone's video
    encoder does not wait for its AI. Safe to call from another thread than :meth:`read`."""

    def preview(self) -> Frame | None:
        """The camera's current picture (None: it sees nothing now). Takes nothing from
        :meth:`read`: a frame it had to pull from the camera is the next one read returns."""
        ...


def centikelvin_to_c(raw: npt.NDArray[np.integer]) -> F32:
    """16-bit radiometric counts in 0.01 K to °C."""
    return (raw.astype(np.float32) / 100.0 + ABSOLUTE_ZERO_C).astype(np.float32)


def c_to_centikelvin(temp_c: npt.NDArray[np.floating]) -> npt.NDArray[np.uint16]:
    """°C to 16-bit counts in 0.01 K (clipped to what 16 bits hold: -273.15 … 382.2 °C)."""
    raw = np.round((temp_c.astype(np.float64) - ABSOLUTE_ZERO_C) * 100.0)
    return np.clip(raw, 0, 65535).astype(np.uint16)


def read_radiometric(path: Path) -> F32:
    """A radiometric thermal frame in °C from ``.npy`` (°C) or a 16-bit PNG/TIFF (centikelvin)."""
    if not path.is_file():
        raise FrameReadError(f"{path}: no such file")
    if path.suffix.lower() == ".npy":
        try:
            data = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise FrameReadError(f"{path}: not a .npy array ({exc})") from None
        if data.ndim != 2 or not np.issubdtype(data.dtype, np.number):
            raise FrameReadError(f"{path}: expected a 2-D array of °C, got shape {data.shape} {data.dtype}")
        temp = data.astype(np.float32)
    elif path.suffix.lower() in THERMAL_SUFFIXES:
        raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if raw is None:
            raise FrameReadError(f"{path}: not a readable image")
        if raw.ndim != 2 or raw.dtype != np.uint16:
            raise FrameReadError(
                f"{path}: expected a single-channel 16-bit radiometric image, "
                f"got shape {raw.shape} {raw.dtype}"
            )
        temp = centikelvin_to_c(np.asarray(raw, dtype=np.uint16))
    else:
        raise FrameReadError(f"{path}: unknown radiometric format (use .npy, 16-bit .png or .tif)")
    if not np.all(np.isfinite(temp)):
        raise FrameReadError(f"{path}: contains non-finite temperatures")
    return np.asarray(temp, dtype=np.float32)


def write_radiometric(path: Path, temp_c: npt.NDArray[np.floating]) -> None:
    """Write °C as ``.npy`` or as a 16-bit centikelvin PNG/TIFF (by the suffix)."""
    if path.suffix.lower() == ".npy":
        np.save(path, temp_c.astype(np.float32))
    elif not cv2.imwrite(str(path), c_to_centikelvin(temp_c)):
        raise FrameReadError(f"{path}: cannot write")


def read_rgb(path: Path) -> U8:
    """A colour image as HxWx3 uint8 BGR (grey images are expanded)."""
    if not path.is_file():
        raise FrameReadError(f"{path}: no such file")
    raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise FrameReadError(f"{path}: not a readable image")
    if raw.dtype != np.uint8:
        raise FrameReadError(
            f"{path}: expected an 8-bit image, got {raw.dtype} (a radiometric file? use --kind thermal)"
        )
    if raw.ndim == 2:
        return np.asarray(cv2.cvtColor(raw, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    if raw.shape[2] == 4:
        return np.asarray(cv2.cvtColor(raw, cv2.COLOR_BGRA2BGR), dtype=np.uint8)
    return np.asarray(raw, dtype=np.uint8)


def guess_kind(path: Path) -> FrameKind:
    """``thermal`` for .npy and 16-bit single-channel images, else ``rgb``."""
    if path.suffix.lower() == ".npy":
        return FrameKind.THERMAL
    raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if raw is not None and raw.dtype == np.uint16 and raw.ndim == 2:
        return FrameKind.THERMAL
    return FrameKind.RGB


def read_image(path: Path, kind: FrameKind) -> npt.NDArray[np.generic]:
    """Read ``path`` as a frame image of ``kind``."""
    return read_radiometric(path) if kind is FrameKind.THERMAL else read_rgb(path)


def list_frame_files(path: Path) -> list[Path]:
    """A file, or the image/array files of a directory in name order."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in RGB_SUFFIXES | THERMAL_SUFFIXES)
        if not files:
            raise FrameReadError(f"{path}: no image or .npy files in the directory")
        return files
    if not path.exists():
        raise FrameReadError(f"{path}: no such file or directory")
    return [path]


class FileFrameSource:
    """Frames from files (one file or a directory), ``period_s`` apart in time."""

    def __init__(
        self,
        path: Path,
        kind: FrameKind | None = None,
        hfov_deg: float = 70.0,
        pose: CameraPose | None = None,
        period_s: float = 1.0,
    ) -> None:
        self._files: Iterator[Path] = iter(list_frame_files(path))
        self._kind = kind
        self._hfov_deg = hfov_deg
        self._pose = pose
        self._period_s = period_s
        self._index = 0

    def read(self) -> Frame | None:
        path = next(self._files, None)
        if path is None:
            return None
        kind = self._kind or guess_kind(path)
        image = read_image(path, kind)
        camera = CameraModel(image.shape[1], image.shape[0], self._hfov_deg)
        frame = Frame(image, kind, self._index * self._period_s, camera, self._pose)
        self._index += 1
        return frame

    def close(self) -> None:
        self._files = iter(())


class CaptureFrameSource:
    """An OpenCV ``VideoCapture`` (video file, ``rtsp://`` URL or device index) as RGB frames.

    ``pose_at`` gives the camera pose at a frame time (from telemetry); ``clock`` the time source.
    A :class:`PreviewSource`: a preview pulls the capture's next frame and keeps it for the next
    :meth:`read` (a newer preview replaces it: the older one was never read, as a camera's buffer
    drops what nobody took); one lock serialises the capture between the two threads.
    """

    def __init__(
        self,
        uri: str | int,
        hfov_deg: float,
        pose_at: Callable[[float], CameraPose | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cap = cv2.VideoCapture(uri)
        if not self._cap.isOpened():
            raise FrameReadError(f"cannot open video source {uri!r}")
        self._hfov_deg = hfov_deg
        self._pose_at = pose_at
        self._clock = clock
        self._lock = threading.Lock()
        self._unread: Frame | None = None  # pulled by a preview, not yet read

    def read(self) -> Frame | None:
        with self._lock:
            frame, self._unread = self._unread, None
            return frame if frame is not None else self._pull()

    def preview(self) -> Frame | None:
        with self._lock:
            frame = self._pull()
            if frame is not None:
                self._unread = frame
            return frame

    def _pull(self) -> Frame | None:
        ok, image = self._cap.read()
        if not ok or image is None:
            return None
        t_s = self._clock()
        img = np.ascontiguousarray(image, dtype=np.uint8)
        camera = CameraModel(img.shape[1], img.shape[0], self._hfov_deg)
        pose = self._pose_at(t_s) if self._pose_at else None
        return Frame(img, FrameKind.RGB, t_s, camera, pose)

    def close(self) -> None:
        with self._lock:
            self._cap.release()
