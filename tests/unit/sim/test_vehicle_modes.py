"""PX4 custom mode encoding and parameter wire encoding, as MAVSDK decodes them."""

from __future__ import annotations

import math
import struct

import pytest

from sim.vehicle.flight_modes import (
    MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
    MAV_MODE_FLAG_SAFETY_ARMED,
    Px4Mode,
    base_mode,
    decode_custom_mode,
    mode_from_set_mode,
)
from sim.vehicle.params import PARAM_SPECS, ParamError, ParamTable, ParamType, decode_wire, encode_wire


@pytest.mark.parametrize("mode", list(Px4Mode))
def test_custom_mode_round_trips(mode: Px4Mode) -> None:
    word = mode.custom_mode
    assert (word >> 16) & 0xFF == mode.main and (word >> 24) & 0xFF == mode.sub
    assert decode_custom_mode(word) is mode


def test_mavsdk_mode_numbers() -> None:
    # MAVSDK's DO_SET_MODE params for hold, mission, return, land (reference §4)
    assert mode_from_set_mode(4, 3) is Px4Mode.HOLD
    assert mode_from_set_mode(4, 4) is Px4Mode.MISSION
    assert mode_from_set_mode(4, 5) is Px4Mode.RETURN
    assert mode_from_set_mode(4, 6) is Px4Mode.LAND
    assert mode_from_set_mode(1, 0) is None
    assert mode_from_set_mode(math.nan, 3) is None


def test_base_mode_flags() -> None:
    armed = base_mode(True, Px4Mode.HOLD)
    assert armed & MAV_MODE_FLAG_CUSTOM_MODE_ENABLED and armed & MAV_MODE_FLAG_SAFETY_ARMED
    assert not base_mode(False, Px4Mode.HOLD) & MAV_MODE_FLAG_SAFETY_ARMED


def test_int32_params_are_bytewise_encoded() -> None:
    wire = encode_wire(2, ParamType.INT32)
    assert wire != 2.0
    assert struct.pack("<f", wire) == struct.pack("<i", 2)
    assert decode_wire(wire, ParamType.INT32) == 2
    assert encode_wire(2.5, ParamType.REAL32) == 2.5


def test_param_table_names_types_and_indices() -> None:
    table = ParamTable()
    names = [s.name for s in PARAM_SPECS]
    assert names == sorted(names) and len(set(names)) == len(names)
    assert all(len(n) <= 16 for n in names)
    required = [
        "MIS_TAKEOFF_ALT",
        "MPC_XY_CRUISE",
        "MPC_Z_VEL_MAX_UP",
        "MPC_Z_VEL_MAX_DN",
        "RTL_RETURN_ALT",
        "COM_DISARM_PRFLT",
        "BAT_LOW_THR",
        "BAT_CRIT_THR",
        "BAT_EMERGEN_THR",
        "NAV_DLL_ACT",
        "COM_DL_LOSS_T",
        "COM_FAIL_ACT_T",
    ]
    for name in required:
        assert table.spec(table.index(name)).name == name
    assert table.spec(table.index("NAV_DLL_ACT")).type is ParamType.INT32
    assert table.set("NAV_DLL_ACT", 2.9) == 2.0
    assert table["MIS_TAKEOFF_ALT"] == 2.5
    with pytest.raises(ParamError):
        table.set("NOT_A_PARAM", 1)
    with pytest.raises(ParamError):
        table.set("MIS_TAKEOFF_ALT", math.nan)
    with pytest.raises(ParamError):
        table.spec(len(table))


def test_overrides_apply_at_construction() -> None:
    assert ParamTable({"MPC_XY_CRUISE": 12.0})["MPC_XY_CRUISE"] == 12.0
