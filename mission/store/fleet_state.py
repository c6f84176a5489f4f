"""The fleet manager's :class:`fleet.ports.FleetStateStore` kept in the mission store.

The snapshot is stored as :mod:`fleet.snapshot_codec`'s versioned JSON document (the same shape as
the JSON-file store), in the ``fleet_state`` table; errors come out as ``FleetStoreError``.
"""

from __future__ import annotations

from fleet.model import FleetSnapshot
from fleet.ports import FleetStateStore
from fleet.snapshot_codec import FleetStoreError, snapshot_from_data, snapshot_to_data
from mission.ports import MissionStore, StoreError


class SqlFleetStateStore:
    """Adapts a :class:`~mission.ports.MissionStore` to the fleet's state-store port."""

    def __init__(self, store: MissionStore) -> None:
        self._store = store

    async def load(self) -> FleetSnapshot | None:
        try:
            document = await self._store.load_fleet_state()
        except StoreError as exc:
            raise FleetStoreError(f"fleet state in the mission store: {exc}") from None
        if document is None:
            return None
        return snapshot_from_data(document, where="fleet state in the mission store")

    async def save(self, snapshot: FleetSnapshot) -> None:
        try:
            await self._store.save_fleet_state(snapshot_to_data(snapshot))
        except StoreError as exc:
            raise FleetStoreError(f"fleet state in the mission store: {exc}") from None


def _conforms(store: SqlFleetStateStore) -> FleetStateStore:
    """Never called: mypy checks here that the class implements the port."""
    return store
