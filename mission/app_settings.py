"""``[drones]``: how ``skyloop serve`` reaches each drone (its MAVLink URL, system id, payload serial).

```toml
[drones.D01-UAV]
url = "udpin://0.0.0.0:14541"     # MAVSDK connection URL
system_id = 1                     # unique in the fleet
payload_serial = "PL-7F3A21"      # the payload computer's MQTT serial (default: the drone id)
```

The drone ids must be drones of the registered docks (``[district] docks``); the demo builds the
list from the sim world instead.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from fleet.drone_model import DroneSpec


class DroneLinkSettings(BaseModel):
    """One drone's connection."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(min_length=3, description="MAVSDK connection URL, e.g. udpin://0.0.0.0:14541")
    system_id: int = Field(1, ge=1, le=255)
    payload_serial: str | None = Field(None, min_length=1, max_length=64, description="default: the drone id")


def drone_specs(drones: dict[str, DroneLinkSettings]) -> list[DroneSpec]:
    """The fleet's :class:`DroneSpec` list; ValueError for a system id used twice.

    >>> [s.drone_id for s in drone_specs({"D1-UAV": DroneLinkSettings(url="udpin://0.0.0.0:14541")})]
    ['D1-UAV']
    """
    seen: dict[int, str] = {}
    for drone_id, d in drones.items():
        if d.system_id in seen:
            raise ValueError(f"[drones] {drone_id} and {seen[d.system_id]} share system_id {d.system_id}")
        seen[d.system_id] = drone_id
    return [DroneSpec(drone_id, d.url, d.system_id) for drone_id, d in drones.items()]


def payload_serials(drones: dict[str, DroneLinkSettings]) -> dict[str, str]:
    """Drone id → payload serial (the drone id where none is configured)."""
    return {drone_id: d.payload_serial or drone_id for drone_id, d in drones.items()}
