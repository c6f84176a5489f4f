"""MAVSDK's own log lines reach Python logging at a level an operator can act on."""

from __future__ import annotations

import doctest
import logging

import fleet.mavsdk_fleet
from fleet.mavsdk_fleet import mavsdk_log_level

#: The line as MAVSDK 4.1 logs it: at ERROR (3), with a second line.
DROPPED = (
    "Dropping subscription callbacks (254 so far): a subscriber is not keeping up.\n"
    "See: https://mavsdk.mavlink.io/main/en/cpp/troubleshooting.html#user_callbacks"
)


def test_dropped_callbacks_are_debug_at_any_level_other_lines_keep_theirs() -> None:
    assert [mavsdk_log_level(n, DROPPED) for n in (0, 1, 2, 3)] == [logging.DEBUG] * 4
    assert mavsdk_log_level(3, "Callback took more than 1 second to run.\nSee: https://…") == logging.DEBUG
    assert mavsdk_log_level(2, "Connection lost") == logging.WARNING
    assert mavsdk_log_level(3, "In mission_request_int: retries exceeded") == logging.ERROR
    assert [mavsdk_log_level(n, "x") for n in (0, 1, 2, 3)] == [
        logging.DEBUG,
        logging.INFO,
        logging.WARNING,
        logging.ERROR,
    ]


def test_doctests() -> None:
    assert doctest.testmod(fleet.mavsdk_fleet).failed == 0
