"""The onboard agent end to end over a real MQTT broker: rendered frames in, services answered,
confirmed leads out as ``ai_detection`` events with positions, uncertainty and a snapshot."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiomqtt
import cv2
import numpy as np
import pytest

from docks.broker import EmbeddedBroker
from docks.protocol import Channel, build
from docks.protocol.topics import topic
from payload.agent import AgentConfig, OnboardAgent, Published
from payload.agent_mqtt import MqttAgent
from payload.georef import wgs84_to_pixel
from payload.model import CameraPose, FrameKind
from payload.speaker import DEFAULT_MESSAGES, Clip, Speaker, WavFileSink, load_messages
from sim.camera import RenderedFrameSource
from sim.clock import SimClock
from sim.incidents import IncidentKind
from tests.integration.payload.conftest import IR_CAM, RGB_CAM, World

SN = "PAYLOAD01"
#: Wall-clock patience for any one answer (a guard against a hang on a loaded machine, not a timing check).
WAIT_S = 30.0


class CountingAgent(OnboardAgent):
    """The onboard agent, counting its detection loop's finished steps (and timing the slowest) and
    the events it published, so a test can wait for loops of the agent instead of for wall time."""

    steps = 0
    slowest_step_s = 0.0
    published: list[float]

    def step(self) -> Published | None:
        started_s = time.monotonic()
        try:
            return super().step()
        finally:
            self.steps += 1
            self.slowest_step_s = max(self.slowest_step_s, time.monotonic() - started_s)


class Cloud:
    """Mission control's side: send services, collect replies and events."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.replies: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.status: list[dict[str, Any]] = []
        self.osd: list[dict[str, Any]] = []
        self.changed = asyncio.Event()

    async def listen(self) -> None:
        async for m in self.client.messages:
            body = json.loads(bytes(m.payload))  # type: ignore[arg-type]
            name = str(m.topic)
            if name.endswith("services_reply"):
                self.replies[body["tid"]] = body
            elif name.endswith("events"):
                self.events.append(body)
            elif name.endswith("status"):
                self.status.append(body)
            elif name.endswith("osd"):
                self.osd.append(body)
            self.changed.set()

    async def until(self, predicate: Callable[[], bool], timeout_s: float) -> None:
        async with asyncio.timeout(timeout_s):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

    async def call(self, method: str, data: dict[str, Any], timeout_s: float = WAIT_S) -> dict[str, Any]:
        out = build(Channel.SERVICES, SN, method, data)
        assert out.envelope is not None
        await self.client.publish(out.topic, out.payload, qos=1)
        tid = out.envelope.tid
        await self.until(lambda: tid in self.replies, timeout_s)
        return self.replies[out.envelope.tid]["data"]


@pytest.fixture
async def running(world: World, tmp_path: Path):
    clock = SimClock(speed=1.0, start_s=5.0)
    poses = world.hover_poses(60.0, 50)
    pose_at = lambda t_s: poses[int(t_s * 4) % len(poses)]  # noqa: E731
    sink = WavFileSink(tmp_path / "audio")
    agent = CountingAgent(
        AgentConfig(SN, rate_hz=4.0),
        rgb=RenderedFrameSource(world.renderer, FrameKind.RGB, RGB_CAM, pose_at, clock.now_s),
        thermal=RenderedFrameSource(world.renderer, FrameKind.THERMAL, IR_CAM, pose_at, clock.now_s),
        speaker=Speaker(sink, load_messages(DEFAULT_MESSAGES), tts=None),
        clock=clock.now_s,
    )
    agent.published = []
    async with EmbeddedBroker() as broker:
        mqtt_agent = MqttAgent(
            agent,
            broker.url.host,
            broker.url.port,
            osd_interval_s=0.2,
            on_published=lambda p, t: agent.published.append(t),
        )
        async with aiomqtt.Client(broker.url.host, broker.url.port, identifier="cloud-test") as client:
            for ch in (Channel.SERVICES_REPLY, Channel.EVENTS, Channel.STATUS, Channel.OSD):
                await client.subscribe(topic(ch, SN), qos=1)
            cloud = Cloud(client)
            async with asyncio.TaskGroup() as tg:
                listener = tg.create_task(cloud.listen())
                runner = tg.create_task(mqtt_agent.run())
                await asyncio.wait_for(mqtt_agent.connected.wait(), WAIT_S)
                yield cloud, agent, sink
                runner.cancel()
                listener.cancel()


