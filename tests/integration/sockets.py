"""Sockets for servers a test starts in its own process."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any


def listening_socket() -> socket.socket:
    """A TCP socket bound to a free port on 127.0.0.1 for uvicorn to serve on (``serve(sockets=...)``):
    the port is ours from the start, where finding a free port and binding it later leaves a window
    in which another process on a busy machine can take it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


async def wait_started(server: Any, task: asyncio.Task[Any], wait_s: float) -> None:
    """Return once the uvicorn ``server`` serving in ``task`` has started; fail if it stopped or
    took longer than ``wait_s``."""
    deadline = time.monotonic() + wait_s
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        assert not task.done(), "uvicorn stopped at start"
        await asyncio.sleep(0.01)
