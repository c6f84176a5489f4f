"""One vehicle's MAVLink v2 UDP endpoint (pymavlink codec on an asyncio datagram socket).

Like PX4 SITL the vehicle binds its own port and pushes to the GCS port (MAVSDK ``udpin://``); it
answers whoever last sent it a packet, so ``udpout://`` clients work as well. This is the only module
of the vehicle that does I/O. ``cut`` simulates a radio link loss: nothing is sent or received.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import cast

from pymavlink.dialects.v20 import common as mavlink2
from pymavlink.dialects.v20.common import MAVLink_message as MavMessage

log = logging.getLogger(__name__)

__all__ = ["MavMessage", "MavlinkEndpoint"]


class MavlinkEndpoint(asyncio.DatagramProtocol):
    """Encode with :attr:`mav` (``ep.send(ep.mav.heartbeat_encode(...))``); decoded messages go to
    ``on_message``. Exceptions in the handler are logged, never kill the endpoint."""

    def __init__(self, sysid: int, compid: int, on_message: Callable[[MavMessage], None]) -> None:
        self.mav = mavlink2.MAVLink(None, srcSystem=sysid, srcComponent=compid)
        self.mav.robust_parsing = True
        self._parser = mavlink2.MAVLink(None, srcSystem=sysid, srcComponent=compid)
        self._parser.robust_parsing = True
        self._on_message = on_message
        self._transport: asyncio.DatagramTransport | None = None
        self.remote: tuple[str, int] | None = None
        self.cut = False
        self.sent_count = 0
        self.received_count = 0

    @property
    def local_port(self) -> int:
        if self._transport is None:
            raise RuntimeError("endpoint not open")
        return int(self._transport.get_extra_info("sockname")[1])

    async def open(self, host: str, port: int, remote: tuple[str, int] | None) -> None:
        """Bind ``host:port`` (0 = any free port) and push to ``remote`` until someone else talks."""
        loop = asyncio.get_running_loop()
        self.remote = remote
        await loop.create_datagram_endpoint(lambda: self, local_addr=(host, port))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def send(self, msg: MavMessage) -> None:
        if self.cut or self._transport is None or self.remote is None:
            return
        try:
            self._transport.sendto(msg.pack(self.mav), self.remote)
            self.sent_count += 1
        except OSError as exc:  # e.g. nobody listening yet (ICMP unreachable): keep going
            log.debug("send failed: %s", exc)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.cut:
            return
        try:
            msgs = self._parser.parse_buffer(data) or []
        except Exception:  # a bad datagram must not kill the vehicle
            log.debug("unparsable datagram from %s", addr)
            return
        for msg in msgs:
            if msg.get_type() == "BAD_DATA":
                continue
            self.remote = addr
            self.received_count += 1
            try:
                self._on_message(msg)
            except Exception:
                log.exception("handling %s failed", msg.get_type())

    def error_received(self, exc: Exception) -> None:
        log.debug("socket error: %s", exc)
