"""Wire the fleet manager to its sources: the dock network (a :class:`docks.ports.DockLink`) and each
drone's :class:`fleet.ports.DroneLink`. Messages from devices not in the registry are ignored."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Protocol

from docks.ports import DockLink
from docks.protocol import Channel, DeviceStatus, DockOsd, Hms, Message
from fleet.drone_model import DroneTelemetry, DroneUpdate, LinkEvent
from fleet.manager import FleetManager


class DroneTelemetrySource(Protocol):
    """The part of :class:`fleet.ports.DroneLink` the fleet manager reads."""

    def telemetry(self) -> DroneTelemetry: ...

    def subscribe(self) -> AsyncIterator[DroneUpdate]: ...


def dock_listener(manager: FleetManager) -> Callable[[Message], None]:
    """A DockLink listener feeding dock OSD, online status and health alerts into ``manager``."""

    def on_message(message: Message) -> None:
        body = message.body
        if message.channel is Channel.OSD and isinstance(body, DockOsd):
            manager.ingest_osd(message.sn, body)
        elif message.channel is Channel.STATUS and isinstance(body, DeviceStatus):
            manager.ingest_status(message.sn, body.online)
        elif message.channel is Channel.EVENTS and isinstance(body, Hms):
            manager.ingest_hms(message.sn, body.alerts)

    return on_message


def attach_dock_link(manager: FleetManager, link: DockLink) -> Callable[[], None]:
    """Feed everything ``link`` receives into ``manager``; returns the function that detaches it."""
    return link.add_listener(dock_listener(manager))


async def follow_drone(manager: FleetManager, link: DroneTelemetrySource) -> None:
    """Feed one drone's telemetry and link events into ``manager`` until cancelled (run it in the
    application's TaskGroup, one per drone)."""
    manager.ingest_drone(link.telemetry())
    async for update in link.subscribe():
        if isinstance(update, DroneTelemetry):
            manager.ingest_drone(update)
        elif isinstance(update, LinkEvent):
            manager.ingest_link_event(update)
