"""The fleet link's bookkeeping on a real ``Mavsdk`` object (no vehicle needed): refused registrations
are typed errors, a removed drone frees its port, lookups of unknown drones fail."""

from __future__ import annotations

import socket

import pytest

from fleet.drone_model import DroneSpec, LinkState
from fleet.errors import ConnectError, DroneOffline, InvalidCommand, UnknownDrone
from fleet.flight_settings import FlightSettings
from fleet.mavsdk_fleet import MavsdkFleet

from .conftest import free_udp_ports


async def test_registrations_are_checked_and_removal_frees_the_port() -> None:
    port, other = free_udp_ports(2)
    async with MavsdkFleet(FlightSettings(max_drones=2)) as fleet:
        link = await fleet.add_drone(DroneSpec("a", f"udpin://127.0.0.1:{port}", 1))
        assert fleet.drone("a") is link and fleet.drone_ids == ["a"]
        assert link.link_state is LinkState.CONNECTING
        with pytest.raises(InvalidCommand, match="already in the fleet"):
            await fleet.add_drone(DroneSpec("a", f"udpin://127.0.0.1:{other}", 2))
        with pytest.raises(InvalidCommand, match="already used by a"):
            await fleet.add_drone(DroneSpec("b", f"udpin://127.0.0.1:{other}", 1))
        for sysid in (0, 245, 255, 300):
            with pytest.raises(InvalidCommand, match="system id"):
                await fleet.add_drone(DroneSpec("b", f"udpin://127.0.0.1:{other}", sysid))
        with pytest.raises(ConnectError, match="CONNECTION_URL_INVALID"):
            await fleet.add_drone(DroneSpec("b", f"udpin://:{other}", 2))  # MAVSDK 3 style, invalid in 4
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
            taken.bind(("127.0.0.1", 0))
            with pytest.raises(ConnectError, match="BIND_ERROR"):
                await fleet.add_drone(DroneSpec("b", f"udpin://127.0.0.1:{taken.getsockname()[1]}", 2))
        assert fleet.drone_ids == ["a"]  # refused registrations left nothing behind
        await fleet.add_drone(DroneSpec("b", f"udpin://127.0.0.1:{other}", 2))
        with pytest.raises(InvalidCommand, match="full"):
            await fleet.add_drone(DroneSpec("c", "udpin://127.0.0.1:1", 3))

        await fleet.remove_drone("a")
        with pytest.raises(UnknownDrone):
            fleet.drone("a")
        assert link.link_state is LinkState.CLOSED
        with pytest.raises(DroneOffline):
            await link.arm()
        again = await fleet.add_drone(DroneSpec("a2", f"udpin://127.0.0.1:{port}", 1))  # port is free again
        with pytest.raises(DroneOffline, match="no heartbeat"):
            await again.connect(timeout_s=0.2)
    await fleet.close()  # closing twice is harmless; a closed fleet link cannot be reused
    with pytest.raises(RuntimeError, match="closed"):
        await fleet.add_drone(DroneSpec("d", f"udpin://127.0.0.1:{port}", 4))
