"""Dock messages: OSD, state, status, services with their replies, and events.

Each model is the ``data`` of an envelope; :mod:`docks.protocol.codec` picks the model by channel and
method. Field names carry units; enums come from :mod:`docks.model`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from docks.model import (
    ChargeState,
    CoverState,
    DockFault,
    DockMode,
    HmsLevel,
    NetworkType,
    Rainfall,
    TaskStatus,
)
from docks.protocol.envelope import Empty, TelemetryModel, WireModel
from docks.protocol.topics import Channel
from docks.result_codes import ResultCode

Percent = Annotated[float, Field(ge=0.0, le=100.0)]
Quality = Annotated[int, Field(ge=0, le=5)]


# --- telemetry -------------------------------------------------------------------------------


class NetworkState(TelemetryModel):
    type: NetworkType = NetworkType.ETHERNET
    quality: Quality = 5
    rate_kbps: float = Field(0.0, ge=0)


class DockOsd(TelemetryModel):
    """Periodic dock telemetry (method ``dock_osd`` on ``thing/product/{sn}/osd``, 0.5 Hz)."""

    mode: DockMode
    cover_state: CoverState
    drone_in_dock: bool
    drone_sn: str | None = None
    drone_battery_pct: Percent | None = Field(None, description="None while the drone is away")
    charge_state: ChargeState = ChargeState.IDLE
    wind_speed_mps: float = Field(ge=0.0, le=100.0)
    wind_from_deg: float = Field(0.0, ge=0.0, lt=360.0)
    rainfall: Rainfall = Rainfall.NONE
    environment_temperature_c: float = Field(ge=-60.0, le=80.0)
    network: NetworkState = NetworkState()
    alarm: bool = Field(False, description="the dock's sound-and-light alarm is on")
    faults: tuple[DockFault, ...] = ()
    latitude_deg: float = Field(ge=-90.0, le=90.0)
    longitude_deg: float = Field(ge=-180.0, le=180.0)
    flight_id: str | None = Field(None, description="the flight the dock is preparing or serving")


class DockState(TelemetryModel):
    """Slow-changing facts, sent on change (method ``dock_state`` on ``.../state``)."""

    dock_type: str = Field(min_length=1, max_length=32)
    firmware_version: str = Field(min_length=1, max_length=32)
    drone_sn: str | None = None
    maintenance_due: bool = False


class DeviceStatus(TelemetryModel):
    """Online/offline, retained (method ``update_status`` on ``sys/product/{sn}/status``); the device's
    MQTT last will publishes ``online: false``."""

    online: bool
    device_type: str = Field("dock", min_length=1, max_length=32)


# --- services (cloud -> dock) and their reply outputs ---------------------------------------


class FlighttaskPrepare(WireModel):
    """Open the cover and power the drone for flight ``flight_id``; reply when ready to launch."""

    flight_id: str = Field(min_length=1, max_length=64)
    min_battery_pct: Percent = 0.0


class ServiceReply(WireModel):
    """``data`` of every ``services_reply``: a result code and a method-specific output."""

    result: int
    output: dict[str, object] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.result == ResultCode.OK


class CoverOutput(TelemetryModel):
    cover_state: CoverState


class PrepareOutput(TelemetryModel):
    flight_id: str
    drone_battery_pct: Percent


class ChargeOutput(TelemetryModel):
    charge_state: ChargeState
    drone_battery_pct: Percent | None = None


# --- events (dock -> cloud) -------------------------------------------------------------------


class FlighttaskProgress(TelemetryModel):
    """Progress of a flight's dock-side steps (``flighttask_progress``)."""

    flight_id: str
    status: TaskStatus
    step: str = Field(max_length=64, description="e.g. cover_opening, drone_power_on, ready")
    percent: Percent = 0.0
    result: int = 0


class HmsAlert(TelemetryModel):
    code: str = Field(min_length=1, max_length=32, description="e.g. dock_cover_stuck")
    level: HmsLevel
    module: str = Field(max_length=32, description="cover, charger, weather_station, network, …")
    message: str = Field(max_length=256)


class Hms(TelemetryModel):
    """Health alerts (``hms``); sent with ``need_reply`` so the cloud acknowledges them."""

    alerts: tuple[HmsAlert, ...] = Field(min_length=1, max_length=64)


class EventAck(WireModel):
    """``data`` of ``events_reply``."""

    result: int = ResultCode.OK


#: Dock services: method -> (request data model, reply output model).
DOCK_SERVICES: dict[str, tuple[type[WireModel], type[TelemetryModel] | None]] = {
    "cover_open": (Empty, CoverOutput),
    "cover_close": (Empty, CoverOutput),
    "flighttask_prepare": (FlighttaskPrepare, PrepareOutput),
    "charge_start": (Empty, ChargeOutput),
    "charge_stop": (Empty, ChargeOutput),
    "device_reboot": (Empty, None),
}

#: Dock events: method -> data model.
DOCK_EVENTS: dict[str, type[TelemetryModel]] = {
    "flighttask_progress": FlighttaskProgress,
    "hms": Hms,
}

#: Telemetry channels -> method -> data model.
DOCK_TELEMETRY: dict[Channel, dict[str, type[TelemetryModel]]] = {
    Channel.OSD: {"dock_osd": DockOsd},
    Channel.STATE: {"dock_state": DockState},
    Channel.STATUS: {"update_status": DeviceStatus},
}
