"""The mission's payload client through the dock link (``MqttDockLink`` reused for a payload serial)
against the real onboard agent over the embedded broker, with rendered frames of a scene holding a
fire and a person by the lake: the on-scene tasks per incident type run for real."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from docks.broker import EmbeddedBroker
from docks.mqtt_link import MqttDockLink
from docks.settings import MqttSettings
from mission.model import AlertType
from mission.on_scene import run_tasks, stop_tasks
from mission.payload_client import PayloadClient, PayloadRefused
from payload.agent import AgentConfig, OnboardAgent
from payload.agent_mqtt import MqttAgent
from payload.model import FrameKind
from payload.speaker import DEFAULT_MESSAGES, Speaker, WavFileSink, load_messages
from sim.camera import CameraRenderer, RenderedFrameSource, lakeside_scene
from tests.integration.payload.conftest import IR_CAM, RGB_CAM, World, build_incidents

SN = "PAYLOAD-M1"


@dataclass
class Onboard:
    client: PayloadClient
    agent: OnboardAgent
    sink_dir: Path


@pytest.fixture
async def onboard(tmp_path: Path) -> AsyncIterator[Onboard]:
    scene = lakeside_scene()
    world = World(scene, [], CameraRenderer(scene))
    world.incidents = build_incidents(world.at)
    world.renderer = CameraRenderer(scene, world.incidents)
    poses = world.hover_poses(60.0, 20)
    clock = asyncio.get_running_loop().time

    def pose_at(t_s: float) -> Any:
        return poses[int(t_s * 4) % len(poses)]

    agent = OnboardAgent(
        AgentConfig(SN, rate_hz=4.0),
        rgb=RenderedFrameSource(world.renderer, FrameKind.RGB, RGB_CAM, pose_at, clock),
        thermal=RenderedFrameSource(world.renderer, FrameKind.THERMAL, IR_CAM, pose_at, clock),
        speaker=Speaker(WavFileSink(tmp_path / "audio"), load_messages(DEFAULT_MESSAGES), tts=None),
        clock=clock,
    )
    async with EmbeddedBroker() as broker:
        mqtt_agent = MqttAgent(agent, broker.url.host, broker.url.port, osd_interval_s=0.5)
        settings = MqttSettings(keepalive_s=2, reconnect_min_s=0.05, reconnect_max_s=0.5)
        async with MqttDockLink(broker.url, settings) as link, asyncio.TaskGroup() as tg:
            task = tg.create_task(mqtt_agent.run())
            await asyncio.wait_for(mqtt_agent.connected.wait(), 10)
            await link.wait_connected()
            # the drone id maps to its payload computer's serial
            yield Onboard(
                PayloadClient(link, serial_of=lambda d: SN, timeout_s=10.0), agent, tmp_path / "audio"
            )
            task.cancel()


async def test_fire_tasks_detect_and_measure_on_the_real_agent(onboard: Onboard) -> None:
    notes: list[tuple[str, dict[str, Any]]] = []

    async def note(kind: str, data: dict[str, Any]) -> None:
        notes.append((kind, data))

    async with asyncio.timeout(60.0):  # its first frame comes soon after start (a guard, not a timing check)
        while FrameKind.THERMAL not in onboard.agent.latest:  # noqa: ASYNC110 - the agent has no event for it
            await asyncio.sleep(0.05)
    done = await run_tasks(onboard.client, "U01", "M1", AlertType.FIRE_SMOKE, "zh", note)
    assert done == 2, notes
    detect, measure = notes[0][1], notes[1][1]
    assert {"fire", "smoke"} <= set(detect["classes"]) and onboard.agent.active
    assert onboard.agent.flight_id == "M1"
    assert measure["max_temperature_c"] > 100.0  # the 450 °C fire is in view
    await stop_tasks(onboard.client, "U01")
    assert not onboard.agent.active


async def test_person_near_water_falls_back_to_warm_bodies_and_warns(onboard: Onboard) -> None:
    notes: list[tuple[str, dict[str, Any]]] = []

    async def note(kind: str, data: dict[str, Any]) -> None:
        notes.append((kind, data))

    with pytest.raises(PayloadRefused):  # no person model on this payload
        await onboard.client.start_detection("U01", ("person",))
    done = await run_tasks(onboard.client, "U01", "M2", AlertType.PERSON_NEAR_WATER, "en", note)
    assert done == 2, notes
    assert notes[0][1]["classes"] == ["warm_body"]
    assert notes[1][1]["message"] == "person_near_water"
    assert any(onboard.sink_dir.glob("*.wav"))  # the warning was played
