"""JSON messages of the live stream (``/api/v1/live``): a snapshot on connect, then one message per
change, and heartbeats. Each message has a ``type``; see docs/api.md.

What a client receives depends on its token's role, as on the REST routes: the grid outbox and the
audit log (the admin panel's) go to admins only (:data:`ADMIN_ONLY`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fleet.model import FleetEvent, FleetEventKind
from mission.api.backend import ConsoleBackend, LiveItem
from mission.api.routes.leads import lead_out
from mission.api.schemas_fleet import DockOut, DroneOut
from mission.api.schemas_mission import (
    AlertOut,
    AuditOut,
    IncidentOut,
    MissionEventOut,
    MissionOut,
    OutboxOut,
)
from mission.model import Alert, AuditEntry, Incident, Lead, Mission, MissionEvent, OutboxMessage, Role

#: Live items only an admin's stream carries (the admin panel's outbox and audit log).
ADMIN_ONLY: tuple[type, ...] = (OutboxMessage, AuditEntry)


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def snapshot_message(backend: ConsoleBackend) -> dict[str, Any]:
    """Every dock, drone and active mission as they are now."""
    missions = await backend.store.list_missions(active_only=True, limit=1000)
    return {
        "type": "snapshot",
        "at": _now(),
        "docks": [DockOut.of(d).model_dump(mode="json") for d in backend.docks()],
        "drones": [DroneOut.of(d).model_dump(mode="json") for d in backend.drones()],
        "missions": [MissionOut.model_validate(m).model_dump(mode="json") for m in missions],
    }


def heartbeat_message() -> dict[str, Any]:
    return {"type": "heartbeat", "at": _now()}


#: The audit action of a token's revocation (``mission.api.routes.admin``); its target is the token id.
TOKEN_REVOKE = "token.revoke"


def revokes(item: LiveItem, token_id: str) -> bool:
    """Whether ``item`` records the revocation of the token ``token_id`` (its open live sockets
    then close: a revoked token stops working at once, on the stream too)."""
    return isinstance(item, AuditEntry) and item.action == TOKEN_REVOKE and item.target == token_id


def visible_to(role: Role, item: LiveItem) -> bool:
    """Whether a client with ``role`` may see ``item``."""
    return role.allows(Role.ADMIN) or not isinstance(item, ADMIN_ONLY)


def item_message(backend: ConsoleBackend, item: LiveItem, role: Role) -> dict[str, Any] | None:
    """The message for one change, for a client with ``role``; None when it concerns nothing the
    console shows, or nothing that role may see."""
    if not visible_to(role, item):
        return None
    if isinstance(item, FleetEvent):
        return _fleet_message(backend, item)
    if isinstance(item, Mission):
        return {"type": "mission", "mission": MissionOut.model_validate(item).model_dump(mode="json")}
    if isinstance(item, MissionEvent):
        event = MissionEventOut.model_validate(item).model_dump(mode="json")
        return {"type": "mission_event", "mission_id": item.mission_id, "event": event}
    if isinstance(item, Alert):
        return {"type": "alert", "alert": AlertOut.model_validate(item).model_dump(mode="json")}
    if isinstance(item, Incident):
        return {"type": "incident", "incident": IncidentOut.model_validate(item).model_dump(mode="json")}
    if isinstance(item, Lead):
        return {"type": "lead", "lead": lead_out(item).model_dump(mode="json")}
    if isinstance(item, OutboxMessage):
        return {"type": "outbox", "message": OutboxOut.model_validate(item).model_dump(mode="json")}
    if isinstance(item, AuditEntry):
        return {"type": "audit", "entry": AuditOut.model_validate(item).model_dump(mode="json")}
    return None


def _fleet_message(backend: ConsoleBackend, event: FleetEvent) -> dict[str, Any] | None:
    """A dock's or drone's current view (state and availability together, so the console replaces
    one row instead of merging partial updates)."""
    if event.kind is FleetEventKind.DRONE_STATE and event.drone_id is not None:
        for drone in backend.drones():
            if drone.drone_id == event.drone_id:
                return {"type": "drone", "drone": DroneOut.of(drone).model_dump(mode="json")}
        return None
    if event.dock_id is not None:
        for dock in backend.docks():
            if dock.dock_id == event.dock_id:
                return {"type": "dock", "dock": DockOut.of(dock).model_dump(mode="json")}
    return None
