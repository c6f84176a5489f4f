"""PX4 custom flight modes as they travel in HEARTBEAT ``custom_mode`` and DO_SET_MODE.

``custom_mode = main_mode << 16 | sub_mode << 24``; DO_SET_MODE carries ``param2 = main`` and
``param3 = sub`` (PX4 ``px4_custom_mode.h``, MAVSDK ``px4_custom_mode.hpp``).
"""

from __future__ import annotations

from enum import Enum

#: HEARTBEAT base_mode bits.
MAV_MODE_FLAG_CUSTOM_MODE_ENABLED = 1
MAV_MODE_FLAG_AUTO_ENABLED = 4
MAV_MODE_FLAG_GUIDED_ENABLED = 8
MAV_MODE_FLAG_STABILIZE_ENABLED = 16
MAV_MODE_FLAG_SAFETY_ARMED = 128

MAIN_MANUAL = 1
MAIN_ALTCTL = 2
MAIN_POSCTL = 3
MAIN_AUTO = 4
MAIN_ACRO = 5
MAIN_OFFBOARD = 6
MAIN_STABILIZED = 7


class Px4Mode(Enum):
    """The PX4 modes the sim flies, valued (main_mode, sub_mode)."""

    READY = (MAIN_AUTO, 1)
    TAKEOFF = (MAIN_AUTO, 2)
    HOLD = (MAIN_AUTO, 3)  # AUTO.LOITER
    MISSION = (MAIN_AUTO, 4)
    RETURN = (MAIN_AUTO, 5)  # AUTO.RTL
    LAND = (MAIN_AUTO, 6)
    ORBIT = (MAIN_POSCTL, 1)  # POSCTL sub mode ORBIT

    @property
    def main(self) -> int:
        return self.value[0]

    @property
    def sub(self) -> int:
        return self.value[1]

    @property
    def custom_mode(self) -> int:
        """The HEARTBEAT ``custom_mode`` word."""
        return (self.main << 16) | (self.sub << 24)


def decode_custom_mode(custom_mode: int) -> Px4Mode | None:
    """The mode a HEARTBEAT ``custom_mode`` names, or None if the sim does not fly it."""
    key = ((custom_mode >> 16) & 0xFF, (custom_mode >> 24) & 0xFF)
    return _BY_KEY.get(key)


def mode_from_set_mode(main_mode: float, sub_mode: float) -> Px4Mode | None:
    """The mode a DO_SET_MODE (param2 = main, param3 = sub) asks for; None = unsupported."""
    try:
        key = (int(main_mode), int(sub_mode))
    except (ValueError, OverflowError):
        return None
    return _BY_KEY.get(key)


def base_mode(armed: bool, mode: Px4Mode) -> int:
    """HEARTBEAT ``base_mode`` as PX4 fills it for a multicopter in ``mode``."""
    bits = MAV_MODE_FLAG_CUSTOM_MODE_ENABLED | MAV_MODE_FLAG_STABILIZE_ENABLED
    if mode.main == MAIN_AUTO:
        bits |= MAV_MODE_FLAG_AUTO_ENABLED | MAV_MODE_FLAG_GUIDED_ENABLED
    else:
        bits |= MAV_MODE_FLAG_GUIDED_ENABLED
    if armed:
        bits |= MAV_MODE_FLAG_SAFETY_ARMED
    return bits


_BY_KEY: dict[tuple[int, int], Px4Mode] = {m.value: m for m in Px4Mode}