async def test_detection_services_and_events(running, world: World) -> None:
    cloud, agent, sink = running
    fire = next(i for i in world.incidents if i.kind is IncidentKind.FIRE)

    reply = await cloud.call(
        "ai_detect_start", {"classes": ["fire", "hot_spot", "warm_body"], "flight_id": "F1"}
    )
    assert reply["result"] == 0 and set(reply["output"]["classes"]) == {"fire", "hot_spot", "warm_body"}

    def has_fire() -> bool:
        return any(d["label"] == "fire" for e in cloud.events for d in e["data"]["detections"])

    await cloud.until(has_fire, 90.0)  # rendering and detection slow down a lot under load
    event = next(e for e in cloud.events if any(d["label"] == "fire" for d in e["data"]["detections"]))
    assert event["method"] == "ai_detection" and event["data"]["flight_id"] == "F1"
    lead = next(d for d in event["data"]["detections"] if d["label"] == "fire")
    e0, n0 = world.en(lead["longitude_deg"], lead["latitude_deg"])
    e1, n1 = world.en(fire.lon_deg, fire.lat_deg)
    assert np.hypot(e1 - e0, n1 - n0) <= lead["uncertainty_m"]
    assert lead["frames_confirmed"] >= 3 and lead["camera"] == "rgb" and lead["lead_id"]
    jpeg = base64.b64decode(event["data"]["snapshot_jpeg_b64"])
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None and img.shape[1] > 100
    labels = [d["label"] for e in cloud.events for d in e["data"]["detections"]]
    assert labels.count("fire") == 1  # one fire, one lead

    # temperature where the fire is, and over an area around it
    pose: CameraPose = agent.latest[FrameKind.THERMAL].pose
    u, v = wgs84_to_pixel(IR_CAM, pose, fire.lon_deg, fire.lat_deg)
    x, y = float(u) / IR_CAM.width_px, float(v) / IR_CAM.height_px
    point = await cloud.call("ir_measure_point", {"x": x, "y": y})
    assert point["result"] == 0 and point["output"]["temperature_c"] > 150
    area = await cloud.call(
        "ir_measure_area", {"x": max(x - 0.1, 0), "y": max(y - 0.1, 0), "width": 0.2, "height": 0.2}
    )
    out = area["output"]
    assert area["result"] == 0 and out["max_temperature_c"] > 150 > out["min_temperature_c"]
    assert abs(out["hottest_latitude_deg"] - fire.lat_deg) < 3e-5

    # loudspeaker: a stored message (no TTS configured here) lands in the sim's audio file
    spoken = await cloud.call(
        "speaker_tts_play_start",
        {"tts": {"name": "fire", "text": load_messages(DEFAULT_MESSAGES)["fire"]["zh"]}, "volume_pct": 70},
    )
    assert spoken["result"] == 0 and sink.played
    assert Clip.from_wav(sink.played[-1].read_bytes()).duration_s > 3
    assert (await cloud.call("speaker_play_stop", {}))["result"] == 0

    # refused requests carry their result code
    assert (await cloud.call("speaker_tts_play_start", {"tts": {"name": "x", "text": "unstored words"}}))[
        "result"
    ] == 10002
    assert (await cloud.call("ai_detect_start", {"classes": ["unicorn"]}))["result"] == 10002
    assert (await cloud.call("ir_measure_point", {"x": 2.0, "y": 0.5}))["result"] == 10002
    assert (await cloud.call("cover_open", {}))["result"] == 10001

    busy = [o["data"] for o in cloud.osd if o["data"]["detecting"]]
    assert busy and busy[-1]["thermal_online"] and busy[-1]["rgb_online"] and busy[-1]["leads_published"] >= 1
    assert "fire" in busy[-1]["classes"]
    # fresh: each step reads new frames, so the newest is about a step old (steps slow down under load)
    assert busy[-1]["frame_age_s"] < max(5.0, 2 * agent.slowest_step_s + 1.0)

    assert (await cloud.call("ai_detect_stop", {}))["result"] == 0
    osd_at_stop = len(cloud.osd)

    def settled(steps: int) -> bool:
        """The loop finished ``steps`` steps and every event it published has arrived."""
        return agent.steps >= steps and len(cloud.events) == len(agent.published)

    # a step under way at the stop may still publish what it found; the next one no longer detects
    next_step = agent.steps + 2
    await cloud.until(lambda: settled(next_step), 2 * WAIT_S)
    n = len(cloud.events)
    quiet_steps, quiet_until_s = agent.steps + 6, time.monotonic() + 1.5
    await cloud.until(
        lambda: settled(quiet_steps) and time.monotonic() >= quiet_until_s and len(cloud.osd) > osd_at_stop,
        2 * WAIT_S,
    )
    assert len(cloud.events) == n  # 6 more loops and 1.5 s: no detection event
    assert cloud.osd[-1]["data"]["detecting"] is False
    assert any(s["data"]["online"] for s in cloud.status)
