"""Send one command to many drones at once and get one outcome per drone (None = accepted), so that
one drone's failure never hides or blocks another's result."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from fleet.errors import DroneError
from fleet.ports import DroneLink


async def command_all(
    links: Sequence[DroneLink], command: Callable[[DroneLink], Awaitable[object]]
) -> dict[str, DroneError | None]:
    """Run ``command(link)`` for every link concurrently; typed drone errors become outcomes, anything
    else (a bug) is raised after all commands have finished."""

    async def one(link: DroneLink) -> DroneError | None:
        try:
            await command(link)
        except DroneError as exc:
            return exc
        return None

    results = await asyncio.gather(*(one(link) for link in links))
    return {link.drone_id: result for link, result in zip(links, results, strict=True)}
