"""Availability with reasons: can this dock (or this airborne drone) take this sortie now, and if not,
why not. Pure: state, limits and the clock's ``now_s`` in, an :class:`Availability` out.

Gates, all evaluated so that the planner can store every reason (planning.md §6, availability A(t)):

- liveness: state known, dock online, OSD fresh (``stale: no OSD for 42 s``); stale or offline data is
  not trusted for anything else;
- operator and dock: ``maintenance``, ``fault: cover``, ``busy: on mission M``, ``no drone in dock``;
  a drone whose fresh telemetry says it is flying makes the dock busy whatever the OSD says;
- weather at the dock: wind above the type's launch limit minus the gust margin, rain at or above
  the grounding level, temperature outside the type's range; a missing reading blocks too;
- on-board geofence (when the manager requires one): a drone whose keep-out fence failed to upload
  does not launch, and an airborne drone whose fence is not confirmed is not re-tasked. A docked
  drone whose fence is being uploaded (PENDING) stays available with a note: the executor holds its
  take-off until the fence is confirmed (``mission.executor_flight.fence_on_board``), as for a drone
  that connects only when its dock powers it up;
- energy (planning.md §5): the battery must cover the sortie (out, on scene, back against the wind,
  reserve), along the route around keep-out zones when the manager has a router; while charging the
  reason says when it will be ready, on the dock's charging curve. Without a sortie the dock's
  reference sortie is used (the edge of its 5-minute disc).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from docks.charging import FULL_PCT
from fleet.battery import (
    airborne_energy_pct,
    reference_energy_pct,
    sortie_energy_pct,
    time_to_charge_s,
)
from fleet.model import (
    Availability,
    CoverStatus,
    DockActivity,
    DockState,
    DroneState,
    FenceState,
    GeofenceStatus,
    RainLevel,
    Reason,
    ReasonCode,
    SortieSpec,
)
from fleet.registry import DockEntry


@dataclass(frozen=True)
class GateLimits:
    """Thresholds shared by every dock (per-type limits live in :class:`fleet.registry.DockTypeSpec`)."""

    stale_after_s: float = 30.0
    drone_stale_after_s: float = 5.0
    wind_margin_mps: float = 2.0
    rain_ground_level: int = 2
    max_range_m: float = 10000.0
    poor_network_quality: int = 1


@dataclass(frozen=True)
class SortieGeometry:
    """A sortie as seen from one dock: the target's offset from the dock (metres), the spec, and the
    route length around keep-out zones when a router gave one (``inf``: no route)."""

    spec: SortieSpec
    dx_m: float
    dy_m: float
    route_m: float | None = None

    @property
    def distance_m(self) -> float:
        return math.hypot(self.dx_m, self.dy_m)

    @property
    def path_m(self) -> float:
        """What is flown one way: the route when longer than the straight line."""
        return max(self.distance_m, self.route_m or 0.0)

    def leg(self) -> tuple[float, float]:
        """The offset stretched along its bearing to the route's length, so that the energy of a
        detour is counted (the wind is taken along the straight bearing: an approximation)."""
        return stretched(self.dx_m, self.dy_m, self.route_m)


def stretched(dx_m: float, dy_m: float, route_m: float | None) -> tuple[float, float]:
    """(dx, dy) scaled to length ``route_m`` when that is longer (and finite)."""
    d = math.hypot(dx_m, dy_m)
    if route_m is None or not math.isfinite(route_m) or route_m <= d or d == 0.0:
        return dx_m, dy_m
    k = route_m / d
    return dx_m * k, dy_m * k


def num(value: float) -> str:
    """A number for a reason text: ``11`` rather than ``11.0``, ``10.5`` when it matters."""
    rounded = round(value, 1)
    return f"{rounded:.0f}" if rounded == int(rounded) else f"{rounded:.1f}"


def duration_text(seconds: float) -> str:
    """``45 s``, ``7 min``, ``2 h 5 min``; minutes round up (a dispatcher waits, never less)."""
    if seconds < 60:
        return f"{math.ceil(seconds)} s"
    minutes = math.ceil(seconds / 60.0)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def drone_fresh(drone: DroneState | None, now_s: float, limits: GateLimits) -> bool:
    """Telemetry from this drone is live (not restored, link up, recent)."""
    return (
        drone is not None
        and not drone.restored
        and drone.link_ok
        and drone.telemetry_at_s is not None
        and now_s - drone.telemetry_at_s <= limits.drone_stale_after_s
    )


def dock_availability(
    dock: DockEntry,
    state: DockState | None,
    now_s: float,
    limits: GateLimits,
    *,
    drone: DroneState | None = None,
    sortie: SortieGeometry | None = None,
    mission_id: str | None = None,
    maintenance_note: str | None = None,
    fence: GeofenceStatus | None = None,
) -> Availability:
    """Availability of ``dock`` for ``sortie`` (or its reference sortie) at ``now_s``. ``fence`` is
    the drone's on-board geofence status when one is required (None: no fence gate)."""
    reasons: list[Reason] = []
    notes: list[str] = []
    if maintenance_note is not None:
        text = f"maintenance: {maintenance_note}" if maintenance_note else "maintenance"
        reasons.append(Reason(ReasonCode.MAINTENANCE, text))
    live_drone = drone if drone_fresh(drone, now_s, limits) else None
    if mission_id is not None:
        reasons.append(Reason(ReasonCode.BUSY, f"busy: on mission {mission_id}"))
    elif live_drone is not None and live_drone.in_air:
        reasons.append(Reason(ReasonCode.BUSY, "busy: drone airborne"))
    fence_reason = geofence_reason(fence)
    if fence_reason is not None:
        reasons.append(fence_reason)
    elif fence is not None and fence.state is FenceState.PENDING:
        notes.append("keep-out geofence being uploaded: take-off waits for it")

    if not _live(state, now_s, limits, reasons):
        return _result(dock, now_s, reasons, notes)
    assert state is not None
    _dock_gates(dock, state, live_drone, reasons, notes, limits, busy=bool(_codes(reasons, ReasonCode.BUSY)))
    _weather_gates(dock, state, limits, reasons)
    battery_pct, source_note = _battery(state, live_drone)
    if source_note:
        notes.append(source_note)
    if state.network_quality is not None and state.network_quality <= limits.poor_network_quality:
        notes.append(f"network quality poor ({state.network_quality}/5)")
    if state.alarm:
        notes.append("dock alarm on")
    needed, margin, ready_in = _energy_gate(dock, state, battery_pct, sortie, limits, reasons, notes)
    return _result(dock, now_s, reasons, notes, battery_pct, needed, margin, ready_in)


