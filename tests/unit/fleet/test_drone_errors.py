"""MAVSDK results become typed errors that name the drone and the command."""

from __future__ import annotations

import pytest

from fleet.errors import (
    CommandDenied,
    CommandFailed,
    CommandTimeout,
    DroneError,
    DroneOffline,
    InvalidCommand,
    MissionError,
    ParamError,
    error_for_result,
)


@pytest.mark.parametrize(
    "plugin, result, expected",
    [
        ("action", "COMMAND_DENIED", CommandDenied),
        ("action", "COMMAND_DENIED_NOT_LANDED", CommandDenied),
        ("action", "TIMEOUT", CommandTimeout),
        ("action", "NO_SYSTEM", DroneOffline),
        ("action", "CONNECTION_ERROR", DroneOffline),
        ("action", "UNSUPPORTED", CommandFailed),
        ("action", "BUSY", CommandFailed),
        ("action", "INVALID_ARGUMENT", InvalidCommand),
        ("param", "WRONG_TYPE", ParamError),
        ("param", "DOES_NOT_EXIST", ParamError),
        ("param", "TIMEOUT", CommandTimeout),
        ("mission", "INT_MESSAGES_NOT_SUPPORTED", MissionError),
        ("mission", "DENIED", CommandDenied),
    ],
)
def test_results_map_to_typed_errors(plugin: str, result: str, expected: type[DroneError]) -> None:
    err = error_for_result("drone-7", "arm", plugin, result, "details")
    assert type(err) is expected
    assert err.drone_id == "drone-7" and err.command == "arm" and err.result == result
    assert "drone-7" in str(err) and result in str(err)


def test_our_timeout_says_how_long_we_waited() -> None:
    err = CommandTimeout("d1", "goto", 5.0)
    assert err.timeout_s == 5.0 and "5 s" in str(err)
