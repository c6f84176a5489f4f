"""The registry: which docks and drones exist, where, of which type, and what each may spend.

Fleet takes plain records (mission reads them from config/docks.geojson and config/skyloop.toml);
the registry validates them once, projects dock positions into the local metric frame and resolves
each dock type into the :class:`geo.model.ReachParams` and :class:`geo.model.EnergyParams` the
planning maths uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from geo.model import EnergyParams, ReachParams

#: (lon_deg, lat_deg) -> (x_m east, y_m north) in the district's local metric frame.
ToLocal = Callable[[float, float], tuple[float, float]]


class FleetConfigError(ValueError):
    """The fleet's configuration is invalid; the message says which record and why."""


class UnknownDockError(LookupError):
    """No dock (or drone) with that id is registered."""


@dataclass(frozen=True)
class DockTypeSpec:
    """One dock type's limits and aircraft (config ``[dock_types.NAME]``)."""

    name: str
    prep_s: float = 60.0
    launch_wind_limit_mps: float = 8.0
    flight_endurance_s: float = 3000.0
    hover_endurance_s: float = 2400.0
    charge_20_90_s: float = 1920.0
    temperature_range_c: tuple[float, float] = (-25.0, 45.0)

    def __post_init__(self) -> None:
        for name in ("launch_wind_limit_mps", "flight_endurance_s", "hover_endurance_s", "charge_20_90_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise FleetConfigError(f"dock type {self.name!r}: {name} must be > 0, got {value!r}")
        if not (math.isfinite(self.prep_s) and self.prep_s >= 0):
            raise FleetConfigError(f"dock type {self.name!r}: prep_s must be >= 0, got {self.prep_s!r}")
        low, high = self.temperature_range_c
        if not low < high:
            raise FleetConfigError(f"dock type {self.name!r}: temperature range {low}..{high} is empty")

    @classmethod
    def from_mapping(cls, name: str, values: Mapping[str, Any]) -> DockTypeSpec:
        """Build from a settings section (e.g. ``settings.dock_types["dock3"].model_dump()``)."""
        known = {f for f in cls.__dataclass_fields__ if f != "name"}
        unknown = set(values) - known
        if unknown:
            raise FleetConfigError(f"dock type {name!r}: unknown keys {sorted(unknown)}")
        kwargs = dict(values)
        if "temperature_range_c" in kwargs:
            low, high = kwargs["temperature_range_c"]
            kwargs["temperature_range_c"] = (float(low), float(high))
        return cls(name=name, **kwargs)


@dataclass(frozen=True)
class DockRecord:
    """One dock as configured: id, type, WGS84 position, the drone it houses."""

    dock_id: str
    dock_type: str
    lon_deg: float
    lat_deg: float
    drone_id: str = ""
    name: str = ""

    @property
    def drone(self) -> str:
        """The housed drone's id (``<dock id>-UAV`` when the config names none, as the sim docks do)."""
        return self.drone_id or f"{self.dock_id}-UAV"


@dataclass(frozen=True)
class DockEntry:
    """A validated dock with everything the pure fleet logic needs."""

    record: DockRecord
    spec: DockTypeSpec
    reach: ReachParams
    energy: EnergyParams
    x_m: float
    y_m: float

    @property
    def dock_id(self) -> str:
        return self.record.dock_id

    @property
    def drone_id(self) -> str:
        return self.record.drone


class FleetRegistry:
    """Docks and drones by id. Raises :class:`FleetConfigError` for duplicate ids, unknown dock
    types and invalid positions; lookups of unknown ids raise :class:`UnknownDockError`."""

    def __init__(
        self,
        docks: Iterable[DockRecord],
        dock_types: Mapping[str, DockTypeSpec],
        to_local: ToLocal,
        reach: ReachParams | None = None,
        energy: EnergyParams | None = None,
    ) -> None:
        base_reach = reach or ReachParams()
        base_energy = energy or EnergyParams()
        self.to_local = to_local
        self._docks: dict[str, DockEntry] = {}
        self._by_drone: dict[str, str] = {}
        for rec in docks:
            entry = _entry(rec, dock_types, to_local, base_reach, base_energy)
            if rec.dock_id in self._docks:
                raise FleetConfigError(f"dock {rec.dock_id!r} is listed twice")
            if rec.drone in self._by_drone:
                raise FleetConfigError(
                    f"drone {rec.drone!r} is housed by both {self._by_drone[rec.drone]!r} and {rec.dock_id!r}"
                )
            self._docks[rec.dock_id] = entry
            self._by_drone[rec.drone] = rec.dock_id

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[Mapping[str, Any]],
        dock_types: Mapping[str, DockTypeSpec],
        to_local: ToLocal,
        reach: ReachParams | None = None,
        energy: EnergyParams | None = None,
        default_type: str | None = None,
    ) -> FleetRegistry:
        """From plain mappings with keys ``id``, ``type``, ``lon``, ``lat`` and optional ``drone_id``
        (or ``drone_sn``), ``name`` (e.g. GeoJSON feature properties plus the point's coordinates)."""
        records = []
        for i, row in enumerate(rows):
            try:
                dock_id = str(row["id"]).strip()
                records.append(
                    DockRecord(
                        dock_id=dock_id,
                        dock_type=str(row.get("type") or default_type or ""),
                        lon_deg=float(row["lon"]),
                        lat_deg=float(row["lat"]),
                        drone_id=str(row.get("drone_id") or row.get("drone_sn") or ""),
                        name=str(row.get("name") or ""),
                    )
                )
            except KeyError as exc:
                raise FleetConfigError(f"dock record #{i + 1}: missing {exc.args[0]!r}") from None
            except (TypeError, ValueError) as exc:
                raise FleetConfigError(f"dock record #{i + 1}: {exc}") from None
        return cls(records, dock_types, to_local, reach, energy)

    def __iter__(self) -> Iterator[DockEntry]:
        return iter(self._docks.values())

    def __len__(self) -> int:
        return len(self._docks)

    def __contains__(self, dock_id: object) -> bool:
        return dock_id in self._docks

    @property
    def dock_ids(self) -> tuple[str, ...]:
        return tuple(self._docks)

    @property
    def drone_ids(self) -> tuple[str, ...]:
        return tuple(self._by_drone)

    def dock(self, dock_id: str) -> DockEntry:
        try:
            return self._docks[dock_id]
        except KeyError:
            raise UnknownDockError(f"unknown dock {dock_id!r}") from None

    def dock_of_drone(self, drone_id: str) -> DockEntry:
        """The dock housing (home of) a drone."""
        try:
            return self._docks[self._by_drone[drone_id]]
        except KeyError:
            raise UnknownDockError(f"unknown drone {drone_id!r}") from None