def airborne_availability(
    home: DockEntry,
    drone: DroneState,
    drone_xy_m: tuple[float, float],
    sortie: SortieGeometry,
    now_s: float,
    limits: GateLimits,
    from_route_m: float | None = None,
    fence: GeofenceStatus | None = None,
) -> Availability:
    """Can a flying drone be re-tasked to ``sortie`` (offsets relative to its home dock) and still get
    home with its reserve? Its own link, on-board geofence (``fence``, None: not required) and battery
    are the gates; launch weather limits do not apply. ``from_route_m`` is the route from the drone to
    the target around keep-out zones, if known."""
    reasons: list[Reason] = []
    if not drone.link_ok and not drone.restored:
        reasons.append(Reason(ReasonCode.OFFLINE, "offline: drone link lost"))
        return _result(home, now_s, reasons, [], drone.battery_pct)
    if not drone_fresh(drone, now_s, limits):
        age = None if drone.telemetry_at_s is None else now_s - drone.telemetry_at_s
        text = "stale: no telemetry" if age is None else f"stale: no telemetry for {num(age)} s"
        reasons.append(Reason(ReasonCode.STALE, text, age, limits.drone_stale_after_s))
        return _result(home, now_s, reasons, [], drone.battery_pct)
    fence_reason = geofence_reason(fence, pending_blocks=True)
    if fence_reason is not None:
        reasons.append(fence_reason)
    target_x = home.x_m + sortie.dx_m
    target_y = home.y_m + sortie.dy_m
    from_dx, from_dy = target_x - drone_xy_m[0], target_y - drone_xy_m[1]
    out_dx, out_dy = stretched(from_dx, from_dy, from_route_m)
    back_dx, back_dy = sortie.leg()
    needed = airborne_energy_pct(
        out_dx, out_dy, -back_dx, -back_dy, home.reach, home.energy, sortie.spec.wind, sortie.spec.on_scene_s
    )
    soc = drone.battery_pct
    out_m = max(math.hypot(from_dx, from_dy), from_route_m or 0.0)
    if (from_route_m is not None and math.isinf(from_route_m)) or (
        sortie.route_m is not None and math.isinf(sortie.route_m)
    ):
        reasons.append(Reason(ReasonCode.OUT_OF_RANGE, "no route around the keep-out zones"))
        return _result(home, now_s, reasons, [], soc)
    if out_m > limits.max_range_m:
        reasons.append(_too_far(out_m, limits))
    if not math.isfinite(needed):
        reasons.append(Reason(ReasonCode.OUT_OF_RANGE, "cannot make it back against the wind"))
        needed_out: float | None = None
    else:
        needed_out = needed
        if soc is None:
            reasons.append(Reason(ReasonCode.BATTERY, "battery unknown"))
        elif soc < needed:
            reasons.append(_low_battery(soc, needed))
    margin = None if soc is None or needed_out is None else soc - needed_out
    return _result(home, now_s, reasons, [], soc, needed_out, margin)


