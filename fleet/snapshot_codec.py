"""The fleet snapshot as plain JSON-able data, versioned, validated on the way back in.

Shared by every :class:`fleet.ports.FleetStateStore` implementation (the JSON file here, mission's
SQL store later), so the stored shape is defined once.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from fleet.model import FleetSnapshot

#: Bump when the stored shape changes incompatibly; older files are then refused, not misread.
SCHEMA_VERSION = 1

_ADAPTER: TypeAdapter[FleetSnapshot] = TypeAdapter(FleetSnapshot)


class FleetStoreError(Exception):
    """Stored fleet state cannot be read or written; the message says where and why."""


def snapshot_to_data(snapshot: FleetSnapshot) -> dict[str, Any]:
    """JSON-able dict with a ``schema`` version."""
    data: dict[str, Any] = _ADAPTER.dump_python(snapshot, mode="json")
    return {"schema": SCHEMA_VERSION, **data}


def snapshot_from_data(data: object, where: str = "fleet state") -> FleetSnapshot:
    """Validate stored data back into a snapshot; :class:`FleetStoreError` names the first problem."""
    if not isinstance(data, dict):
        raise FleetStoreError(f"{where}: expected a JSON object, got {type(data).__name__}")
    version = data.get("schema")
    if version != SCHEMA_VERSION:
        raise FleetStoreError(f"{where}: schema version {version!r}, this build reads {SCHEMA_VERSION}")
    body = {k: v for k, v in data.items() if k != "schema"}
    try:
        return _ADAPTER.validate_python(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise FleetStoreError(f"{where}: {loc}: {first['msg']}") from None
