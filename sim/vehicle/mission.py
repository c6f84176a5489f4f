"""Mission protocol and execution (placeholder until the full state machine lands)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.vehicle.mavlink_endpoint import MavMessage
    from sim.vehicle.vehicle import Vehicle


class MissionRunner:
    def __init__(self, vehicle: Vehicle) -> None:
        self.vehicle = vehicle
        self.items: list[Any] = []

    def handle(self, msg: MavMessage) -> None:
        return

    def current_message(self) -> MavMessage | None:
        return None

    def guide(self, now_s: float) -> None:
        return

    def set_current(self, seq: int) -> None:
        return

    def on_mission_mode(self) -> None:
        return

    def on_armed_in_mission(self) -> None:
        return
