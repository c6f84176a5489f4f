"""The dock's state vocabulary: modes, cover, charging, weather gauges, network, faults.

Plain enums with string values (they appear as such on the wire, see :mod:`docks.protocol`), so a log
line or a JSON message reads without a lookup table. Units are in field names elsewhere
(``wind_speed_mps``, ``environment_temperature_c``).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class DockMode(StrEnum):
    """What the dock is doing. ``offline`` is never sent by a dock: the cloud side sets it when the
    dock's status goes offline or its OSD goes stale."""

    IDLE = "idle"
    PREPARING = "preparing"
    LAUNCHING = "launching"
    WORKING = "working"
    RETURNING = "returning"
    CHARGING = "charging"
    MAINTENANCE = "maintenance"
    FAULT = "fault"
    OFFLINE = "offline"


class CoverState(StrEnum):
    """The dock's cover (DJI ``cover_state`` 0 closed, 1 open, 2 half open, 3 abnormal)."""

    CLOSED = "closed"
    OPENING = "opening"
    OPEN = "open"
    CLOSING = "closing"
    ABNORMAL = "abnormal"


class ChargeState(StrEnum):
    """The charger's state for the drone in the dock."""

    IDLE = "idle"
    CHARGING = "charging"
    FULL = "full"
    FAULT = "fault"


class Rainfall(IntEnum):
    """Dock rain gauge levels (DJI Cloud API ``rainfall``: 0 none … 3 heavy)."""

    NONE = 0
    LIGHT = 1
    MODERATE = 2
    HEAVY = 3


class NetworkType(StrEnum):
    """The dock's uplink."""

    ETHERNET = "ethernet"
    CELLULAR = "4g"


class DockFault(StrEnum):
    """A standing fault a dock reports in OSD (``faults``); fleet turns each into a reason."""

    COVER = "cover"
    CHARGER = "charger"
    WEATHER_STATION = "weather_station"
    POWER = "power"


class HmsLevel(IntEnum):
    """Health-management alert level (DJI ``hms`` levels: 0 notice, 1 caution, 2 warning)."""

    NOTICE = 0
    CAUTION = 1
    WARNING = 2


class TaskStatus(StrEnum):
    """Progress status of a long job (DJI ``output.status``)."""

    SENT = "sent"
    IN_PROGRESS = "in_progress"
    OK = "ok"
    FAILED = "failed"
    CANCELED = "canceled"
    TIMEOUT = "timeout"


#: Network quality on the DJI scale: 0 no signal … 5 excellent.
NETWORK_QUALITY_MAX = 5
