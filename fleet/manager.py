"""The fleet manager: the registry plus live state from dock OSD and drone telemetry, availability
with reasons, change events, stale detection on an injectable clock, and persistence.

Feed it from the adapters (``ingest_osd``, ``ingest_status``, ``ingest_drone``, and
``ingest_geofence`` when every drone must carry the keep-out zones on board), ask it
(``availability``, ``candidates``), listen to it (``subscribe``, ``add_listener``) and run
``run()`` in the application's TaskGroup: it looks for stale data every ``check_interval_s`` and
saves the state when it changed. All methods are called from the event loop's thread.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import replace

from docks.protocol.dock import DockOsd, HmsAlert
from fleet.availability import GateLimits, SortieGeometry, dock_availability
from fleet.candidates import RouteLength, airborne_candidate, dock_candidate, sortie_geometry
from fleet.clock import Clock, MonotonicClock
from fleet.drone_model import DroneTelemetry, LinkEvent, LinkState
from fleet.events import EventHub, FleetSubscription, Listener
from fleet.fleet_settings import FleetSettings
from fleet.model import (
    Availability,
    Candidate,
    DockState,
    DroneState,
    FenceState,
    FleetEvent,
    FleetEventKind,
    FleetSnapshot,
    GeofenceStatus,
    SortieSpec,
)
from fleet.ports import FleetStateStore
from fleet.registry import DockEntry, FleetRegistry, UnknownDockError
from fleet.snapshot_codec import FleetStoreError
from fleet.state_mapping import dock_state_from_osd, dock_state_with_status, drone_state_from_telemetry

log = logging.getLogger(__name__)


class FleetManager:
    """Live state of a registered fleet. See the module docstring.

    With ``route_length`` the energy of a sortie is counted along the route around keep-out zones,
    not the straight line (which would underestimate it). With ``geofence_required`` a drone whose
    keep-out geofence is not confirmed on board (:meth:`ingest_geofence`; nothing reported yet counts
    as pending) is not offered: its upload failed, or is under way while its link is up."""

    def __init__(
        self,
        registry: FleetRegistry,
        settings: FleetSettings | None = None,
        *,
        wind_margin_mps: float = 2.0,
        clock: Clock | None = None,
        store: FleetStateStore | None = None,
        route_length: RouteLength | None = None,
        geofence_required: bool = False,
    ) -> None:
        self.registry = registry
        self.route_length = route_length
        self.geofence_required = geofence_required
        self.settings = settings or FleetSettings()
        s = self.settings
        self.limits = GateLimits(
            stale_after_s=s.stale_after_s,
            drone_stale_after_s=s.drone_stale_after_s,
            wind_margin_mps=wind_margin_mps,
            rain_ground_level=s.rain_ground_level,
            max_range_m=s.max_range_m,
            poor_network_quality=s.poor_network_quality,
        )
        self.clock: Clock = clock or MonotonicClock()
        self.store = store
        self._docks: dict[str, DockState] = {}
        self._drones: dict[str, DroneState] = {}
        self._assignments: dict[str, str] = {}
        self._maintenance: dict[str, str] = {}
        self._alerts: dict[str, tuple[HmsAlert, ...]] = {}
        self._fences: dict[str, GeofenceStatus] = {}
        self._last: dict[str, Availability] = {}
        self._hub = EventHub(s.subscriber_queue)
        self._dirty = False
        self._last_save_s = -math.inf
        self._unknown_logged: set[str] = set()
        #: Messages taken in (for benchmarks and metrics).
        self.osd_ingested = 0
        self.telemetry_ingested = 0
        now = self.clock.now_s()
        for entry in registry:  # the baseline: events announce changes from here on
            self._last[entry.dock_id] = self._evaluate(entry, now, None)

    # --- events ----------------------------------------------------------------------------------

    def subscribe(self, maxsize: int | None = None) -> FleetSubscription:
        """An async iterator of :class:`FleetEvent` from now on (bounded; oldest dropped when full)."""
        return self._hub.subscribe(maxsize)

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` for every event; returns the function that removes it."""
        return self._hub.add_listener(listener)

    # --- input -----------------------------------------------------------------------------------

    def ingest_osd(self, dock_id: str, osd: DockOsd) -> bool:
        """A dock's OSD; False (and one log line) for a dock not in the registry."""
        if not self._known_dock(dock_id):
            return False
        self.osd_ingested += 1
        now = self.clock.now_s()
        self._put_dock(dock_state_from_osd(dock_id, osd, now, self._docks.get(dock_id)), now)
        return True

    def ingest_status(self, dock_id: str, online: bool) -> bool:
        """A dock's retained online/offline status (its last will says offline when it dies)."""
        if not self._known_dock(dock_id):
            return False
        now = self.clock.now_s()
        self._put_dock(dock_state_with_status(dock_id, online, now, self._docks.get(dock_id)), now)
        return True

    def ingest_hms(self, dock_id: str, alerts: Iterable[HmsAlert]) -> bool:
        """Health alerts: kept for display (``health_alerts``) and announced as a dock-state event.
        A lasting fault also appears in the dock's OSD ``faults``, which is what gates availability."""
        if not self._known_dock(dock_id):
            return False
        self._alerts[dock_id] = tuple(alerts)
        state = self._docks.get(dock_id) or DockState(dock_id=dock_id)
        self._hub.publish(
            FleetEvent(FleetEventKind.DOCK_STATE, self.clock.now_s(), dock_id=dock_id, dock=state)
        )
        return True

    def put_dock_state(self, state: DockState) -> None:
        """Set a dock's state directly (another source than OSD, or tests)."""
        if self._known_dock(state.dock_id):
            self._put_dock(state, self.clock.now_s())

    def ingest_drone(self, telemetry: DroneTelemetry) -> bool:
        """A DroneLink snapshot; False for a drone not in the registry."""
        try:
            dock = self.registry.dock_of_drone(telemetry.drone_id)
        except UnknownDockError:
            self._log_unknown(telemetry.drone_id, "drone")
            return False
        self.telemetry_ingested += 1
        now = self.clock.now_s()
        self._put_drone(dock, drone_state_from_telemetry(telemetry, now), now)
        return True

    def ingest_link_event(self, event: LinkEvent) -> bool:
        """The drone link went offline/online: mark the drone's link accordingly."""
        try:
            dock = self.registry.dock_of_drone(event.drone_id)
        except UnknownDockError:
            self._log_unknown(event.drone_id, "drone")
            return False
        now = self.clock.now_s()
        base = self._drones.get(event.drone_id) or DroneState(drone_id=event.drone_id)
        self._put_drone(dock, replace(base, link_ok=event.state is LinkState.ONLINE), now)
        return True

    def ingest_geofence(self, status: GeofenceStatus) -> bool:
        """A drone's on-board geofence status (:func:`fleet.geofence_sync.keep_geofence` reports it);
        it gates availability when ``geofence_required``. False for a drone not in the registry."""
        try:
            dock = self.registry.dock_of_drone(status.drone_id)
        except UnknownDockError:
            self._log_unknown(status.drone_id, "drone")
            return False
        self._fences[status.drone_id] = status
        self._refresh(dock.dock_id)
        return True

    def put_drone_state(self, state: DroneState) -> None:
        """Set a drone's state directly (tests, or a source other than the DroneLink)."""
        dock = self.registry.dock_of_drone(state.drone_id)
        self._put_drone(dock, state, self.clock.now_s())

    def assign(self, dock_id: str, mission_id: str) -> None:
        """The dock (and its drone) now serves ``mission_id``: busy until :meth:`release`."""
        self.registry.dock(dock_id)
        if not mission_id:
            raise ValueError("mission_id must not be empty")
        current = self._assignments.get(dock_id)
        if current is not None and current != mission_id:
            raise ValueError(f"dock {dock_id!r} already serves mission {current!r}")
        self._assignments[dock_id] = mission_id
        self._changed(dock_id)

    def release(self, dock_id: str, mission_id: str | None = None) -> None:
        """End the dock's assignment (only if it is ``mission_id``, when given)."""
        self.registry.dock(dock_id)
        if mission_id is None or self._assignments.get(dock_id) == mission_id:
            self._assignments.pop(dock_id, None)
            self._changed(dock_id)

    def set_maintenance(self, dock_id: str, note: str | None) -> None:
        """Withdraw a dock for maintenance (``note`` says why; "" for no text), None returns it."""
        self.registry.dock(dock_id)
        if note is None:
            self._maintenance.pop(dock_id, None)
        else:
            self._maintenance[dock_id] = note
        self._changed(dock_id)

    # --- queries ---------------------------------------------------------------------------------

    def dock_state(self, dock_id: str) -> DockState | None:
        self.registry.dock(dock_id)
        return self._docks.get(dock_id)

    def drone_state(self, drone_id: str) -> DroneState | None:
        self.registry.dock_of_drone(drone_id)
        return self._drones.get(drone_id)

    def geofence_status(self, drone_id: str) -> GeofenceStatus | None:
        """The drone's last reported on-board geofence status (None: nothing reported)."""
        self.registry.dock_of_drone(drone_id)
        return self._fences.get(drone_id)

    def assignment(self, dock_id: str) -> str | None:
        return self._assignments.get(dock_id)

    def health_alerts(self, dock_id: str) -> tuple[HmsAlert, ...]:
        return self._alerts.get(dock_id, ())

    def availability(self, dock_id: str, mission: SortieSpec | None = None) -> Availability:
        """Can the dock launch now, for ``mission`` (or its reference sortie), with every reason."""
        entry = self.registry.dock(dock_id)
        geometry = None
        if mission is not None:
            target = self.registry.to_local(mission.lon_deg, mission.lat_deg)
            geometry = sortie_geometry(entry, mission, target, self.route_length)
        return self._evaluate(entry, self.clock.now_s(), geometry)

    def available_dock_ids(self, mission: SortieSpec | None = None) -> list[str]:
        return [d.dock_id for d in self.registry if self.availability(d.dock_id, mission).available]

    def candidates(self, mission: SortieSpec, include_airborne: bool = True) -> list[Candidate]:
        """Every dock (and every flying drone, for re-tasking) with its availability for ``mission``
        and, when available, its battery margin — available ones first, nearest first."""
        now = self.clock.now_s()
        target = self.registry.to_local(mission.lon_deg, mission.lat_deg)
        out: list[Candidate] = []
        for entry in self.registry:
            geometry = sortie_geometry(entry, mission, target, self.route_length)
            mission_id = self._assignments.get(entry.dock_id)
            out.append(dock_candidate(entry, geometry, self._evaluate(entry, now, geometry), mission_id))
            if include_airborne:
                airborne = airborne_candidate(
                    entry,
                    self._drones.get(entry.drone_id),
                    geometry,
                    target,
                    to_local=self.registry.to_local,
                    now_s=now,
                    limits=self.limits,
                    route_length=self.route_length,
                    mission_id=mission_id,
                    fence=self._fence_gate(entry.drone_id),
                )
                if airborne is not None:
                    out.append(airborne)
        out.sort(key=lambda c: (not c.available, c.distance_m))
        return out

    def snapshot(self) -> FleetSnapshot:
        return FleetSnapshot(
            docks=dict(self._docks),
            drones=dict(self._drones),
            assignments=dict(self._assignments),
            maintenance=dict(self._maintenance),
            saved_at_s=self.clock.now_s(),
        )

    # --- time and persistence --------------------------------------------------------------------

    def check(self) -> int:
        """Re-evaluate every dock now (stale data ages out); returns how many changed availability."""
        return sum(self._refresh(entry.dock_id) for entry in self.registry)

    async def run(self) -> None:
        """Check for stale data and save changes until cancelled (then save once more)."""
        try:
            while True:
                try:
                    self.check()
                except Exception:  # a bug must not stop the watch over the other docks
                    log.exception("fleet stale check failed")
                await self.save_if_due()
                await self.clock.sleep(self.settings.check_interval_s)
        finally:
            if self._dirty and self.store is not None:
                await asyncio.shield(self._save_logged())

    async def save_if_due(self) -> bool:
        """Save when something changed and the last save is ``persist_interval_s`` old."""
        now = self.clock.now_s()
        if (
            self.store is None
            or not self._dirty
            or now - self._last_save_s < self.settings.persist_interval_s
        ):
            return False
        return await self._save_logged()

    async def save(self) -> None:
        """Save now (raises :class:`FleetStoreError`)."""
        if self.store is None:
            return
        self._dirty = False
        self._last_save_s = self.clock.now_s()
        try:
            await self.store.save(self.snapshot())
        except BaseException:
            self._dirty = True
            raise

    async def restore(self) -> bool:
        """Load the last saved state: docks and drones come back marked ``restored`` (unavailable
        until live data confirms them); assignments and maintenance notes come back as they were.
        An unreadable store is logged and the fleet starts empty. True when something was loaded."""
        if self.store is None:
            return False
        try:
            snap = await self.store.load()
        except FleetStoreError as exc:
            log.error("fleet state not restored: %s", exc)
            return False
        if snap is None:
            return False
        for dock_id, dock in snap.docks.items():
            if dock_id in self.registry and dock_id not in self._docks:
                self._docks[dock_id] = replace(dock, restored=True)
        for drone_id, drone in snap.drones.items():
            if drone_id in self.registry.drone_ids and drone_id not in self._drones:
                self._drones[drone_id] = replace(drone, restored=True)
        self._assignments.update({k: v for k, v in snap.assignments.items() if k in self.registry})
        self._maintenance.update({k: v for k, v in snap.maintenance.items() if k in self.registry})
        dropped = (set(snap.docks) | set(snap.assignments)) - set(self.registry.dock_ids)
        if dropped:
            log.warning("restored fleet state names docks no longer registered: %s", sorted(dropped))
        self.check()
        return True

    def close(self) -> None:
        """End all subscriptions."""
        self._hub.close()

    # --- internals -------------------------------------------------------------------------------

    def _known_dock(self, dock_id: str) -> bool:
        if dock_id in self.registry:
            return True
        self._log_unknown(dock_id, "dock")
        return False

    def _log_unknown(self, ident: str, what: str) -> None:
        if ident not in self._unknown_logged:
            self._unknown_logged.add(ident)
            log.warning("ignoring %s %r: not in the fleet registry", what, ident)

    def _put_dock(self, state: DockState, now: float) -> None:
        previous = self._docks.get(state.dock_id)
        self._docks[state.dock_id] = state
        if previous is None or not previous.same_content(state):
            self._dirty = True
            self._hub.publish(FleetEvent(FleetEventKind.DOCK_STATE, now, dock_id=state.dock_id, dock=state))
        self._refresh(state.dock_id)

    def _put_drone(self, dock: DockEntry, state: DroneState, now: float) -> None:
        previous = self._drones.get(state.drone_id)
        self._drones[state.drone_id] = state
        if previous is None or _drone_changed(previous, state):
            self._dirty = True
            event = FleetEvent(
                FleetEventKind.DRONE_STATE, now, dock_id=dock.dock_id, drone_id=state.drone_id, drone=state
            )
            self._hub.publish(event)
        self._refresh(dock.dock_id)

    def _changed(self, dock_id: str) -> None:
        self._dirty = True
        self._refresh(dock_id)

    def _refresh(self, dock_id: str) -> bool:
        """Re-evaluate the dock's availability; publish it when it changed (yes/no or reason codes)."""
        entry = self.registry.dock(dock_id)
        now = self.clock.now_s()
        current = self._evaluate(entry, now, None)
        last = self._last.get(dock_id)
        self._last[dock_id] = current
        if last is not None and last.available == current.available and last.codes == current.codes:
            return False
        self._hub.publish(FleetEvent(FleetEventKind.AVAILABILITY, now, dock_id=dock_id, availability=current))
        return True

    def _evaluate(self, entry: DockEntry, now: float, geometry: SortieGeometry | None) -> Availability:
        return dock_availability(
            entry,
            self._docks.get(entry.dock_id),
            now,
            self.limits,
            drone=self._drones.get(entry.drone_id),
            sortie=geometry,
            mission_id=self._assignments.get(entry.dock_id),
            maintenance_note=self._maintenance.get(entry.dock_id),
            fence=self._fence_gate(entry.drone_id),
        )

    def _fence_gate(self, drone_id: str) -> GeofenceStatus | None:
        """What the fence gate judges: None when no fence is required; pending until one is reported."""
        if not self.geofence_required:
            return None
        return self._fences.get(drone_id) or GeofenceStatus(drone_id, FenceState.PENDING)

    async def _save_logged(self) -> bool:
        try:
            await self.save()
        except FleetStoreError as exc:
            log.error("fleet state not saved: %s", exc)
            return False
        return True


def _drone_changed(a: DroneState, b: DroneState) -> bool:
    """A change worth an event: flight state, link, mode, a whole percent of battery, ~1 m of position
    or height."""

    def key(s: DroneState) -> tuple[object, ...]:
        pos = None if s.lon_deg is None or s.lat_deg is None else (round(s.lon_deg, 5), round(s.lat_deg, 5))
        battery = None if s.battery_pct is None else math.floor(s.battery_pct)
        height = None if s.rel_alt_m is None else round(s.rel_alt_m)
        return (s.in_air, s.armed, s.link_ok, s.flight_mode, battery, pos, height, s.restored)

    return key(a) != key(b)
