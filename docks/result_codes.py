"""Result codes of service replies (``data.result``) and event acknowledgements.

0 is success; every other code is documented here and in ``docs/protocol.md`` with what the operator
should do. Codes are grouped: 1xxxx the request itself, 2xxxx the dock's hardware or state, 3xxxx
the environment, 9xxxx internal. Vendor adapters map their own codes (e.g. DJI 314xxx) onto these.
"""

from __future__ import annotations

from enum import IntEnum


class ResultCode(IntEnum):
    """Why a service did or did not succeed."""

    OK = 0
    UNKNOWN_METHOD = 10001
    INVALID_PARAMS = 10002
    BUSY = 10003
    WRONG_MODE = 10004
    COVER_FAULT = 20001
    DRONE_NOT_IN_DOCK = 20002
    CHARGER_FAULT = 20003
    BATTERY_TOO_LOW = 20004
    MAINTENANCE = 20005
    WEATHER_LIMIT = 30001
    TIMEOUT = 90001
    INTERNAL_ERROR = 99999

    @property
    def ok(self) -> bool:
        return self is ResultCode.OK

    @property
    def description(self) -> str:
        return RESULT_DESCRIPTIONS[self]


RESULT_DESCRIPTIONS: dict[ResultCode, str] = {
    ResultCode.OK: "success",
    ResultCode.UNKNOWN_METHOD: "the device does not implement this method",
    ResultCode.INVALID_PARAMS: "the request's data failed validation",
    ResultCode.BUSY: "another operation is in progress; retry when it ends",
    ResultCode.WRONG_MODE: "not allowed in the dock's current mode (e.g. prepare while working)",
    ResultCode.COVER_FAULT: "the cover did not reach its position (stuck or abnormal); needs maintenance",
    ResultCode.DRONE_NOT_IN_DOCK: "the drone is not in the dock",
    ResultCode.CHARGER_FAULT: "the charger failed or reports a fault",
    ResultCode.BATTERY_TOO_LOW: "the drone's battery is below the minimum to launch",
    ResultCode.MAINTENANCE: "the dock is in maintenance mode",
    ResultCode.WEATHER_LIMIT: "wind or rain above the dock's launch limits",
    ResultCode.TIMEOUT: "the operation did not finish in its time limit",
    ResultCode.INTERNAL_ERROR: "unexpected device error; see the device log",
}


def describe(code: int) -> str:
    """A human sentence for any code, including ones this version does not know."""
    try:
        return f"{code} {ResultCode(code).name.lower()}: {ResultCode(code).description}"
    except ValueError:
        return f"{code} unknown result code"
