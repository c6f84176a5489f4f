"""Typed errors of the drone link. Every error names the drone and the command, and keeps its cause.

``InvalidCommand`` and ``UnknownDrone`` are raised before anything is sent; ``DroneOffline`` is raised
without sending when the link already knows the drone is silent.
"""

from __future__ import annotations


class DroneError(Exception):
    """Base class: something went wrong commanding or talking to a drone."""

    def __init__(self, drone_id: str, command: str, detail: str, *, result: str | None = None) -> None:
        self.drone_id = drone_id
        self.command = command
        self.detail = detail
        #: The autopilot/MAVSDK result name (e.g. ``COMMAND_DENIED``) when there was one.
        self.result = result
        super().__init__(f"{drone_id}: {command}: {detail}")


class UnknownDrone(DroneError):
    """No drone with that id is registered with the fleet link."""


class InvalidCommand(DroneError):
    """The command's arguments are unsafe or malformed (NaN, outside the allowed area, above the
    ceiling, negative radius, ...). Raised before anything is sent."""


class DroneOffline(DroneError):
    """The drone is not connected (never heard, or silent for longer than the link-loss time)."""


class ConnectError(DroneError):
    """The connection itself could not be opened (bad URL, port in use, ...)."""


class CommandTimeout(DroneError):
    """No answer within the command's timeout (ours from settings, or MAVSDK's retries)."""

    def __init__(self, drone_id: str, command: str, timeout_s: float | None, detail: str = "") -> None:
        #: Our timeout from settings, or None when MAVSDK gave up after its own retries.
        self.timeout_s = timeout_s
        text = "no answer" + (f" within {timeout_s:g} s" if timeout_s is not None else "")
        text += f" ({detail})" if detail else ""
        super().__init__(drone_id, command, text, result="TIMEOUT")


class CommandDenied(DroneError):
    """The autopilot refused the command (e.g. arming before its health checks pass)."""


class CommandFailed(DroneError):
    """The autopilot accepted the request but it failed, is unsupported, or the vehicle was busy."""


class ParamError(DroneError):
    """A parameter does not exist, has another type, or could not be set."""


class MissionError(DroneError):
    """A mission transfer or mission command failed."""


_OFFLINE = {"NO_SYSTEM", "CONNECTION_ERROR"}
_TIMEOUT = {"TIMEOUT"}
_DENIED = {
    "COMMAND_DENIED",
    "COMMAND_DENIED_LANDED_STATE_UNKNOWN",
    "COMMAND_DENIED_NOT_LANDED",
    "DENIED",
    "PERMISSION_DENIED",
}
_INVALID = {"INVALID_ARGUMENT", "PARAMETER_ERROR", "PARAM_NAME_TOO_LONG", "PARAM_VALUE_TOO_LONG"}


def error_for_result(drone_id: str, command: str, plugin: str, result: str, cause: str = "") -> DroneError:
    """Translate a MAVSDK result name of ``plugin`` (action, param, mission, telemetry) to a typed error.

    >>> type(error_for_result("d1", "arm", "action", "COMMAND_DENIED")).__name__
    'CommandDenied'
    >>> type(error_for_result("d1", "get_param", "param", "DOES_NOT_EXIST")).__name__
    'ParamError'
    """
    detail = f"{plugin} result {result}" + (f": {cause}" if cause else "")
    if result in _TIMEOUT:
        return CommandTimeout(drone_id, command, None, detail)
    if result in _OFFLINE:
        return DroneOffline(drone_id, command, detail, result=result)
    if result in _DENIED:
        return CommandDenied(drone_id, command, detail, result=result)
    if result in _INVALID:
        return InvalidCommand(drone_id, command, detail, result=result)
    if plugin == "param":
        return ParamError(drone_id, command, detail, result=result)
    if plugin in ("mission", "mission_raw"):
        return MissionError(drone_id, command, detail, result=result)
    return CommandFailed(drone_id, command, detail, result=result)
