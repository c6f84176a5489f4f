"""Small mappings from the wire and the flight link into fleet's own model.

Only this module knows the dock OSD's field names (:mod:`docks.protocol`) and the DroneLink's
telemetry shape (:mod:`fleet.drone_model`); the rest of fleet works on :mod:`fleet.model`.
"""

from __future__ import annotations

from dataclasses import replace

from docks.model import ChargeState, CoverState, DockFault, DockMode
from docks.protocol.dock import DockOsd
from fleet.drone_model import DroneTelemetry, LandedState, LinkState
from fleet.model import CoverStatus, DockActivity, DockState, DockWeather, DroneState, RainLevel

_ACTIVITY = {
    DockMode.IDLE: DockActivity.IDLE,
    DockMode.PREPARING: DockActivity.PREPARING,
    DockMode.LAUNCHING: DockActivity.LAUNCHING,
    DockMode.WORKING: DockActivity.WORKING,
    DockMode.RETURNING: DockActivity.RETURNING,
    DockMode.CHARGING: DockActivity.CHARGING,
    DockMode.MAINTENANCE: DockActivity.MAINTENANCE,
    DockMode.FAULT: DockActivity.FAULT,
    DockMode.OFFLINE: DockActivity.UNKNOWN,
}

_COVER = {
    CoverState.CLOSED: CoverStatus.CLOSED,
    CoverState.OPEN: CoverStatus.OPEN,
    CoverState.OPENING: CoverStatus.MOVING,
    CoverState.CLOSING: CoverStatus.MOVING,
    CoverState.ABNORMAL: CoverStatus.FAULT,
}

_FLYING = frozenset({LandedState.IN_AIR, LandedState.TAKING_OFF, LandedState.LANDING})


def dock_state_from_osd(
    dock_id: str, osd: DockOsd, at_s: float, previous: DockState | None = None
) -> DockState:
    """A dock's OSD as fleet state: the dock is online (it just spoke); its standing faults are the
    OSD's ``faults`` (a charger in fault counts as one). Health alerts (hms events) are transient
    notices and do not change availability: a dock reports a lasting fault in every OSD."""
    faults = [f.value for f in osd.faults]
    if osd.charge_state is ChargeState.FAULT and DockFault.CHARGER.value not in faults:
        faults.append(DockFault.CHARGER.value)
    return DockState(
        dock_id=dock_id,
        online=True,
        activity=_ACTIVITY[osd.mode],
        cover=_COVER[osd.cover_state],
        drone_in_dock=osd.drone_in_dock,
        battery_pct=osd.drone_battery_pct,
        charging=osd.charge_state is ChargeState.CHARGING,
        weather=DockWeather(
            wind_mps=osd.wind_speed_mps,
            rain=RainLevel(int(osd.rainfall)),
            temperature_c=osd.environment_temperature_c,
        ),
        network_quality=osd.network.quality,
        faults=tuple(dict.fromkeys(faults)),
        alarm=osd.alarm,
        flight_id=osd.flight_id,
        osd_at_s=at_s,
        status_at_s=previous.status_at_s if previous else None,
        restored=False,
    )


def dock_state_with_status(dock_id: str, online: bool, at_s: float, previous: DockState | None) -> DockState:
    """Apply a retained online/offline status (an offline dock keeps its last values for display)."""
    base = previous or DockState(dock_id=dock_id)
    return replace(base, online=online, status_at_s=at_s)


def drone_state_from_telemetry(telemetry: DroneTelemetry, at_s: float) -> DroneState:
    """A DroneLink snapshot as fleet state, stamped with the manager's clock."""
    pos = telemetry.position
    in_air = bool(telemetry.in_air) or telemetry.landed_state in _FLYING
    return DroneState(
        drone_id=telemetry.drone_id,
        lon_deg=pos.lon_deg if pos else None,
        lat_deg=pos.lat_deg if pos else None,
        rel_alt_m=pos.rel_alt_m if pos else None,
        in_air=in_air,
        armed=bool(telemetry.armed),
        battery_pct=telemetry.battery.remaining_pct if telemetry.battery else None,
        link_ok=telemetry.link is LinkState.ONLINE,
        flight_mode=telemetry.flight_mode.value,
        telemetry_at_s=at_s,
    )
