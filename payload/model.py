"""Plain value objects of the payload: camera, pose, frames, detections and leads.

Angles are degrees, distances metres, temperatures °C, times seconds; units are in every name.
Pixel boxes are ``(x, y, w, h)`` with (0, 0) the top-left corner of the image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

BBox = tuple[float, float, float, float]
"""``(x, y, w, h)`` in pixels."""


def normalised_box(box: BBox, image_size_px: tuple[int, int]) -> BBox:
    """``box`` as fractions of the image, clipped to it (the wire's ``x, y, width, height``)."""
    w, h = image_size_px
    x, y, bw, bh = box
    x0, y0 = min(max(x / w, 0.0), 1.0), min(max(y / h, 0.0), 1.0)
    x1, y1 = min(max((x + bw) / w, 0.0), 1.0), min(max((y + bh) / h, 0.0), 1.0)
    return (x0, y0, max(x1 - x0, 0.0), max(y1 - y0, 0.0))


class FrameKind(StrEnum):
    """What a frame holds: ``rgb`` = uint8 BGR (OpenCV order), ``thermal`` = float32 °C per pixel."""

    RGB = "rgb"
    THERMAL = "thermal"


class Label(StrEnum):
    """Classes our own detectors report (an ONNX plug-in may report any of its own names)."""

    FIRE = "fire"
    SMOKE = "smoke"
    HOT_SPOT = "hot_spot"
    WARM_BODY = "warm_body"
    PERSON = "person"
    CROWD = "crowd"
    STATIONARY_OBJECT = "stationary_object"


@dataclass(frozen=True)
class CameraModel:
    """A pinhole camera without distortion: image size and horizontal field of view."""

    width_px: int
    height_px: int
    hfov_deg: float

    def __post_init__(self) -> None:
        if self.width_px <= 0 or self.height_px <= 0:
            raise ValueError(f"image size must be positive, got {self.width_px}x{self.height_px}")
        if not 0.0 < self.hfov_deg < 179.0:
            raise ValueError(f"hfov_deg must be in (0, 179), got {self.hfov_deg!r}")

    @classmethod
    def from_sensor(cls, width_px: int, height_px: int, focal_mm: float, pitch_um: float) -> CameraModel:
        """From the lens focal length and the pixel pitch (e.g. a 640x512, 13.5 mm, 12 µm core)."""
        half_w_mm = width_px * pitch_um / 1000.0 / 2.0
        return cls(width_px, height_px, math.degrees(2.0 * math.atan(half_w_mm / focal_mm)))

    @property
    def f_px(self) -> float:
        """Focal length in pixels."""
        return (self.width_px / 2.0) / math.tan(math.radians(self.hfov_deg) / 2.0)

    @property
    def cx_px(self) -> float:
        return self.width_px / 2.0

    @property
    def cy_px(self) -> float:
        return self.height_px / 2.0

    @property
    def vfov_deg(self) -> float:
        return math.degrees(2.0 * math.atan(self.cy_px / self.f_px))


@dataclass(frozen=True)
class CameraPose:
    """Where the camera is and where it looks.

    ``agl_m`` is the height above the ground at the target (flat ground); ``heading_deg`` the
    drone's heading clockwise from true north; ``gimbal_yaw_deg`` is relative to the body;
    ``pitch_deg`` 0 = horizon, -90 = nadir; ``roll_deg`` ≈ 0 for a stabilised gimbal.
    """

    lon_deg: float
    lat_deg: float
    agl_m: float
    heading_deg: float = 0.0
    pitch_deg: float = -90.0
    gimbal_yaw_deg: float = 0.0
    roll_deg: float = 0.0

    def __post_init__(self) -> None:
        if not (-180.0 <= self.lon_deg <= 180.0 and -90.0 <= self.lat_deg <= 90.0):
            raise ValueError(f"position out of range: lon {self.lon_deg!r}, lat {self.lat_deg!r}")
        if not (math.isfinite(self.agl_m) and self.agl_m > 0):
            raise ValueError(f"agl_m must be > 0, got {self.agl_m!r}")
        if not -180.0 <= self.pitch_deg <= 90.0:
            raise ValueError(f"pitch_deg must be in [-180, 90], got {self.pitch_deg!r}")

    @property
    def azimuth_deg(self) -> float:
        """Camera azimuth: heading plus the gimbal's relative yaw."""
        return (self.heading_deg + self.gimbal_yaw_deg) % 360.0


@dataclass(frozen=True)
class AttitudeErrors:
    """Error bounds propagated into a lead's uncertainty radius (reference/payload.md §5.5)."""

    pitch_deg: float = 1.0
    yaw_deg: float = 1.0
    roll_deg: float = 0.5
    agl_m: float = 2.0
    gnss_m: float = 2.0


@dataclass
class Frame:
    """One image with its capture time and, where known, the camera pose at that time."""

    image: npt.NDArray[np.generic]
    kind: FrameKind
    t_s: float
    camera: CameraModel
    pose: CameraPose | None = None

    def __post_init__(self) -> None:
        shape = self.image.shape
        if self.kind is FrameKind.RGB and (len(shape) != 3 or shape[2] != 3 or self.image.dtype != np.uint8):
            raise ValueError(f"an RGB frame must be HxWx3 uint8, got {shape} {self.image.dtype}")
        if self.kind is FrameKind.THERMAL and (
            len(shape) != 2 or not np.issubdtype(self.image.dtype, np.floating)
        ):
            raise ValueError(f"a thermal frame must be HxW float (°C), got {shape} {self.image.dtype}")
        if (shape[1], shape[0]) != (self.camera.width_px, self.camera.height_px):
            raise ValueError(
                f"image is {shape[1]}x{shape[0]} but the camera is "
                f"{self.camera.width_px}x{self.camera.height_px}"
            )


@dataclass(frozen=True)
class Detection:
    """One finding in one frame (pixels only; georeferencing and tracking come later)."""

    label: str
    confidence: float
    bbox_px: BBox
    source: str
    t_peak_c: float | None = None
    area_m2: float | None = None
    count: int | None = None

    @property
    def centre_px(self) -> tuple[float, float]:
        x, y, w, h = self.bbox_px
        return (x + w / 2.0, y + h / 2.0)


@dataclass(frozen=True)
class GroundPoint:
    """A pixel's intersection with the flat ground, with its uncertainty radius."""

    lon_deg: float
    lat_deg: float
    north_m: float
    east_m: float
    slant_range_m: float
    uncertainty_m: float


@dataclass
class Lead:
    """A confirmed finding: what, where (with an uncertainty radius), how sure, seen how often."""

    lead_id: str
    track_id: int
    label: str
    confidence: float
    source: str
    camera: FrameKind
    bbox_px: BBox
    image_size_px: tuple[int, int]
    t_capture_s: float
    frames_confirmed: int
    lon_deg: float
    lat_deg: float
    uncertainty_m: float
    t_peak_c: float | None = None
    area_m2: float | None = None
    count: int | None = None
    near_water_m: float | None = None
    """For people: distance to the nearest water within the shore buffer (a drowning-risk lead)."""
    pose: CameraPose | None = None
    snapshot_jpeg: bytes | None = field(default=None, repr=False)
