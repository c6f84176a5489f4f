"""Live view end to end over the embedded broker: a viewer of the relay starts the real onboard
agent's stream through the payload client, JPEG frames of the chosen camera arrive through the
``thing/product/+/live`` subscriber, and the agent's stream stops when the viewer leaves."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import pytest

from docks.broker import EmbeddedBroker
from docks.mqtt_link import MqttDockLink
from docks.settings import MqttSettings
from mission.live_view_mqtt import LiveFrameSubscriber
from mission.live_view_relay import LiveViewError, LiveViewRelay
from mission.payload_client import PayloadClient
from payload.agent import AgentConfig, OnboardAgent
from payload.agent_mqtt import MqttAgent
from payload.model import FrameKind
from sim.camera import CameraRenderer, RenderedFrameSource, lakeside_scene
from tests.integration.payload.conftest import RGB_CAM, World

SN = "PAYLOAD-LV1"
DRONE = "U01"
#: Wall-clock patience for a request, a connection or a frame (a guard on a loaded machine: the
#: whole watch, frames rendered at 1280x720 and all, took 29 s of a 30 s guard under load).
WAIT_S = 30.0


@dataclass
class Stack:
    relay: LiveViewRelay
    agent: OnboardAgent
    subscriber: LiveFrameSubscriber


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    scene = lakeside_scene()
    world = World(scene, [], CameraRenderer(scene))
    poses = world.hover_poses(60.0, 20)
    clock = asyncio.get_running_loop().time

    def pose_at(t_s: float) -> Any:
        return poses[int(t_s * 4) % len(poses)]

    agent = OnboardAgent(
        AgentConfig(SN),
        rgb=RenderedFrameSource(world.renderer, FrameKind.RGB, RGB_CAM, pose_at, clock),
        thermal=None,  # this payload has no thermal camera
        clock=clock,
    )
    async with EmbeddedBroker() as broker:
        settings = MqttSettings(keepalive_s=2, reconnect_min_s=0.05, reconnect_max_s=0.5)
        async with MqttDockLink(broker.url, settings) as link, asyncio.TaskGroup() as tg:
            payload = PayloadClient(link, serial_of=lambda d: SN, timeout_s=WAIT_S)
            relay = LiveViewRelay(payload.start_live_view, payload.stop_live_view)
            subscriber = LiveFrameSubscriber(broker.url, relay, lambda sn: DRONE if sn == SN else sn)
            onboard = MqttAgent(agent, broker.url.host, broker.url.port)
            tasks = [
                tg.create_task(onboard.run()),
                tg.create_task(subscriber.run()),
            ]
            await link.wait_connected()
            await asyncio.wait_for(onboard.connected.wait(), WAIT_S)
            await asyncio.wait_for(subscriber.connected.wait(), WAIT_S)
            yield Stack(relay, agent, subscriber)
            for task in tasks:
                task.cancel()


async def test_a_viewer_gets_the_agents_jpeg_frames_and_leaving_stops_them(stack: Stack) -> None:
    async with asyncio.timeout(4 * WAIT_S), stack.relay.watch(DRONE, "rgb") as frames:
        assert stack.agent.live.request is not None and stack.agent.live.request.camera == "rgb"
        first, second = await frames.get(), await frames.get()
        assert first.camera == "rgb" and second.seq > first.seq
        img = cv2.imdecode(np.frombuffer(base64.b64decode(second.jpeg_b64), np.uint8), cv2.IMREAD_COLOR)
        assert img is not None
        assert abs(img.shape[1] / img.shape[0] - RGB_CAM.width_px / RGB_CAM.height_px) < 0.02
    assert stack.relay.watching(DRONE) == 0
    assert stack.agent.live.request is None  # live_view_stop reached the agent
    assert stack.subscriber.invalid == 0


async def test_a_camera_the_payload_lacks_is_refused_with_why(stack: Stack) -> None:
    with pytest.raises(LiveViewError, match="thermal"):
        async with stack.relay.watch(DRONE, "thermal"):
            pass
    assert stack.relay.watching(DRONE) == 0