def geofence_reason(fence: GeofenceStatus | None, pending_blocks: bool = False) -> Reason | None:
    """Why the drone's keep-out geofence rules it out, or None: a failed upload always does; one
    under way (PENDING) only when ``pending_blocks`` (an airborne drone to re-task). None when no
    fence is required or it is confirmed on board."""
    if fence is None or fence.state is FenceState.UPLOADED:
        return None
    if fence.state is FenceState.FAILED:
        detail = f"upload failed: {fence.detail}" if fence.detail else "upload failed"
        return Reason(ReasonCode.GEOFENCE, f"keep-out geofence not on board: {detail}")
    if pending_blocks:
        return Reason(ReasonCode.GEOFENCE, "keep-out geofence not on board: upload under way")
    return None


def _live(state: DockState | None, now_s: float, limits: GateLimits, reasons: list[Reason]) -> bool:
    if state is None:
        reasons.append(Reason(ReasonCode.UNKNOWN_STATE, "offline: nothing heard from the dock yet"))
        return False
    if not state.online:
        reasons.append(Reason(ReasonCode.OFFLINE, "offline"))
        return False
    if state.restored:
        reasons.append(Reason(ReasonCode.STALE, "stale: no OSD since restart"))
        return False
    if state.osd_at_s is None:
        reasons.append(Reason(ReasonCode.STALE, "stale: no OSD yet"))
        return False
    age_s = now_s - state.osd_at_s
    if age_s > limits.stale_after_s:
        reasons.append(
            Reason(ReasonCode.STALE, f"stale: no OSD for {num(age_s)} s", age_s, limits.stale_after_s)
        )
        return False
    return True


def _dock_gates(
    dock: DockEntry,
    state: DockState,
    live_drone: DroneState | None,
    reasons: list[Reason],
    notes: list[str],
    limits: GateLimits,
    busy: bool,
) -> None:
    if state.activity is DockActivity.MAINTENANCE and not _codes(reasons, ReasonCode.MAINTENANCE):
        reasons.append(Reason(ReasonCode.MAINTENANCE, "maintenance"))
    faults = list(state.faults)
    if state.cover is CoverStatus.FAULT and "cover" not in faults:
        faults.insert(0, "cover")
    if state.activity is DockActivity.FAULT and not faults:
        faults.append("dock")
    reasons.extend(Reason(ReasonCode.FAULT, f"fault: {name}") for name in dict.fromkeys(faults))
    if not busy and state.activity.busy:
        flight = f" (flight {state.flight_id})" if state.flight_id else ""
        reasons.append(Reason(ReasonCode.BUSY, f"busy: {state.activity.value}{flight}"))
        busy = True
    if not busy and state.drone_in_dock is not True:
        reasons.append(Reason(ReasonCode.NO_DRONE, "no drone in dock"))
    if live_drone is not None and not live_drone.in_air and state.drone_in_dock is False:
        notes.append("drone reports on the ground outside the dock")


def _weather_gates(dock: DockEntry, state: DockState, limits: GateLimits, reasons: list[Reason]) -> None:
    w = state.weather
    limit = dock.spec.launch_wind_limit_mps
    allowed = max(0.0, limit - limits.wind_margin_mps)
    if w.wind_mps is None:
        reasons.append(Reason(ReasonCode.WIND, "wind: no reading"))
    elif w.wind_mps > allowed:
        margin = (
            f" ({num(limit)} − {num(limits.wind_margin_mps)} gust margin)" if limits.wind_margin_mps else ""
        )
        text = f"wind {num(w.wind_mps)} m/s > {num(allowed)}{margin}"
        reasons.append(Reason(ReasonCode.WIND, text, w.wind_mps, allowed))
    if w.rain is None:
        reasons.append(Reason(ReasonCode.RAIN, "rain: no reading"))
    elif w.rain >= limits.rain_ground_level:
        reasons.append(Reason(ReasonCode.RAIN, f"rain: {RainLevel(w.rain).name.lower()}", w.rain))
    low, high = dock.spec.temperature_range_c
    t = w.temperature_c
    if t is None:
        reasons.append(Reason(ReasonCode.TEMPERATURE, "temperature: no reading"))
    elif t < low:
        reasons.append(Reason(ReasonCode.TEMPERATURE, f"temperature {num(t)} °C below {num(low)}", t, low))
    elif t > high:
        reasons.append(Reason(ReasonCode.TEMPERATURE, f"temperature {num(t)} °C above {num(high)}", t, high))


