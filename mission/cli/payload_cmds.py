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
import asyncio
import contextlib
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docks.broker import EmbeddedBroker
from docks.broker_url import EMBEDDED, parse_broker_url
from docks.protocol.payload import AiDetectStart
from mission.cli.errors import CliError
from mission.settings import SettingsError, load_settings
from payload.agent import AgentConfig, OnboardAgent, Published
from payload.agent_mqtt import MqttAgent
from payload.detectors.onnx_detector import OnnxDetector, OnnxModelError
from payload.frames import (
    CaptureFrameSource,
    FileFrameSource,
    FrameReadError,
    FrameSource,
    guess_kind,
    list_frame_files,
    read_image,
)
from payload.georef import BelowHorizonError, offset_to_wgs84, pixel_to_ground
from payload.model import CameraModel, CameraPose, Frame, FrameKind
from payload.payload_settings import PayloadSettings
from payload.pipeline import DetectionPipeline, DetectorName, Located, PipelineParams
from payload.ports import AudioSink
from payload.speaker import AplaySink, EspeakTts, Speaker, SpeakerError, WavFileSink, load_messages

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
    d.add_argument("--tile", action="store_true", help="run the model on full-resolution tiles")
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

    a = group.add_parser("agent", help="run the onboard agent on MQTT ([payload] settings)")
    a.add_argument("--config", type=Path, help="skyloop.toml (default: $SKYLOOP_CONFIG or the shipped one)")
    a.add_argument(
        "--broker", metavar="URL", help="mqtt://host:port or 'embedded' (default: [mqtt] broker_url)"
    )
    a.add_argument(
        "--sim", action="store_true", help="frames from the sim camera over the demo lakeside scene"
    )
    a.add_argument(
        "--pose", metavar="LON,LAT,AGL_M,HEADING_DEG,PITCH_DEG", help="fixed pose (no telemetry link)"
    )
    a.add_argument(
        "--audio-dir", type=Path, default=Path("speaker-out"), help="where the sim speaker writes WAVs"
    )
    a.add_argument(
        "--detect", metavar="CLASSES", help="start detecting at once: 'all' or a comma list of classes"
    )
    a.add_argument(
        "--seconds", default="0", metavar="S", help="stop after S seconds (default: run until Ctrl-C)"
    )
    a.set_defaults(handler=run_agent)


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
        person = OnnxDetector(Path(args.model), int(size or 640), tile=args.tile) if args.model else None
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


def _sim_sources(
    ps: PayloadSettings, pose: CameraPose | None
) -> tuple[FrameSource, FrameSource, Callable[[], float]]:
    """The demo lakeside scene (fire, a person by the lake, a crowd, stalls arriving on the road) seen
    by a drone hovering at ``pose`` (default: 60 m over the scene) with a little drift."""
    from sim.camera import CameraRenderer, RenderedFrameSource, lakeside_scene
    from sim.clock import SimClock
    from sim.incidents import Incident, IncidentKind

    scene = lakeside_scene()

    def at(e: float, n: float) -> tuple[float, float]:
        lon, lat = offset_to_wgs84(scene.origin_lon_deg, scene.origin_lat_deg, n, e)
        return float(lon), float(lat)

    incidents = [
        Incident("fire-demo", IncidentKind.FIRE, *at(1, 30), size_m=2.5, temperature_c=450.0, start_s=3.0),
        Incident("person-demo", IncidentKind.PERSON, *at(20, 32), temperature_c=32.0),
        Incident("crowd-demo", IncidentKind.CROWD, *at(13, 20), size_m=7.0, count=12, temperature_c=32.0),
        Incident(
            "stalls-demo",
            IncidentKind.STALLS,
            *at(10, -30),
            size_m=12.0,
            count=4,
            heading_deg=90.0,
            temperature_c=22.0,
            start_s=10.0,
        ),
    ]
    renderer = CameraRenderer(scene, incidents)
    base = pose or CameraPose(*at(10.0, 20.0), 60.0)
    clock = SimClock()

    def pose_at(t_s: float) -> CameraPose:
        drift_n, drift_e = 0.3 * math.sin(t_s * 0.7), 0.3 * math.cos(t_s * 0.5)
        lon, lat = offset_to_wgs84(base.lon_deg, base.lat_deg, drift_n, drift_e)
        return CameraPose(float(lon), float(lat), base.agl_m, base.heading_deg, base.pitch_deg)

    rgb_cam = CameraModel(1280, 720, ps.rgb_hfov_deg)
    ir_cam = CameraModel(640, 512, ps.thermal_hfov_deg)
    return (
        RenderedFrameSource(renderer, FrameKind.RGB, rgb_cam, pose_at, clock.now_s),
        RenderedFrameSource(renderer, FrameKind.THERMAL, ir_cam, pose_at, clock.now_s),
        clock.now_s,
    )


