"""The agent's live view over a real (embedded) MQTT broker: ``live_view_start`` brings JPEG frames of
the chosen camera on ``thing/product/{sn}/live`` with the detector's boxes; ``live_view_stop`` and
an expired keep-alive end the stream."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiomqtt
import cv2
import numpy as np
import pytest

from docks.broker import EmbeddedBroker
from docks.protocol import Channel, build
from docks.protocol.payload import LiveFrame, live_topic
from docks.protocol.topics import topic
from payload.agent import AgentConfig, OnboardAgent
from payload.agent_mqtt import MqttAgent
from payload.model import FrameKind
from sim.camera import RenderedFrameSource
from sim.clock import SimClock
from tests.integration.payload.conftest import IR_CAM, RGB_CAM, World

SN = "PAYLOAD-LIVE"


class Ground:
    """Mission control's side: services, replies, osd ticks and live frames."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.replies: dict[str, dict[str, Any]] = {}
        self.frames: list[LiveFrame] = []
        self.osd = 0
        self.changed = asyncio.Event()

    async def listen(self) -> None:
        async for m in self.client.messages:
            name, payload = str(m.topic), bytes(m.payload)
            if name == live_topic(SN):
                self.frames.append(LiveFrame.model_validate_json(payload))
            elif name.endswith("services_reply"):
                body = json.loads(payload)
                self.replies[body["tid"]] = body
            elif name.endswith("osd"):
                self.osd += 1
            self.changed.set()

    async def until(self, predicate: Callable[[], bool], timeout_s: float = 30.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

    async def call(self, method: str, data: dict[str, Any]) -> dict[str, Any]:
        out = build(Channel.SERVICES, SN, method, data)
        assert out.envelope is not None
        await self.client.publish(out.topic, out.payload, qos=1)
        tid = out.envelope.tid
        await self.until(lambda: tid in self.replies, 10.0)
        reply: dict[str, Any] = self.replies[tid]["data"]
        return reply

    async def quiet_after(self, count: int) -> int:
        """Live frames received while the agent published 4 more osd messages (its loops ran)."""
        osd0 = self.osd
        await self.until(lambda: self.osd >= osd0 + 4)
        return len(self.frames) - count


@pytest.fixture
async def ground(world: World) -> AsyncIterator[Ground]:
    clock = SimClock(speed=1.0, start_s=5.0)
    poses = world.hover_poses(60.0, 50)
    pose_at = lambda t_s: poses[int(t_s * 4) % len(poses)]  # noqa: E731
    agent = OnboardAgent(
        AgentConfig(SN, rate_hz=4.0),
        rgb=RenderedFrameSource(world.renderer, FrameKind.RGB, RGB_CAM, pose_at, clock.now_s),
        thermal=RenderedFrameSource(world.renderer, FrameKind.THERMAL, IR_CAM, pose_at, clock.now_s),
        clock=clock.now_s,
    )
    async with EmbeddedBroker() as broker:
        mqtt_agent = MqttAgent(agent, broker.url.host, broker.url.port, osd_interval_s=0.1)
        async with aiomqtt.Client(broker.url.host, broker.url.port, identifier="ground-live") as client:
            for name in (topic(Channel.SERVICES_REPLY, SN), topic(Channel.OSD, SN), live_topic(SN)):
                await client.subscribe(name, qos=0)
            g = Ground(client)
            async with asyncio.TaskGroup() as tg:
                listener = tg.create_task(g.listen())
                runner = tg.create_task(mqtt_agent.run())
                await asyncio.wait_for(mqtt_agent.connected.wait(), 10)
                yield g
                runner.cancel()
                listener.cancel()


def image(frame: LiveFrame) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(base64.b64decode(frame.jpeg_b64), np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return np.asarray(img)


async def test_frames_on_request_of_the_chosen_camera_until_stopped(ground: Ground) -> None:
    assert await ground.quiet_after(0) == 0  # nothing before anybody asks
    reply = await ground.call("live_view_start", {"camera": "thermal", "rate_hz": 5.0})
    assert reply["result"] == 0 and reply["output"] == {"camera": "thermal", "rate_hz": 5.0}
    await ground.until(lambda: len(ground.frames) >= 3)
    assert {f.camera for f in ground.frames} == {"thermal"}
    assert [f.seq for f in ground.frames] == sorted({f.seq for f in ground.frames})
    first = ground.frames[0]
    assert (first.image_width_px, first.image_height_px) == (IR_CAM.width_px, IR_CAM.height_px)
    h, w = image(first).shape[:2]
    assert abs(w / h - IR_CAM.width_px / IR_CAM.height_px) < 0.02

    # switch to the RGB camera: the frames follow
    await ground.call("live_view_start", {"camera": "rgb", "rate_hz": 5.0})
    await ground.until(lambda: ground.frames[-1].camera == "rgb")
    assert ground.frames[-1].image_width_px == RGB_CAM.width_px

    assert (await ground.call("live_view_stop", {}))["result"] == 0
    stopped_at = len(ground.frames)
    assert await ground.quiet_after(stopped_at) <= 1  # at most one already in flight


async def test_the_detectors_boxes_come_with_the_frames(ground: Ground) -> None:
    await ground.call("ai_detect_start", {"classes": ["fire"]})
    await ground.call("live_view_start", {"camera": "rgb", "rate_hz": 5.0})
    await ground.until(lambda: any(d.label == "fire" for f in ground.frames for d in f.detections), 40.0)
    boxed = next(f for f in ground.frames if f.detections)
    box = boxed.detections[0]
    assert box.camera == "rgb" and 0.0 <= box.x <= 1.0 and box.width > 0.0


async def test_an_unrenewed_stream_stops_by_itself(ground: Ground) -> None:
    await ground.call("live_view_start", {"camera": "rgb", "rate_hz": 5.0, "keepalive_s": 1.0})
    await ground.until(lambda: len(ground.frames) >= 1)
    osd0 = ground.osd
    await ground.until(lambda: ground.osd >= osd0 + 15)  # 1.5 s of agent loops: past the keep-alive
    count = len(ground.frames)
    assert await ground.quiet_after(count) == 0
    bad = await ground.call("live_view_start", {"camera": "uv"})
    assert bad["result"] != 0
