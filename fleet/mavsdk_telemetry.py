"""MAVSDK telemetry of one drone -> :class:`~fleet.telemetry_hub.TelemetryHub`.

Each stream is subscribed once per drone through MAVSDK's native (ctypes) plugins. Callbacks run on
MAVSDK's threads: they convert the message to our model there and hand it to the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from mavsdk.plugins.mission import Mission
from mavsdk.plugins.telemetry import Telemetry
from mavsdk.system import System

from fleet.drone_model import (
    Battery,
    FlightMode,
    Health,
    LandedState,
    MissionProgress,
    Position,
    StatusText,
    Velocity,
)
from fleet.telemetry_hub import TelemetryHub

log = logging.getLogger(__name__)


def _position(p: Any) -> Position | None:
    if not (math.isfinite(p.latitude_deg) and math.isfinite(p.longitude_deg)):
        return None
    return Position(
        lat_deg=p.latitude_deg,
        lon_deg=p.longitude_deg,
        abs_alt_m=p.absolute_altitude_m,
        rel_alt_m=p.relative_altitude_m,
    )


def _health(h: Any) -> Health:
    return Health(
        gyro_ok=bool(h.is_gyrometer_calibration_ok),
        accel_ok=bool(h.is_accelerometer_calibration_ok),
        mag_ok=bool(h.is_magnetometer_calibration_ok),
        local_position_ok=bool(h.is_local_position_ok),
        global_position_ok=bool(h.is_global_position_ok),
        home_position_ok=bool(h.is_home_position_ok),
        armable=bool(h.is_armable),
    )


def _enum_value(enum_cls: Any, value: Any, default: Any) -> Any:
    try:
        return enum_cls(str(getattr(value, "name", value)).lower())
    except ValueError:
        return default


#: telemetry plugin stream -> (snapshot field, converter); a converter returning None drops the message.
_STREAMS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "position": ("position", _position),
    "home": ("home", _position),
    "velocity_ned": ("velocity", lambda v: Velocity(v.north_m_s, v.east_m_s, v.down_m_s)),
    "heading": ("heading_deg", lambda h: h.heading_deg if math.isfinite(h.heading_deg) else None),
    "battery": ("battery", lambda b: Battery(b.remaining_percent, b.voltage_v)),
    "flight_mode": ("flight_mode", lambda m: _enum_value(FlightMode, m, FlightMode.UNKNOWN)),
    "landed_state": ("landed_state", lambda s: _enum_value(LandedState, s, LandedState.UNKNOWN)),
    "armed": ("armed", bool),
    "in_air": ("in_air", bool),
    "health": ("health", _health),
    "status_text": ("status_text", lambda t: StatusText(t.type.name.lower(), t.text)),
}


class TelemetryFeed:
    """Subscribes a drone's MAVSDK streams once and feeds the hub until :meth:`close`."""

    def __init__(
        self,
        system: System,
        telemetry: Telemetry,
        mission: Mission,
        hub: TelemetryHub,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._system = system
        self._telemetry = telemetry
        self._mission = mission
        self._hub = hub
        self._loop = loop
        self._handles: list[tuple[Callable[[Any], None], Any]] = []
        self._pending: deque[tuple[Callable[..., None], tuple[Any, ...], dict[str, Any]]] = deque()
        self._lock = threading.Lock()
        self._drain_scheduled = False
        self.started = False

    def start(self) -> None:
        """Subscribe every stream; call from a worker thread (the C calls may block briefly)."""
        for stream, (field, convert) in _STREAMS.items():
            handle = getattr(self._telemetry, f"subscribe_{stream}")(self._callback(field, convert))
            self._handles.append((getattr(self._telemetry, f"unsubscribe_{stream}"), handle))
        handle = self._mission.subscribe_mission_progress(
            self._callback("mission", lambda p: MissionProgress(p.current, p.total))
        )
        self._handles.append((self._mission.unsubscribe_mission_progress, handle))
        handle = self._system.subscribe_is_connected(self._on_connected)
        self._handles.append((self._system.unsubscribe_is_connected, handle))
        self._on_connected(self._system.is_connected(), None)
        self.started = True

    def close(self) -> None:
        """Unsubscribe everything (from a worker thread: MAVSDK waits for running callbacks)."""
        for unsubscribe, handle in reversed(self._handles):
            try:
                unsubscribe(handle)
            except Exception:  # teardown must go on
                log.exception("drone %s: unsubscribe failed", self._hub.drone_id)
        self._handles.clear()

    def _callback(self, field: str, convert: Callable[[Any], Any]) -> Callable[[Any, Any], None]:
        def on_message(data: Any, _user_data: Any) -> None:
            value = convert(data)
            if value is not None:
                self._post(self._hub.update, **{field: value})

        return on_message

    def _on_connected(self, connected: bool, _user_data: Any) -> None:
        self._post(self._hub.set_connected, bool(connected))

    def _post(self, fn: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Queue an update for the loop; one loop wake-up drains everything queued meanwhile, so a
        burst of messages costs one ``call_soon_threadsafe`` (MAVSDK drops callbacks that lag)."""
        self._pending.append((fn, args, kwargs))
        with self._lock:
            if self._drain_scheduled:
                return
            self._drain_scheduled = True
        if self._loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
            self._loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._lock:
            self._drain_scheduled = False
        while self._pending:
            fn, args, kwargs = self._pending.popleft()
            fn(*args, **kwargs)
