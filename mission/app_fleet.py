"""Mission control's fleet side, composed: the fleet manager and the links that feed it.

``async with FleetSide(settings, broker_url, drones) as fleet`` builds the :class:`FleetManager` from
the registry (settings + the docks GeoJSON), subscribes to the docks over MQTT (:class:`MqttDockLink`,
fed through :func:`fleet.feeds.dock_listener`), adds one MAVSDK connection per drone
(:class:`MavsdkFleet`, each followed by :func:`fleet.feeds.follow_drone`) and restores/saves the fleet
state (``[fleet] state_file``). With ``[geofence] enabled`` each drone also gets the keep-out zones as
its autopilot's geofence (:func:`fleet.geofence_sync.keep_geofence`: on connect and after each
reconnect; ``geofence_status`` holds the outcome per drone) and, with ``[geofence] required`` (the
default), a drone whose fence is not confirmed on board is not offered for dispatch (the manager's
``geofence_required``, fed through :meth:`FleetManager.ingest_geofence`). Every background task lives
in the side's TaskGroup and is cancelled and awaited on exit.

The seam for the rest of mission control (alert intake, store, planner, executor, HTTP API): those
parts take ``fleet.manager`` (availability, candidates, assign/release, events), ``fleet.dock_link``
(dock and payload services over MQTT) and ``fleet.drones`` (the :class:`fleet.ports.FleetLink`), and
run their loops with :meth:`FleetSide.spawn`, so they are owned and shut down with the fleet side.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from docks.broker_url import BrokerUrl
from docks.mqtt_link import MqttDockLink
from docks.protocol import Message
from fleet.clock import Clock
from fleet.drone_model import DroneSpec
from fleet.feeds import dock_listener, follow_drone
from fleet.geofence import GeofencePlan, plan_from_keepouts
from fleet.geofence_sync import GeofenceStatus, keep_geofence
from fleet.json_state_store import JsonFleetStateStore
from fleet.manager import FleetManager
from fleet.mavsdk_fleet import MavsdkFleet
from fleet.registry import DockTypeSpec, FleetConfigError, FleetRegistry
from geo.crs import LocalFrame
from geo.model import EnergyParams, ReachParams
from mission.geo_config import load_district
from mission.settings import Settings

log = logging.getLogger(__name__)


def build_registry(
    settings: Settings, docks_path: Path | None = None, only: Sequence[str] | None = None
) -> FleetRegistry:
    """The fleet registry from the settings' dock types and planning defaults and the docks GeoJSON
    (``[district] docks``); ``only`` keeps those dock ids. Raises :class:`FleetConfigError`."""
    path = docks_path or settings.path(settings.district.docks)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        rows = [
            {
                **f["properties"],
                "lon": f["geometry"]["coordinates"][0],
                "lat": f["geometry"]["coordinates"][1],
            }
            for f in doc["features"]
        ]
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise FleetConfigError(f"{path}: cannot read the docks: {exc}") from None
    if only is not None:
        wanted = set(only)
        rows = [r for r in rows if str(r.get("id")) in wanted]
    types = {name: DockTypeSpec.from_mapping(name, t.model_dump()) for name, t in settings.dock_types.items()}
    frame = LocalFrame.from_epsg(settings.district.metric_crs or "EPSG:4547")
    reach = ReachParams(**settings.planning.reach.model_dump(), target_s=settings.planning.target_s)
    energy = EnergyParams(**settings.planning.energy.model_dump())
    return FleetRegistry.from_rows(rows, types, frame.to_local, reach, energy, default_type="dock2")


#: Geofence uploads the fleet side runs at once (each is a mission-protocol transfer and a few
#: parameters; all drones at once time out on a loaded machine or a shared radio link).
FENCE_UPLOADS_AT_ONCE = 4


class FleetSide:
    """The fleet manager with its dock (MQTT) and drone (MAVSDK) feeds; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        broker_url: BrokerUrl,
        drones: Sequence[DroneSpec],
        *,
        registry: FleetRegistry | None = None,
        clock: Clock | None = None,
        client_id: str | None = None,
        geofence: GeofencePlan | None = None,
    ) -> None:
        """``geofence``: the plan uploaded to every drone; None builds it from the district's keep-out
        zones when ``[geofence] enabled`` (no zones: nothing is uploaded, and nothing is gated)."""
        self.settings = settings
        self.broker_url = broker_url
        self.registry = registry or build_registry(settings)
        unknown = [d.drone_id for d in drones if d.drone_id not in self.registry.drone_ids]
        if unknown:
            raise FleetConfigError(f"drones not housed by any registered dock: {', '.join(unknown)}")
        self.drone_specs = list(drones)
        state_file = settings.fleet.state_file
        store = JsonFleetStateStore(settings.path(state_file)) if state_file is not None else None
        self.geofence = geofence if geofence is not None else _geofence_plan(settings)
        self.manager = FleetManager(
            self.registry,
            settings.fleet,
            wind_margin_mps=settings.planning.wind_margin_mps,
            clock=clock,
            store=store,
            geofence_required=self.geofence is not None and settings.geofence.required,
        )
        # The dock link times presence on the same clock as the manager (sim seconds in the demo).
        now = self.manager.clock.now_s
        self.dock_link = MqttDockLink(
            broker_url,
            settings.mqtt,
            client_id=client_id,
            clock=now,
            devices=[*self.registry.dock_ids, *self.registry.drone_ids],
        )
        self.drones = MavsdkFleet(settings.flight)
        self.geofence_status: dict[str, GeofenceStatus] = {}
        self._stack = AsyncExitStack()
        self._tg: asyncio.TaskGroup | None = None
        self._tasks: list[asyncio.Task[Any]] = []

    async def __aenter__(self) -> FleetSide:
        try:
            if self.manager.store is not None and await self.manager.restore():
                log.info("fleet state restored from %s", self.settings.fleet.state_file)
            await self._stack.enter_async_context(self.dock_link)
            await self.dock_link.wait_connected(self.settings.mqtt.connect_timeout_s)
            self._stack.callback(self.dock_link.add_listener(self._docks_only(dock_listener(self.manager))))
            await self._stack.enter_async_context(self.drones)
            self._tg = await self._stack.enter_async_context(asyncio.TaskGroup())
            self.spawn(self.manager.run(), "fleet-manager")
            fence_slots = asyncio.Semaphore(FENCE_UPLOADS_AT_ONCE)
            for spec in self.drone_specs:
                link = await self.drones.add_drone(spec)
                self.spawn(follow_drone(self.manager, link), f"follow:{spec.drone_id}")
                if self.geofence is not None:
                    fencing = keep_geofence(link, self.geofence, self._fence_status, slots=fence_slots)
                    self.spawn(fencing, f"fence:{spec.drone_id}")
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _docks_only(self, listener: Callable[[Message], None]) -> Callable[[Message], None]:
        """The link also carries the drones' payload computers (for their services); only docks feed
        the manager (what :func:`fleet.feeds.attach_dock_link` does, without warnings for payloads)."""

        def on_message(message: Message) -> None:
            if message.sn in self.registry:
                listener(message)

        return on_message

    def _fence_status(self, status: GeofenceStatus) -> None:
        self.geofence_status[status.drone_id] = status
        self.manager.ingest_geofence(status)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coro`` in the fleet side's TaskGroup (cancelled and awaited on exit)."""
        if self._tg is None:
            coro.close()
            raise RuntimeError("the fleet side is not running")
        task = self._tg.create_task(coro, name=name)
        self._tasks.append(task)
        return task

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        self._tg = None
        await self._stack.aclose()  # the manager saved its state as it was cancelled


def _geofence_plan(settings: Settings) -> GeofencePlan | None:
    """The district's keep-out zones as the geofence plan, or None (disabled, or no zones)."""
    if not settings.geofence.enabled:
        return None
    district = load_district(settings)
    if not district.keepouts:
        return None
    return plan_from_keepouts(district.keepouts, district.frame, settings.geofence)
