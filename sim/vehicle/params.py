"""PX4 parameters the sim vehicle uses: names, types and defaults (PX4 v1.16 multicopter), and the
byte-wise wire encoding PX4 uses for INT32 values in the PARAM_VALUE float field."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from enum import IntEnum


class ParamType(IntEnum):
    """MAV_PARAM_TYPE values used by PX4."""

    INT32 = 6
    REAL32 = 9


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: its PX4 name (at most 16 characters), type, default and a short meaning."""

    name: str
    type: ParamType
    default: float
    doc: str


def _f(name: str, default: float, doc: str) -> ParamSpec:
    return ParamSpec(name, ParamType.REAL32, default, doc)


def _i(name: str, default: int, doc: str) -> ParamSpec:
    return ParamSpec(name, ParamType.INT32, float(default), doc)


#: The table, in the (alphabetical) order PX4 indexes its parameters.
PARAM_SPECS: tuple[ParamSpec, ...] = tuple(
    sorted(
        (
            _f("BAT_CRIT_THR", 0.07, "critical battery level (fraction): failsafe action"),
            _f("BAT_EMERGEN_THR", 0.05, "emergency battery level (fraction): land"),
            _f("BAT_LOW_THR", 0.15, "low battery level (fraction): warning"),
            _i("BAT1_N_CELLS", 4, "battery cells in series"),
            _f("BAT1_V_CHARGED", 4.2, "cell voltage when full (V)"),
            _f("BAT1_V_EMPTY", 3.5, "cell voltage when empty (V)"),
            _f("COM_DISARM_LAND", 2.0, "disarm this long after landing (s)"),
            _f("COM_DISARM_PRFLT", 10.0, "disarm this long after arming without takeoff (s)"),
            _i("COM_DL_LOSS_T", 10, "data link lost after this long without GCS heartbeat (s)"),
            _f("COM_FAIL_ACT_T", 5.0, "hold this long before a failsafe action (s)"),
            _i("COM_LOW_BAT_ACT", 3, "battery failsafe: 0 warn, 2 land, 3 return at crit + land at emerg"),
            _i("GF_ACTION", 2, "geofence breach: 0 none, 1 warn, 2 hold, 3 return, 4 terminate, 5 land"),
            _f("GF_MAX_HOR_DIST", 0.0, "geofence: max horizontal distance from home, 0 = off (m)"),
            _i("GF_PREDICT", 0, "geofence: 1 = trigger on the braking point ahead (PX4: experimental)"),
            _i("GF_SOURCE", 0, "geofence position source: 0 estimator, 1 GPS (the same in the sim)"),
            _i("MAV_SYS_ID", 1, "MAVLink system id"),
            _i("MAV_TYPE", 2, "MAV_TYPE (2 = quadrotor)"),
            _f("MIS_TAKEOFF_ALT", 2.5, "takeoff height above home (m)"),
            _f("MPC_ACC_DOWN_MAX", 3.0, "max downward acceleration (m/s^2)"),
            _f("MPC_ACC_HOR", 3.0, "horizontal acceleration (m/s^2)"),
            _f("MPC_ACC_UP_MAX", 4.0, "max upward acceleration (m/s^2)"),
            _f("MPC_LAND_ALT2", 5.0, "below this height land at MPC_LAND_SPEED (m)"),
            _f("MPC_LAND_SPEED", 0.7, "final landing descent rate (m/s)"),
            _f("MPC_TKO_SPEED", 1.5, "takeoff climb rate (m/s)"),
            _f("MPC_XY_CRUISE", 5.0, "horizontal cruise speed in auto modes (m/s)"),
            _f("MPC_XY_VEL_MAX", 12.0, "max horizontal speed (m/s)"),
            _f("MPC_Z_VEL_MAX_DN", 1.5, "max descent rate (m/s)"),
            _f("MPC_Z_VEL_MAX_UP", 3.0, "max climb rate (m/s)"),
            _i("NAV_DLL_ACT", 0, "data link loss action: 0 none, 1 hold, 2 return, 3 land"),
            _f("NAV_ACC_RAD", 2.0, "waypoint acceptance radius (m)"),
            _f("NAV_MC_ALT_RAD", 0.8, "waypoint altitude acceptance (m)"),
            _f("RTL_DESCEND_ALT", 30.0, "RTL descends to this height above home before landing (m)"),
            _f("RTL_LAND_DELAY", 0.0, "RTL hover time above home before landing (s)"),
            _f("RTL_RETURN_ALT", 30.0, "RTL climbs at least to this height above home (m)"),
            _f("SIM_BAT_ENDUR", 2700.0, "sim: endurance at cruise from full (s)"),
        ),
        key=lambda s: s.name,
    )
)

_BY_NAME: dict[str, int] = {s.name: i for i, s in enumerate(PARAM_SPECS)}


class ParamError(ValueError):
    """An unknown parameter name or index, or a value of the wrong type."""


def encode_wire(value: float, param_type: ParamType) -> float:
    """The float PX4 puts in PARAM_VALUE: REAL32 as is, INT32 byte-wise reinterpreted."""
    if param_type is ParamType.INT32:
        return float(struct.unpack("<f", struct.pack("<i", int(value)))[0])
    return float(value)


def decode_wire(wire: float, param_type: ParamType) -> float:
    """Inverse of :func:`encode_wire` (for PARAM_SET)."""
    if param_type is ParamType.INT32:
        return float(struct.unpack("<i", struct.pack("<f", wire))[0])
    return float(wire)


class ParamTable:
    """The vehicle's current parameter values, indexed like PX4 (alphabetical)."""

    def __init__(self, overrides: dict[str, float] | None = None) -> None:
        self._values = [s.default for s in PARAM_SPECS]
        for name, value in (overrides or {}).items():
            self.set(name, value)

    def __len__(self) -> int:
        return len(PARAM_SPECS)

    def __getitem__(self, name: str) -> float:
        return self._values[self.index(name)]

    def index(self, name: str) -> int:
        try:
            return _BY_NAME[name]
        except KeyError:
            raise ParamError(f"unknown parameter {name!r}") from None

    def spec(self, index: int) -> ParamSpec:
        if not 0 <= index < len(PARAM_SPECS):
            raise ParamError(f"parameter index {index} out of range")
        return PARAM_SPECS[index]

    def value_at(self, index: int) -> float:
        self.spec(index)
        return self._values[index]

    def int(self, name: str) -> int:
        return int(self[name])

    def set(self, name: str, value: float) -> float:
        """Set ``name`` (INT32 values are rounded toward zero); return the stored value."""
        i = self.index(name)
        if not math.isfinite(value):
            raise ParamError(f"{name}: value must be finite, got {value!r}")
        stored = float(int(value)) if PARAM_SPECS[i].type is ParamType.INT32 else float(value)
        self._values[i] = stored
        return stored
