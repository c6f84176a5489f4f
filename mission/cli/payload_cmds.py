"""``skyloop payload ...``: run the onboard detectors on files, georeference a pixel.

    skyloop payload detect --input frames/ --kind thermal --pose 113.755,34.8,60,0,-90 --hfov-deg 31.8
    skyloop payload georef --pose 113.755,34.8,100,45,-45 --hfov-deg 70 --size 1920,1080 --pixel 1500,300
    113.755... 34.800... 7.41

A directory is read in name order as one sequence (fire flicker and stationary objects need several
frames). ``--pose`` is ``lon,lat,agl_m,heading_deg,pitch_deg`` (longitude first); with it every
detection also gets ``lon``, ``lat`` and ``uncertainty_m``.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from mission.cli.errors import CliError
from payload.detectors.onnx_detector import OnnxDetector, OnnxModelError
from payload.frames import FrameReadError, guess_kind, list_frame_files, read_image
from payload.georef import BelowHorizonError, pixel_to_ground
from payload.model import CameraModel, CameraPose, Frame, FrameKind
from payload.pipeline import DetectionPipeline, DetectorName, Located, PipelineParams

THERMAL_DEFAULT = (DetectorName.HOT_SPOT, DetectorName.WARM_BODY, DetectorName.CROWD)
RGB_DEFAULT = (DetectorName.FIRE_SMOKE, DetectorName.STATIONARY)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``payload`` command group: ``detect`` and ``georef``."""
    p = sub.add_parser("payload", help="onboard detectors and georeferencing on files")
    group = p.add_subparsers(dest="payload_command", required=True, metavar="COMMAND")

    d = group.add_parser("detect", help="run the detectors on an image, a radiometric file or a directory")
    d.add_argument(
        "--input", required=True, metavar="FILE|DIR", help="image, .npy/16-bit PNG/TIFF, or a directory"
    )
    d.add_argument("--kind", default="auto", metavar="rgb|thermal|auto", help="frame kind (default: by file)")
    d.add_argument(
        "--model", metavar="ONNX", help="a YOLO-family ONNX model for RGB frames (<model>.names beside it)"
    )
    d.add_argument(
        "--model-size", default="640", metavar="PX", help="the model's square input size (default 640)"
    )
    d.add_argument("--detectors", metavar="LIST", help=f"comma list of {', '.join(DetectorName)}")
    d.add_argument(
        "--pose", metavar="LON,LAT,AGL_M,HEADING_DEG,PITCH_DEG", help="camera pose for georeferencing"
    )
    d.add_argument("--hfov-deg", type=str, metavar="F", help="horizontal field of view (needed with --pose)")
    d.add_argument(
        "--gsd-m", type=str, metavar="M", help="ground sample distance without a pose (default 0.05)"
    )
    d.add_argument("--format", default="text", metavar="text|json", help="output format (default text)")
    d.set_defaults(handler=run_detect)

    g = group.add_parser("georef", help="ground point (WGS84) of an image pixel")
    g.add_argument("--pose", required=True, metavar="LON,LAT,AGL_M,HEADING_DEG,PITCH_DEG")
    g.add_argument("--hfov-deg", required=True, metavar="F")
    g.add_argument("--size", required=True, metavar="W,H", help="image size in pixels")
    g.add_argument("--pixel", required=True, metavar="U,V", help="pixel (x right, y down; may be fractional)")
    g.set_defaults(handler=run_georef)


