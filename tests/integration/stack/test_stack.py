"""The demo's stack in one process: the sim world (:mod:`mission.app_sim`) and mission control's fleet
side (:mod:`mission.app_fleet`) on the embedded broker, sped up. ``SKYLOOP_TEST_STACK_DOCKS`` sets
how many of the reference docks come up (default 4; the demo runs all 16)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from docks.broker_url import BrokerUrl
from docks.mqtt_session import MqttSession
from fleet.drone_model import Height
from fleet.flight_waits import wait_until
from fleet.model import FleetEventKind
from mission.alerts import parse_alert
from mission.app_fleet import FleetSide, build_registry
from mission.app_sim import SimOptions, SimWorld
from mission.model import AlertType, CoordSystem
from mission.settings import load_settings
from payload.georef import wgs84_to_offset

SPEED = 20.0
DOCKS = int(os.environ.get("SKYLOOP_TEST_STACK_DOCKS", "4"))
WAIT_S = 30.0  # wall-clock patience for any one change


@dataclass
class Stack:
    world: SimWorld
    fleet: FleetSide


@asynccontextmanager
async def stack(**options: object) -> AsyncIterator[Stack]:
    settings = load_settings()
    opts = SimOptions(speed=SPEED, dock_count=DOCKS, **options)  # type: ignore[arg-type]
    async with SimWorld(settings, opts) as world:
        assert world.url is not None
        registry = build_registry(settings, only=world.dock_ids)
        async with FleetSide(
            settings, world.url, world.drone_specs(), registry=registry, clock=world.clock
        ) as fleet:
            yield Stack(world, fleet)


async def all_available(fleet: FleetSide) -> None:
    manager = fleet.manager
    async with manager.subscribe() as sub, asyncio.timeout(WAIT_S):
        while not all(manager.availability(d).available for d in manager.registry.dock_ids):
            async for event in sub:
                if event.kind is FleetEventKind.AVAILABILITY:
                    break


async def test_docks_become_available_drones_are_healthy_and_a_payload_answers() -> None:
    async with stack(battery_pct=100.0) as s:
        assert len(s.world.dock_ids) == DOCKS and len(s.fleet.registry) == DOCKS
        await all_available(s.fleet)
        for spec in s.world.drone_specs():
            link = s.fleet.drones.drone(spec.drone_id)
            await link.connect(WAIT_S)
            t = await wait_until(
                link,
                lambda t: t.health is not None and t.health.all_ok and t.battery is not None,
                WAIT_S,
                "health",
            )
            assert t.battery is not None and t.battery.remaining_pct > 95.0
        drone_sn = s.world.drones[-1].drone_sn
        await s.world.wait_agents_connected(WAIT_S)
        reply = await s.fleet.dock_link.call(drone_sn, "ai_detect_start", {"classes": ["fire"]})
        assert reply.body is not None and getattr(reply.body, "result", None) == 0
        agent = s.world.drones[-1].agent
        assert agent is not None and agent.active and "fire" in agent.classes


async def test_a_scenario_incident_raises_alerts_on_mqtt() -> None:
    received: list[tuple[str, dict[str, object]]] = []
    got = asyncio.Event()

    def on_message(topic: str, payload: bytes) -> None:
        if not topic.startswith("alerts/"):  # amqtt 0.12 also hands new subscribers retained statuses
            return
        received.append((topic, json.loads(payload)))
        got.set()

    async with stack(payload_agents=False) as s:
        assert s.world.url is not None
        listener = MqttSession(
            BrokerUrl(s.world.url.host, s.world.url.port),
            client_id="test-alerts",
            subscriptions=[("alerts/#", 1)],
            on_message=on_message,
        )
        async with listener:
            await listener.wait_connected(WAIT_S)
            s.world.start_scenario("person-at-longzihu")
            async with asyncio.timeout(WAIT_S):
                await got.wait()
        topic, body = received[0]
        assert topic == "alerts/smart_water"
        assert body["type"] == "person_near_water" and body["crs"] == "gcj02"
        (person,) = s.world.incidents
        # Mission control's parser reads it, converts GCJ-02 back and lands on the person.
        parsed = parse_alert(body, "smart_water", s.world.settings.alerts, datetime.now(UTC))
        assert parsed.type is AlertType.PERSON_NEAR_WATER and parsed.original_crs is CoordSystem.GCJ02
        north, east = wgs84_to_offset(person.lon_deg, person.lat_deg, parsed.lon_deg, parsed.lat_deg)
        assert abs(float(north)) < 1.0 and abs(float(east)) < 1.0
        # The GCJ-02 position itself is hundreds of metres off: the conversion matters.
        north, east = wgs84_to_offset(
            person.lon_deg, person.lat_deg, parsed.original_lon, parsed.original_lat
        )
        assert abs(float(north)) + abs(float(east)) > 100.0


def _bindable(kind: int, port: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


async def test_shutdown_leaves_no_task_or_port_behind() -> None:
    before = asyncio.all_tasks()
    async with stack() as s:
        assert s.world.url is not None and s.world.broker is not None
        mqtt_port = s.world.url.port
        udp_ports = [d.vehicle.config.gcs_port for d in s.world.drones]
        assert not _bindable(socket.SOCK_STREAM, mqtt_port)
        await s.world.wait_agents_connected(WAIT_S)
    ending = {t for t in asyncio.all_tasks() - before if not t.done()}
    if ending:  # tasks finishing their last step may take a moment on a busy machine; a leak never ends
        await asyncio.wait(ending, timeout=WAIT_S)
    left = {t for t in asyncio.all_tasks() - before if not t.done()}
    assert not left, f"tasks left running: {sorted(t.get_name() for t in left)}"
    assert _bindable(socket.SOCK_STREAM, mqtt_port)
    assert all(_bindable(socket.SOCK_DGRAM, p) for p in udp_ports)


async def until_true(predicate: Callable[[], bool], what: str) -> None:
    """Poll sim state (sim objects have no change events) until ``predicate`` holds."""
    try:
        async with asyncio.timeout(WAIT_S):
            while not predicate():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not within {WAIT_S} s: {what}") from None


async def test_the_dock_sees_its_drone_leave_land_and_charge() -> None:
    async with stack(battery_pct=80.0, payload_agents=False) as s:
        drone = s.world.drones[0]
        dock = s.world.docks[drone.dock_sn]  # type: ignore[index]
        link = s.fleet.drones.drone(drone.drone_sn)
        await link.connect(WAIT_S)
        await wait_until(link, lambda t: t.health is not None and t.health.all_ok, WAIT_S, "health")
        # in its dock with the charge it was given, charging since (the wait for health may be long)
        assert drone.vehicle.config.battery_remaining == pytest.approx(0.80)
        at_takeoff_pct = drone.vehicle.state.battery.remaining * 100.0
        assert dock.drone_in_dock and at_takeoff_pct >= 79.0
        await link.arm()
        await link.takeoff(Height.above_home(15.0))
        await until_true(lambda: not dock.drone_in_dock, "the dock notices its drone left")
        await until_true(lambda: drone.vehicle.state.motion.up_m > 10.0, "climbing")
        await link.land()
        await until_true(lambda: dock.drone_in_dock, "the dock takes its drone back")
        flown = drone.vehicle.state.battery.remaining * 100.0
        assert dock.battery_pct == pytest.approx(flown, abs=0.5) and dock.battery_pct < at_takeoff_pct
        await until_true(lambda: dock.charging, "charging after the cover closed")
        manager = s.fleet.manager

        def reported() -> bool:  # the dock's OSD brings the landed drone's charge to mission control
            a, d = manager.availability(drone.dock_sn), manager.drone_state(drone.drone_sn)
            return (
                a.battery_pct is not None
                and abs(a.battery_pct - flown) < 1.5
                and d is not None
                and not d.in_air
            )

        await until_true(reported, "the fleet manager sees the drone back in its dock")
