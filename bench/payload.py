"""Benchmark of the onboard detectors and agent: ``python -m bench.payload``.

Prints frames per second per detector on ONE core (OpenCV and BLAS limited to one thread, the
process pinned to one CPU) at 640x512 radiometric thermal and 1280x720 RGB, on frames rendered by
the sim camera at 60 m over a scene with a fire, people, a crowd and stalls; then the onboard
agent's end-to-end latency from a frame being available to its ``ai_detection`` event arriving at
a subscriber through an MQTT broker (embedded amqtt, or ``--mqtt-port`` of a running Mosquitto).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

import aiomqtt  # noqa: E402
import cv2  # noqa: E402
import numpy as np  # noqa: E402

from docks.broker import EmbeddedBroker  # noqa: E402
from docks.protocol import Channel, build  # noqa: E402
from docks.protocol.topics import topic  # noqa: E402
from payload.agent import AgentConfig, OnboardAgent  # noqa: E402
from payload.agent_mqtt import MqttAgent  # noqa: E402
from payload.detectors.fire_smoke import FireSmokeDetector  # noqa: E402
from payload.detectors.onnx_detector import OnnxDetector  # noqa: E402
from payload.detectors.people_hog import HogPeopleDetector  # noqa: E402
from payload.detectors.stationary import StationaryObjectDetector  # noqa: E402
from payload.detectors.thermal import detect_hot_spots, detect_warm_bodies  # noqa: E402
from payload.frames import FrameSource  # noqa: E402
from payload.georef import gsd_m, offset_to_wgs84  # noqa: E402
from payload.model import CameraModel, CameraPose, Frame, FrameKind  # noqa: E402
from payload.pipeline import DetectionPipeline, DetectorName  # noqa: E402
from sim.camera import CameraRenderer, lakeside_scene  # noqa: E402
from sim.incidents import Incident, IncidentKind  # noqa: E402

RGB = CameraModel(1280, 720, 70.0)
IR = CameraModel.from_sensor(640, 512, 13.5, 12.0)
AGL_M = 60.0


def one_core() -> str:
    cv2.setNumThreads(1)
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"cpu {cpu}"
    except (AttributeError, OSError):
        return "not pinned"


def world() -> tuple[CameraRenderer, list[CameraPose]]:
    scene = lakeside_scene()

    def at(e: float, n: float) -> tuple[float, float]:
        lon, lat = offset_to_wgs84(scene.origin_lon_deg, scene.origin_lat_deg, n, e)
        return float(lon), float(lat)

    incidents = [
        Incident("fire", IncidentKind.FIRE, *at(1, 30), size_m=2.5, temperature_c=450.0),
        Incident("person", IncidentKind.PERSON, *at(20, 32), temperature_c=32.0),
        Incident("crowd", IncidentKind.CROWD, *at(13, 20), size_m=7.0, count=12, temperature_c=32.0),
        Incident(
            "stalls", IncidentKind.STALLS, *at(10, -30), size_m=12.0, count=4, heading_deg=90.0, start_s=5.0
        ),
    ]
    rng = np.random.default_rng(0)
    centre = at(10.0, 5.0)
    poses = []
    for _ in range(40):
        lon, lat = offset_to_wgs84(centre[0], centre[1], *rng.normal(0, 0.3, 2))
        poses.append(CameraPose(float(lon), float(lat), AGL_M, float(rng.normal(0, 0.3))))
    return CameraRenderer(scene, incidents), poses


def timed(fn: Callable[[int], object], n: int) -> float:
    """Frames per second of ``fn(i)`` over ``n`` calls (after one warm-up call)."""
    fn(0)
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        fn(i)
    return n / (time.perf_counter() - t0)


def detector_table(renderer: CameraRenderer, poses: list[CameraPose], n: int, model: Path | None) -> None:
    t0 = time.perf_counter()
    rgb = [renderer.render_rgb(RGB, p, 2.0 + 0.5 * i) for i, p in enumerate(poses[: n + 1])]
    ir = [renderer.render_thermal(IR, p, 2.0 + 0.5 * i) for i, p in enumerate(poses[: n + 1])]
    render_s = (time.perf_counter() - t0) / (2 * len(rgb))
    g_ir, g_rgb = gsd_m(IR, poses[0])[0], gsd_m(RGB, poses[0])[0]
    fire, stationary = FireSmokeDetector(), StationaryObjectDetector()
    hog = HogPeopleDetector()
    pipeline = DetectionPipeline(
        [DetectorName.HOT_SPOT, DetectorName.WARM_BODY, DetectorName.CROWD, DetectorName.FIRE_SMOKE]
    )
    rows: list[tuple[str, str, float]] = [
        ("thermal hot spots", "640x512", timed(lambda i: detect_hot_spots(ir[i % len(ir)], g_ir), n)),
        ("thermal warm bodies", "640x512", timed(lambda i: detect_warm_bodies(ir[i % len(ir)], g_ir), n)),
        (
            "fire/smoke (colour+flicker+IR)",
            "1280x720",
            timed(lambda i: fire.update(rgb[i % len(rgb)], g_rgb, ir[i % len(ir)], RGB, IR), n),
        ),
        (
            "stationary objects (align+dual bg)",
            "1280x720",
            timed(lambda i: stationary.update(rgb[i % len(rgb)], 2.0 + 0.5 * i, g_rgb), n),
        ),
        ("HOG people", "1280x720", timed(lambda i: hog.detect(rgb[i % len(rgb)]), max(n // 4, 2))),
        (
            "pipeline IR+RGB+georef+tracking",
            "both",
            timed(
                lambda i: pipeline.process(
                    Frame(rgb[i % len(rgb)], FrameKind.RGB, 2.0 + 0.5 * i, RGB, poses[i % len(poses)]),
                    Frame(ir[i % len(ir)], FrameKind.THERMAL, 2.0 + 0.5 * i, IR, poses[i % len(poses)]),
                ),
                n,
            ),
        ),
    ]
    if model is not None:
        onnx = OnnxDetector(model)
        rows.append(
            (
                f"ONNX {model.name} (cv2.dnn, 640)",
                "1280x720",
                timed(lambda i: onnx.detect(rgb[i % len(rgb)]), 5),
            )
        )
    print(f"\n{'detector':38} {'frame':>9} {'fps':>8} {'ms/frame':>9}")
    for name, size, fps in rows:
        print(f"{name:38} {size:>9} {fps:8.1f} {1000 / fps:9.1f}")
    print(f"{'(sim camera renderer, per frame)':38} {'both':>9} {1 / render_s:8.1f} {1000 * render_s:9.1f}")


class _Prerendered:
    """Frames rendered ahead, stamped with the wall time at which they are handed over."""

    def __init__(self, frames: list[Frame]) -> None:
        self.frames = frames
        self.i = 0

    def read(self) -> Frame | None:
        f = self.frames[self.i % len(self.frames)]
        self.i += 1
        return replace(f, t_s=time.time())

    def close(self) -> None:
        pass


async def latency(
    renderer: CameraRenderer, poses: list[CameraPose], cycles: int, port: int | None
) -> list[float]:
    frames_rgb = [renderer.frame(FrameKind.RGB, RGB, p, 2.0 + 0.5 * i) for i, p in enumerate(poses[:10])]
    frames_ir = [renderer.frame(FrameKind.THERMAL, IR, p, 2.0 + 0.5 * i) for i, p in enumerate(poses[:10])]
    rgb_src: FrameSource = _Prerendered(frames_rgb)
    ir_src: FrameSource = _Prerendered(frames_ir)
    agent = OnboardAgent(AgentConfig("BENCH01", rate_hz=10.0), rgb=rgb_src, thermal=ir_src)
    samples: list[float] = []
    broker = EmbeddedBroker() if port is None else None
    host, mqtt_port = "127.0.0.1", port or 0
    if broker is not None:
        url = await broker.start()
        mqtt_port = url.port
    try:
        runner = MqttAgent(agent, host, mqtt_port, tick_s=0.0)
        async with aiomqtt.Client(host, mqtt_port, identifier="bench-cloud") as cloud:
            await cloud.subscribe(topic(Channel.EVENTS, "BENCH01"), qos=1)
            task = asyncio.create_task(runner.run())
            await asyncio.wait_for(runner.connected.wait(), 10)
            for _ in range(cycles):
                out = build(
                    Channel.SERVICES, "BENCH01", "ai_detect_start", {"classes": ["hot_spot", "warm_body"]}
                )
                await cloud.publish(out.topic, out.payload, qos=1)
                async with asyncio.timeout(30):
                    async for m in cloud.messages:
                        body = json.loads(bytes(m.payload))  # type: ignore[arg-type]
                        samples.append(time.time() - body["data"]["frame_timestamp_ms"] / 1000.0)
                        break
                stop = build(Channel.SERVICES, "BENCH01", "ai_detect_stop", {})
                await cloud.publish(stop.topic, stop.payload, qos=1)
                await asyncio.sleep(0.2)
            task.cancel()
    finally:
        if broker is not None:
            await broker.stop()
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.payload", description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20, help="frames per detector (default 20)")
    parser.add_argument("--cycles", type=int, default=10, help="agent latency samples (default 10)")
    parser.add_argument("--model", type=Path, help="also time this ONNX model")
    parser.add_argument(
        "--mqtt-port", type=int, help="use a broker on 127.0.0.1:PORT instead of the embedded one"
    )
    args = parser.parse_args(argv)
    pinned = one_core()
    renderer, poses = world()
    print(
        f"payload bench: one core ({pinned}), OpenCV {cv2.__version__}, {args.frames} frames per detector, "
        f"AGL {AGL_M:.0f} m"
    )
    detector_table(renderer, poses, args.frames, args.model)
    samples = asyncio.run(latency(renderer, poses, args.cycles, args.mqtt_port))
    # min_hits frames must pass before a lead is confirmed; the latency is that of the confirming frame
    ms = sorted(1000 * s for s in samples)
    broker = "embedded amqtt" if args.mqtt_port is None else f"broker :{args.mqtt_port}"
    print(
        f"\nagent: confirming frame -> ai_detection event received over MQTT ({broker}, {len(ms)} leads): "
        f"p50 {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
