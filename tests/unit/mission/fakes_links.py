"""In-memory fakes of the links the executor works through, honouring their Protocols.

:class:`FakeDockLink` answers dock and payload services through the real codec (requests and replies
are validated as on the wire); results, errors and gates (a reply held until a test releases it)
are scriptable per (serial, method). :class:`FakeDrone` is a DroneLink whose commands move it at
once (a go-to publishes a halfway point, then the target) and record what was asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ValidationError

from docks.ports import DockLink, Listener
from docks.presence import Presence
from docks.protocol import Envelope, Message, decode, reply, services
from fleet.drone_model import (
    Battery,
    DroneTelemetry,
    DroneUpdate,
    Height,
    LandedState,
    LinkEvent,
    LinkState,
    MissionPlan,
    Position,
)
from fleet.errors import CommandDenied
from fleet.geofence import GeofencePlan
from fleet.ports import DroneLink

DEFAULT_OUTPUTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "cover_open": lambda d: {"cover_state": "open"},
    "cover_close": lambda d: {"cover_state": "closed"},
    "flighttask_prepare": lambda d: {"flight_id": d["flight_id"], "drone_battery_pct": 96.0},
    "charge_start": lambda d: {"charge_state": "charging", "drone_battery_pct": 40.0},
    "charge_stop": lambda d: {"charge_state": "idle"},
    "ai_detect_start": lambda d: {"classes": list(d.get("classes") or ["fire", "smoke"])},
    "ir_measure_area": lambda d: {
        "min_temperature_c": 18.0,
        "max_temperature_c": 412.0,
        "mean_temperature_c": 64.0,
        "hottest_x": 0.5,
        "hottest_y": 0.5,
    },
    "speaker_tts_play_start": lambda d: {"duration_s": 3.0},
    "speaker_audio_play_start": lambda d: {"duration_s": 4.0},
}


class FakeDockLink:
    """Docks and payload computers that answer every valid request (result 0 unless scripted)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.results: dict[tuple[str, str], int | Exception] = {}
        self.gates: dict[tuple[str, str], asyncio.Event] = {}
        self._listeners: list[Listener] = []

    def methods(self, sn: str | None = None) -> list[str]:
        return [m for s, m, _ in self.calls if sn is None or s == sn]

    def hold(self, sn: str, method: str) -> asyncio.Event:
        """Hold replies to ``method`` on ``sn`` until the returned event is set."""
        gate = self.gates[(sn, method)] = asyncio.Event()
        return gate

    async def call(
        self,
        sn: str,
        method: str,
        data: BaseModel | dict[str, Any] | None = None,
        *,
        bid: str | None = None,
        timeout_s: float | None = None,
    ) -> Message:
        entry = services().get(method)
        if entry is None:
            raise ValueError(f"unknown service method {method!r}")
        raw = data.model_dump(mode="json") if isinstance(data, BaseModel) else (data or {})
        try:
            checked = entry[0].model_validate(raw).model_dump(mode="json")
        except ValidationError as exc:
            raise ValueError(f"invalid {method} data: {exc.errors()[0]['msg']}") from None
        self.calls.append((sn, method, checked))
        gate = self.gates.get((sn, method))
        if gate is not None:
            await gate.wait()
        outcome = self.results.get((sn, method), self.results.get(("*", method), 0))
        if isinstance(outcome, Exception):
            raise outcome
        make = DEFAULT_OUTPUTS.get(method)
        output = (
            make(checked) if make and outcome == 0 else ({"reason": "scripted refusal"} if outcome else {})
        )
        out = reply(Envelope(gateway=sn, method=method, bid=bid or "b"), outcome, output)
        return decode(out.topic, out.payload)

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def presence(self, sn: str) -> Presence:
        return Presence()

    @property
    def connected(self) -> bool:
        return True