def _agent_parts(args: argparse.Namespace, ps: PayloadSettings, config_dir: Path) -> OnboardAgent:
    pose = _pose(args.pose) if args.pose else None
    clock: Callable[[], float] = time.time
    rgb: FrameSource | None = None
    thermal: FrameSource | None = None
    if args.sim:
        rgb, thermal, clock = _sim_sources(ps, pose)
    else:
        try:
            if ps.rgb_source:
                src: str | int = int(ps.rgb_source) if ps.rgb_source.isdigit() else ps.rgb_source
                rgb = CaptureFrameSource(src, ps.rgb_hfov_deg, pose_at=lambda _t: pose)
            if ps.thermal_source:
                thermal = FileFrameSource(
                    Path(ps.thermal_source), FrameKind.THERMAL, ps.thermal_hfov_deg, pose
                )
        except FrameReadError as exc:
            raise CliError(str(exc)) from None
    try:
        messages = load_messages(
            ps.speaker_messages if ps.speaker_messages.is_absolute() else config_dir / ps.speaker_messages
        )
        tts = None if ps.tts == "none" else (EspeakTts() if ps.tts == "espeak" else EspeakTts.if_available())
        sink: AudioSink = AplaySink(ps.audio_device) if ps.audio_device else WavFileSink(args.audio_dir)
        person = OnnxDetector(ps.onnx_model, ps.onnx_input_px, tile=ps.onnx_tile) if ps.onnx_model else None
    except (SpeakerError, OnnxModelError) as exc:
        raise CliError(str(exc)) from None
    try:
        params = ps.pipeline_params(config_dir)
    except ValueError as exc:
        raise CliError(f"[payload] water_geojson: {exc}") from None
    config = AgentConfig(ps.sn, ps.rate_hz, ps.snapshot_max_bytes, pipeline=params)
    return OnboardAgent(config, rgb, thermal, Speaker(sink, messages, tts), person, clock)


def run_agent(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    ps = settings.payload
    seconds = _numbers(args.seconds, 1, "--seconds")[0]
    url = args.broker or settings.mqtt.broker_url
    agent = _agent_parts(args, ps, settings.config_dir)
    if args.detect:
        classes = (
            () if args.detect == "all" else tuple(c.strip() for c in args.detect.split(",") if c.strip())
        )
        try:
            code, output = agent.handle("ai_detect_start", AiDetectStart(classes=classes))
        except ValueError as exc:
            raise CliError(f"--detect: {exc}") from None
        if code != 0:
            raise CliError(f"--detect: {output}")

    def show(published: Published, t_wall: float) -> None:
        for lead in published.leads:
            print(
                f"lead {lead.label} {lead.confidence:.2f} at {lead.lon_deg:.7f},{lead.lat_deg:.7f} "
                f"±{lead.uncertainty_m:.1f} m ({lead.frames_confirmed} frames, {lead.source})",
                flush=True,
            )

    async def main() -> None:
        broker = EmbeddedBroker() if url == EMBEDDED else None
        try:
            target = await broker.start() if broker else parse_broker_url(url)
        except ValueError as exc:
            raise CliError(f"--broker: {exc}") from None
        runner = MqttAgent(
            agent,
            target.host,
            target.port,
            username=target.username,
            password=target.password,
            on_published=show,
        )
        print(
            f"payload agent {ps.sn} on {target}; cameras: rgb={agent.rgb_source is not None} "
            f"thermal={agent.thermal_source is not None}",
            flush=True,
        )
        try:
            if seconds > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(runner.run(), seconds)
            else:
                await runner.run()
        finally:
            if broker:
                await broker.stop()

    asyncio.run(main())
    return 0