def _entry(
    rec: DockRecord,
    dock_types: Mapping[str, DockTypeSpec],
    to_local: ToLocal,
    reach: ReachParams,
    energy: EnergyParams,
) -> DockEntry:
    if not rec.dock_id:
        raise FleetConfigError("a dock has an empty id")
    if rec.dock_type not in dock_types:
        known = ", ".join(sorted(dock_types)) or "none"
        raise FleetConfigError(f"dock {rec.dock_id!r}: unknown dock type {rec.dock_type!r} (known: {known})")
    if not (math.isfinite(rec.lon_deg) and -180 <= rec.lon_deg <= 180):
        raise FleetConfigError(f"dock {rec.dock_id!r}: longitude {rec.lon_deg!r} out of range")
    if not (math.isfinite(rec.lat_deg) and -90 <= rec.lat_deg <= 90):
        raise FleetConfigError(f"dock {rec.dock_id!r}: latitude {rec.lat_deg!r} out of range")
    spec = dock_types[rec.dock_type]
    x_m, y_m = to_local(rec.lon_deg, rec.lat_deg)
    return DockEntry(
        record=rec,
        spec=spec,
        reach=replace(reach, prep_s=spec.prep_s),
        energy=replace(
            energy, flight_endurance_s=spec.flight_endurance_s, hover_endurance_s=spec.hover_endurance_s
        ),
        x_m=float(x_m),
        y_m=float(y_m),
    )