class FakeDrone:
    """A drone that does what it is told at once, starting on the ground at ``home``."""

    def __init__(self, drone_id: str, lat_deg: float, lon_deg: float, battery_pct: float = 95.0) -> None:
        self._id = drone_id
        home = Position(lat_deg, lon_deg, 100.0, 0.0)
        self._t = DroneTelemetry(
            drone_id,
            link=LinkState.ONLINE,
            position=home,
            home=home,
            battery=Battery(battery_pct, 16.0),
            landed_state=LandedState.ON_GROUND,
            in_air=False,
            armed=False,
        )
        self._subs: list[asyncio.Queue[DroneUpdate]] = []
        self.commands: list[tuple[Any, ...]] = []
        #: the speed asked with each go-to (None: the autopilot's own)
        self.goto_speeds_mps: list[float | None] = []
        #: command name -> exception raised instead of doing it
        self.fail: dict[str, Exception] = {}
        #: command names that are accepted but do nothing (the drone "ignores" them)
        self.stall: set[str] = set()
        #: every geofence uploaded, in order
        self.geofences: list[GeofencePlan] = []

    @property
    def drone_id(self) -> str:
        return self._id

    @property
    def link_state(self) -> LinkState:
        return self._t.link

    async def connect(self, timeout_s: float | None = None) -> None:
        return None

    def telemetry(self) -> DroneTelemetry:
        return self._t

    async def subscribe(self) -> AsyncIterator[DroneUpdate]:
        queue: asyncio.Queue[DroneUpdate] = asyncio.Queue()
        self._subs.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subs.remove(queue)

    def publish(self, **changes: Any) -> None:
        self._t = replace(self._t, **changes)
        for q in self._subs:
            q.put_nowait(self._t)

    def lose_link(self, reason: str = "silent for 5 s") -> None:
        previous = self._t.link
        self._t = replace(self._t, link=LinkState.OFFLINE)
        for q in self._subs:
            q.put_nowait(LinkEvent(self._id, LinkState.OFFLINE, previous, reason, 0.0))

    def restore_link(self) -> None:
        previous = self._t.link
        self._t = replace(self._t, link=LinkState.ONLINE)
        for q in self._subs:
            q.put_nowait(LinkEvent(self._id, LinkState.ONLINE, previous, "heard again", 0.0))

    def set_battery(self, pct: float) -> None:
        self.publish(battery=Battery(pct, 15.0))

    def move(self, lat_deg: float, lon_deg: float, rel_alt_m: float | None = None) -> None:
        p = self._t.position
        assert p is not None
        alt = p.rel_alt_m if rel_alt_m is None else rel_alt_m
        self.publish(position=Position(lat_deg, lon_deg, 100.0 + alt, alt))

    async def _command(self, name: str, *args: Any) -> bool:
        self.commands.append((name, *args))
        await asyncio.sleep(0)
        if name in self.fail:
            raise self.fail[name]
        return name not in self.stall

    async def arm(self) -> None:
        if await self._command("arm"):
            self.publish(armed=True)

    async def disarm(self) -> None:
        if await self._command("disarm"):
            self.publish(armed=False)

    async def takeoff(self, height: Height) -> None:
        if not self._t.armed:
            raise CommandDenied(self._id, "takeoff", "not armed")
        if await self._command("takeoff", height):
            p = self._t.position
            assert p is not None
            self.publish(in_air=True, landed_state=LandedState.IN_AIR)
            self.move(p.lat_deg, p.lon_deg, height.value_m)

    async def goto(
        self,
        lat_deg: float,
        lon_deg: float,
        height: Height,
        yaw_deg: float | None = None,
        speed_mps: float | None = None,
    ) -> None:
        self.goto_speeds_mps.append(speed_mps)
        if await self._command("goto", lat_deg, lon_deg, height):
            p = self._t.position
            assert p is not None
            self.move((p.lat_deg + lat_deg) / 2, (p.lon_deg + lon_deg) / 2, height.value_m)
            self.move(lat_deg, lon_deg, height.value_m)

    async def orbit(
        self, centre_lat_deg: float, centre_lon_deg: float, height: Height, radius_m: float, speed_mps: float
    ) -> None:
        await self._command("orbit", centre_lat_deg, centre_lon_deg, height, radius_m)

    async def hold(self) -> None:
        await self._command("hold")

    async def return_to_launch(self) -> None:
        if await self._command("return_to_launch"):
            home = self._t.home
            assert home is not None
            self.move(home.lat_deg, home.lon_deg)
            self.publish(in_air=False, landed_state=LandedState.ON_GROUND, armed=False)
            self.move(home.lat_deg, home.lon_deg, 0.0)

    async def land(self) -> None:
        if await self._command("land"):
            self.publish(in_air=False, landed_state=LandedState.ON_GROUND, armed=False)

    async def get_param(self, name: str) -> float | int:
        return 0

    async def set_param(self, name: str, value: float | int) -> None:
        return None

    async def upload_mission(self, plan: MissionPlan) -> None:
        return None

    async def start_mission(self) -> None:
        return None

    async def clear_mission(self) -> None:
        return None

    async def upload_geofence(self, plan: GeofencePlan) -> None:
        """Records the plan (``geofences``); ``fail["upload_geofence"]`` raises instead."""
        if "upload_geofence" in self.fail:
            raise self.fail["upload_geofence"]
        self.geofences.append(plan)


def _conforms(dock: FakeDockLink, drone: FakeDrone) -> tuple[DockLink, DroneLink]:
    """mypy checks that the fakes honour the Protocols."""
    return dock, drone