def _battery(state: DockState, live_drone: DroneState | None) -> tuple[float | None, str | None]:
    """The freshest battery reading: the drone's own telemetry beats the dock's OSD."""
    if (
        live_drone is not None
        and live_drone.battery_pct is not None
        and (state.battery_pct is None or (live_drone.telemetry_at_s or 0.0) >= (state.osd_at_s or 0.0))
    ):
        return live_drone.battery_pct, "battery from drone telemetry"
    return state.battery_pct, None


def _energy_gate(
    dock: DockEntry,
    state: DockState,
    battery_pct: float | None,
    sortie: SortieGeometry | None,
    limits: GateLimits,
    reasons: list[Reason],
    notes: list[str],
) -> tuple[float | None, float | None, float | None]:
    if sortie is None:
        needed = reference_energy_pct(dock.reach, dock.energy)
    else:
        if sortie.route_m is not None and math.isinf(sortie.route_m):
            reasons.append(Reason(ReasonCode.OUT_OF_RANGE, "no route around the keep-out zones"))
            return None, None, None
        if sortie.path_m > limits.max_range_m:
            reasons.append(_too_far(sortie.path_m, limits))
        leg_dx, leg_dy = sortie.leg()
        needed = sortie_energy_pct(
            leg_dx, leg_dy, dock.reach, dock.energy, sortie.spec.wind, sortie.spec.on_scene_s
        )
        if not math.isfinite(needed):
            reasons.append(Reason(ReasonCode.OUT_OF_RANGE, "cannot make it back against the wind"))
            return None, None, None
    if needed > 100.0:
        reasons.append(Reason(ReasonCode.OUT_OF_RANGE, f"needs {num(needed)} % battery", needed, 100.0))
        return needed, None, None
    if battery_pct is None:
        if state.drone_in_dock:
            reasons.append(Reason(ReasonCode.BATTERY, "battery unknown"))
        return needed, None, None
    margin = battery_pct - needed
    if margin >= 0:
        if state.charging:
            notes.append("charging")
        return needed, margin, None
    # A dock reports "full" at FULL_PCT and stops: a need above it is never met by waiting.
    if state.charging and "charger" not in state.faults and needed < FULL_PCT:
        ready_in = time_to_charge_s(battery_pct, needed, dock.spec.charge_20_90_s)
        text = f"charging: ready in {duration_text(ready_in)}"
        reasons.append(Reason(ReasonCode.CHARGING, text, battery_pct, needed))
        return needed, margin, ready_in
    reasons.append(_low_battery(battery_pct, needed))
    return needed, margin, None


def _low_battery(soc: float, needed: float) -> Reason:
    text = f"battery {num(soc)} % < {math.ceil(needed)} % needed"
    return Reason(ReasonCode.BATTERY, text, soc, needed)


def _too_far(distance_m: float, limits: GateLimits) -> Reason:
    text = f"target {num(distance_m / 1000)} km away > {num(limits.max_range_m / 1000)} km limit"
    return Reason(ReasonCode.OUT_OF_RANGE, text, distance_m, limits.max_range_m)


def _codes(reasons: list[Reason], code: ReasonCode) -> list[Reason]:
    return [r for r in reasons if r.code is code]


def _result(
    dock: DockEntry,
    now_s: float,
    reasons: list[Reason],
    notes: list[str],
    battery_pct: float | None = None,
    needed_pct: float | None = None,
    margin_pct: float | None = None,
    ready_in_s: float | None = None,
) -> Availability:
    return Availability(
        dock_id=dock.dock_id,
        available=not reasons,
        reasons=tuple(reasons),
        battery_pct=battery_pct,
        needed_pct=needed_pct,
        margin_pct=margin_pct,
        ready_in_s=ready_in_s,
        notes=tuple(notes),
        evaluated_at_s=now_s,
    )