def _numbers(text: str, count: int, name: str) -> list[float]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != count:
        raise CliError(f"{name} needs {count} comma-separated numbers, got {text!r}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise CliError(f"{name} has a value that is not a number: {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise CliError(f"{name} must be finite numbers, got {text!r}")
    return values


def _pose(text: str) -> CameraPose:
    lon, lat, agl, heading, pitch = _numbers(text, 5, "--pose")
    try:
        return CameraPose(lon, lat, agl, heading_deg=heading, pitch_deg=pitch)
    except ValueError as exc:
        raise CliError(f"--pose: {exc}") from None


def _positive(text: str | None, name: str) -> float | None:
    if text is None:
        return None
    value = _numbers(text, 1, name)[0]
    if value <= 0:
        raise CliError(f"{name} must be > 0, got {text!r}")
    return value


def _camera(width: int, height: int, hfov: float) -> CameraModel:
    try:
        return CameraModel(width, height, hfov)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def run_georef(args: argparse.Namespace) -> int:
    pose = _pose(args.pose)
    hfov = _positive(args.hfov_deg, "--hfov-deg")
    assert hfov is not None
    w, h = _numbers(args.size, 2, "--size")
    if w != int(w) or h != int(h) or w < 1 or h < 1:
        raise CliError(f"--size must be two positive integers, got {args.size!r}")
    camera = _camera(int(w), int(h), hfov)
    u, v = _numbers(args.pixel, 2, "--pixel")
    if not (0 <= u <= w and 0 <= v <= h):
        raise CliError(f"--pixel {args.pixel} is outside the {int(w)}x{int(h)} image")
    try:
        g = pixel_to_ground(camera, pose, u, v)
    except BelowHorizonError as exc:
        raise CliError(str(exc)) from None
    print(f"{g.lon_deg:.9f} {g.lat_deg:.9f} {g.uncertainty_m:.2f}")
    return 0


def _detectors(text: str | None, kind: FrameKind) -> list[DetectorName]:
    if text is None:
        return list(THERMAL_DEFAULT if kind is FrameKind.THERMAL else RGB_DEFAULT)
    names = [t.strip() for t in text.split(",") if t.strip()]
    try:
        return [DetectorName(n) for n in names]
    except ValueError:
        raise CliError(f"--detectors: unknown name in {text!r} (known: {', '.join(DetectorName)})") from None


def _record(path: Path, index: int, loc: Located) -> dict[str, Any]:
    d = loc.detection
    rec: dict[str, Any] = {
        "file": str(path),
        "frame": index,
        "class": d.label,
        "confidence": round(d.confidence, 4),
        "bbox": [round(v, 2) for v in d.bbox_px],
        "source": d.source,
    }
    for name in ("t_peak_c", "area_m2", "count"):
        value = getattr(d, name)
        if value is not None:
            rec[name] = round(value, 3) if isinstance(value, float) else value
    if loc.ground is not None:
        rec.update(
            lon=round(loc.ground.lon_deg, 9),
            lat=round(loc.ground.lat_deg, 9),
            uncertainty_m=round(loc.ground.uncertainty_m, 2),
        )
    return rec


def run_detect(args: argparse.Namespace) -> int:
    if args.kind not in ("rgb", "thermal", "auto"):
        raise CliError(f"--kind must be rgb, thermal or auto, got {args.kind!r}")
    if args.format not in ("text", "json"):
        raise CliError(f"--format must be text or json, got {args.format!r}")
    pose = _pose(args.pose) if args.pose else None
    hfov = _positive(args.hfov_deg, "--hfov-deg")
    if pose is not None and hfov is None:
        raise CliError("--pose needs --hfov-deg")
    gsd = _positive(args.gsd_m, "--gsd-m") or 0.05
    try:
        files = list_frame_files(Path(args.input))
        size = _positive(args.model_size, "--model-size")
        person = OnnxDetector(Path(args.model), input_size_px=int(size or 640)) if args.model else None
    except (FrameReadError, OnnxModelError) as exc:
        raise CliError(str(exc)) from None
    pipelines: dict[FrameKind, DetectionPipeline] = {}
    records: list[dict[str, Any]] = []
    for index, path in enumerate(files):
        try:
            kind = FrameKind(args.kind) if args.kind != "auto" else guess_kind(path)
            image = read_image(path, kind)
        except FrameReadError as exc:
            raise CliError(str(exc)) from None
        if kind not in pipelines:
            names = _detectors(args.detectors, kind)
            if person is not None and kind is FrameKind.RGB and DetectorName.PERSON not in names:
                names.append(DetectorName.PERSON)
            params = PipelineParams(default_gsd_m=gsd, min_hits=1)
            pipelines[kind] = DetectionPipeline(names, params, person_detector=person)
        camera = _camera(image.shape[1], image.shape[0], hfov or 70.0)
        frame = Frame(image, kind, float(index), camera, pose)
        try:
            found = (
                pipelines[kind].detect(thermal=frame)
                if kind is FrameKind.THERMAL
                else pipelines[kind].detect(rgb=frame)
            )
        except OnnxModelError as exc:
            raise CliError(str(exc)) from None
        records += [_record(path, index, loc) for loc in found]
    if args.format == "json":
        print(json.dumps(records, ensure_ascii=False, indent=1))
    else:
        for r in records:
            where = f" at {r['lon']:.7f},{r['lat']:.7f} ±{r['uncertainty_m']:.1f} m" if "lon" in r else ""
            x, y, w, h = r["bbox"]
            print(f"{r['file']}: {r['class']} {r['confidence']:.2f} [{x:.0f},{y:.0f} {w:.0f}x{h:.0f}]{where}")
        print(f"{len(records)} detection(s) in {len(files)} frame(s)")
    return 0
