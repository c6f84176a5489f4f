"""Many simulated docks at once: read them from a docks GeoJSON file and run them on one broker.

The docks file holds Point features (WGS84 lon, lat) with ``properties.id`` (the dock's serial, unique,
required), optional ``type`` (a dock type, default ``dock2``), ``name`` and ``drone_sn``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docks.broker_url import BrokerUrl
from docks.charging import ChargingCurve
from docks.protocol.topics import valid_sn
from docks.settings import MqttSettings
from sim.clock import SimClock
from sim.dock import SimDock, SimDockConfig
from sim.weather import Weather


class DockFileError(ValueError):
    """The docks file is missing or malformed; the message says where."""


@dataclass(frozen=True)
class SimDockType:
    """What a dock type sets in its sim docks (from ``[dock_types.*]`` in skyloop.toml)."""

    prep_s: float = 50.0
    launch_wind_limit_mps: float = 8.0
    charge_20_90_s: float = 1920.0


def _initial_battery_pct(index: int) -> float:
    """Deterministic variety: 45 … 100 %."""
    return float(min(100, 45 + (index * 37) % 60))


def dock_configs_from_geojson(
    path: Path,
    types: Mapping[str, SimDockType],
    *,
    default_type: str = "dock2",
    cover_s: float = 15.0,
    osd_interval_s: float = 2.0,
) -> list[SimDockConfig]:
    """Sim dock configurations from a docks GeoJSON file; raise :class:`DockFileError` on bad input."""
    if not path.is_file():
        raise DockFileError(f"docks file not found: {path}")
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DockFileError(f"{path}: not readable JSON: {exc}") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not features:
        raise DockFileError(f"{path}: expected a FeatureCollection with at least one dock")
    configs: list[SimDockConfig] = []
    seen: set[str] = set()
    for i, feature in enumerate(features):
        where = f"{path}: feature {i}"
        if not isinstance(feature, dict):
            raise DockFileError(f"{where}: not a GeoJSON feature")
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise DockFileError(f"{where}: 'properties' must be an object")
        geom = feature.get("geometry")
        if not isinstance(geom, dict) or geom.get("type") != "Point":
            raise DockFileError(f"{where}: a dock must be a Point")
        coords: Any = geom.get("coordinates")
        try:
            lon, lat = float(coords[0]), float(coords[1])
        except (TypeError, ValueError, IndexError):
            raise DockFileError(f"{where}: bad coordinates {coords!r}") from None
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise DockFileError(f"{where}: coordinates out of range ({lon}, {lat})")
        sn = str(props.get("id") or "")
        if not valid_sn(sn):
            raise DockFileError(f"{where}: 'id' {sn!r} is not a valid serial (letters, digits, - and _)")
        if sn in seen:
            raise DockFileError(f"{where}: duplicate dock id {sn!r}")
        seen.add(sn)
        type_name = str(props.get("type") or default_type)
        if type_name not in types:
            raise DockFileError(
                f"{where}: unknown dock type {type_name!r} (known: {', '.join(sorted(types))})"
            )
        t = types[type_name]
        configs.append(
            SimDockConfig(
                sn=sn,
                longitude_deg=lon,
                latitude_deg=lat,
                dock_type=type_name,
                drone_sn=str(props.get("drone_sn") or f"{sn}-UAV"),
                cover_s=cover_s,
                prep_s=max(t.prep_s, cover_s),
                osd_interval_s=osd_interval_s,
                battery_pct=_initial_battery_pct(i),
                launch_wind_limit_mps=t.launch_wind_limit_mps,
                charging=ChargingCurve(charge_20_90_s=t.charge_20_90_s),
            )
        )
    return configs


def device_url(url: BrokerUrl, sn: str) -> BrokerUrl:
    """Per-device credentials: ``{sn}`` in the URL's username or password becomes each dock's serial,
    e.g. ``mqtt://{sn}:{sn}-secret@host`` (for brokers with one user per device, ``docs/mosquitto``)."""
    user, password = url.username, url.password
    if (user and "{sn}" in user) or (password and "{sn}" in password):
        return url.with_credentials(
            user.replace("{sn}", sn) if user else user, password.replace("{sn}", sn) if password else password
        )
    return url


class SimDockFleet:
    """Runs a list of :class:`SimDock` on one broker: ``async with SimDockFleet(...) as fleet``."""

    def __init__(
        self,
        configs: Sequence[SimDockConfig],
        url: BrokerUrl,
        clock: SimClock,
        weather: Weather,
        settings: MqttSettings | None = None,
    ) -> None:
        self.docks = {c.sn: SimDock(c, device_url(url, c.sn), clock, weather, settings) for c in configs}
        self._stack = contextlib.AsyncExitStack()

    def __getitem__(self, sn: str) -> SimDock:
        return self.docks[sn]

    async def __aenter__(self) -> SimDockFleet:
        for dock in self.docks.values():
            await self._stack.enter_async_context(dock)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def wait_connected(self, timeout_s: float = 10.0) -> None:
        await asyncio.gather(*(d.client.session.wait_connected(timeout_s) for d in self.docks.values()))
