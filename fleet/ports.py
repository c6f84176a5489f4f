"""The fleet package's view of the outside world, as ``typing.Protocol``s.

``DroneLink`` is one drone's flight interface and ``FleetLink`` owns the links of a whole fleet (MAVSDK
implements them in :mod:`fleet.mavsdk_link` and :mod:`fleet.mavsdk_fleet`). Commands return once the
autopilot has accepted them; progress is watched through the telemetry stream (:mod:`fleet.flight_waits`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from fleet.drone_model import DroneSpec, DroneTelemetry, DroneUpdate, Height, LinkState, MissionPlan
from fleet.geofence import GeofencePlan
from fleet.model import FleetSnapshot

# ---------------------------------------------------------------------------------------------------
# DroneLink: one drone's flight interface
# ---------------------------------------------------------------------------------------------------


class DroneLink(Protocol):
    """Flight commands and telemetry of one drone.

    Every command has a timeout from settings and raises a typed :class:`~fleet.errors.DroneError`:
    ``InvalidCommand`` (before sending), ``DroneOffline``, ``CommandTimeout``, ``CommandDenied``,
    ``CommandFailed``, ``ParamError``, ``MissionError``.
    """

    @property
    def drone_id(self) -> str: ...

    @property
    def link_state(self) -> LinkState: ...

    async def connect(self, timeout_s: float | None = None) -> None:
        """Wait until the drone's first heartbeat (``DroneOffline`` after the connect timeout)."""

    def telemetry(self) -> DroneTelemetry:
        """The latest snapshot, without waiting."""

    def subscribe(self) -> AsyncIterator[DroneUpdate]:
        """Snapshots and link events from now on; any number of subscribers share one subscription."""

    async def arm(self) -> None: ...

    async def disarm(self) -> None: ...

    async def takeoff(self, height: Height) -> None:
        """Climb to ``height`` over the current position, then hold (PX4: MIS_TAKEOFF_ALT + takeoff)."""

    async def goto(
        self,
        lat_deg: float,
        lon_deg: float,
        height: Height,
        yaw_deg: float | None = None,
        speed_mps: float | None = None,
    ) -> None:
        """Fly to a WGS84 point (DO_REPOSITION; the height is sent AMSL, converted from above-home).
        ``speed_mps`` sets the horizontal speed first (DO_CHANGE_SPEED, kept for later legs; the
        autopilot caps it at its MPC_XY_VEL_MAX); None flies at the autopilot's own (MPC_XY_CRUISE)."""

    async def orbit(
        self, centre_lat_deg: float, centre_lon_deg: float, height: Height, radius_m: float, speed_mps: float
    ) -> None:
        """Circle a point, nose to the centre (DO_ORBIT)."""

    async def hold(self) -> None: ...

    async def return_to_launch(self) -> None: ...

    async def land(self) -> None: ...

    async def get_param(self, name: str) -> float | int: ...

    async def set_param(self, name: str, value: float | int) -> None: ...

    async def upload_mission(self, plan: MissionPlan) -> None: ...

    async def start_mission(self) -> None: ...

    async def clear_mission(self) -> None: ...

    async def upload_geofence(self, plan: GeofencePlan) -> None:
        """Replace the autopilot's fence with ``plan.polygons`` (MAVLink fence items; PX4 keeps them
        across reboots), set ``plan.params`` (``GF_*``) and check both by reading them back. Raises a
        ``DroneError`` (``MissionError`` when the stored fence differs from the one sent)."""


class FleetLink(Protocol):
    """All drone links of one mission-control instance."""

    @property
    def drone_ids(self) -> list[str]: ...

    async def add_drone(self, spec: DroneSpec) -> DroneLink:
        """Open the drone's connection (without waiting for it; see ``DroneLink.connect``)."""

    def drone(self, drone_id: str) -> DroneLink:
        """The link of a registered drone; ``UnknownDrone`` otherwise."""

    async def remove_drone(self, drone_id: str) -> None: ...

    async def close(self) -> None: ...


# ---------------------------------------------------------------------------------------------------
# FleetStateStore: the fleet manager's last known state, so a restart does not forget the fleet
# ---------------------------------------------------------------------------------------------------


class FleetStateStore(Protocol):
    """Keeps the latest :class:`~fleet.model.FleetSnapshot` (one per mission-control instance).

    :class:`fleet.json_state_store.JsonFleetStateStore` keeps it in a JSON file; mission's SQL store
    can implement it with :mod:`fleet.snapshot_codec` for the stored shape. Both raise
    :class:`fleet.snapshot_codec.FleetStoreError` with a one-line reason.
    """

    async def load(self) -> FleetSnapshot | None:
        """The last saved snapshot, or None when nothing was ever saved."""

    async def save(self, snapshot: FleetSnapshot) -> None:
        """Replace the saved snapshot (atomically: a crash leaves the old or the new one)."""
