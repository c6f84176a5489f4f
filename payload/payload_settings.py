"""Settings of the onboard payload (``[payload]`` in skyloop.toml): cameras, detection, speaker.

Camera sources are what ``cv2.VideoCapture`` opens (a device index such as ``"0"``, a video file, an
``rtsp://`` URL) or, for the thermal camera, a directory of radiometric files (``.npy`` °C or 16-bit
centikelvin PNG/TIFF) played in name order. Empty = that camera is absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from payload.model import AttitudeErrors
from payload.pipeline import PipelineParams


class PayloadSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sn: str = Field("PAYLOAD01", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
    rate_hz: float = Field(2.0, gt=0, le=30, description="detection rate unless ai_detect_start sets one")
    rgb_source: str = Field("", description="VideoCapture source of the RGB camera; empty = none")
    rgb_hfov_deg: float = Field(70.0, gt=0, lt=179)
    thermal_source: str = Field("", description="directory of radiometric frames; empty = none")
    thermal_hfov_deg: float = Field(31.8, gt=0, lt=179, description="640 px x 12 µm behind 13.5 mm")
    onnx_model: Path | None = Field(None, description="YOLO-family ONNX for people/objects (user-supplied)")
    onnx_input_px: int = Field(640, ge=32, le=2048)
    onnx_tile: bool = Field(False, description="run the model on full-resolution tiles (small objects)")
    speaker_messages: Path = Path("speaker_messages.toml")
    tts: Literal["auto", "espeak", "none"] = "auto"
    audio_device: str | None = Field(None, description="ALSA device for aplay; None = the sim's WAV files")
    min_hits: int = Field(3, ge=1, le=50, description="frames that confirm a lead")
    pitch_error_deg: float = Field(1.0, ge=0)
    yaw_error_deg: float = Field(1.0, ge=0)
    agl_error_m: float = Field(2.0, ge=0)
    gnss_error_m: float = Field(2.0, ge=0)
    water_geojson: Path | None = Field(
        None, description="water bodies (Polygons): people near them are flagged"
    )
    shore_buffer_m: float = Field(10.0, ge=0, le=200)
    snapshot_max_bytes: int = Field(30_000, ge=2_000, le=33_000, description="fits a 64 kB MQTT event")

    def pipeline_params(self, config_dir: Path = Path(".")) -> PipelineParams:
        """Detection parameters; ``water_geojson`` is read (relative to ``config_dir``)."""
        water: tuple[tuple[tuple[float, float], ...], ...] = ()
        if self.water_geojson is not None:
            path = self.water_geojson if self.water_geojson.is_absolute() else config_dir / self.water_geojson
            water = read_water_rings(path)
        errors = AttitudeErrors(
            pitch_deg=self.pitch_error_deg,
            yaw_deg=self.yaw_error_deg,
            agl_m=self.agl_error_m,
            gnss_m=self.gnss_error_m,
        )
        return PipelineParams(
            errors=errors, min_hits=self.min_hits, water_lonlat=water, shore_buffer_m=self.shore_buffer_m
        )


def read_water_rings(path: Path) -> tuple[tuple[tuple[float, float], ...], ...]:
    """Exterior rings (lon, lat) of the Polygons/MultiPolygons in a GeoJSON file; ValueError if unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    features = data.get("features", [data]) if isinstance(data, dict) else []
    rings: list[tuple[tuple[float, float], ...]] = []
    for feature in features:
        geom = feature.get("geometry", feature) if isinstance(feature, dict) else {}
        kind, coords = geom.get("type"), geom.get("coordinates", [])
        polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
        for poly in polygons:
            rings.append(tuple((float(p[0]), float(p[1])) for p in poly[0]))
    if not rings:
        raise ValueError(f"{path}: no Polygon in the file")
    return tuple(rings)
