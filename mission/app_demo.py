"""The demo stack in one block: the sim world, the grid platform STAND-IN and mission control.

``async with DemoStack(settings, DemoOptions(speed=20, dock_count=4)) as demo`` brings up
:class:`mission.app_sim.SimWorld` (broker, docks, drones, payload agents, alert sources), a
:class:`sim.grid_platform.GridPlatformStandIn` (clearly a stand-in: it fails its first two
deliveries, then answers each lead with signed accepted → dispatched → resolved callbacks) and
:class:`mission.app.MissionControl` on the sim's broker, drones and clock, with ``[leads.grid]``
pointed at the stand-in and the stand-in's callbacks at mission control. ``demo.url`` is the API,
``demo.token`` the admin token. Leaving the block stops mission control, then the stand-in, then
the world. The ``skyloop demo`` command and the end-to-end tests use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import tempfile
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from mission.app import MissionControl, new_admin_token
from mission.app_fleet import build_registry
from mission.app_sim import SimOptions, SimWorld
from mission.settings import Settings
from sim.grid_platform import GridPlatformStandIn, StandInConfig

log = logging.getLogger(__name__)

#: Sim seconds after a new lead at which the stand-in calls back. "resolved" comes after the
#: scripted fire of ``fire-at-longhu`` is out (1210 s), so the revisit finds the scene clear.
DEMO_CALLBACK_DELAYS_S = {"accepted": 5.0, "dispatched": 30.0, "resolved": 1260.0}


@dataclass(frozen=True)
class DemoOptions:
    sim: SimOptions = field(default_factory=SimOptions)
    port: int = 8000
    token: str | None = None
    """The admin token (None: a generated one)."""
    store_url: str | None = None
    """None: a fresh SQLite file in a temporary folder."""
    grid_fail_first: int = 2
    callback_delays_s: dict[str, float] = field(default_factory=lambda: dict(DEMO_CALLBACK_DELAYS_S))
    verify_look_s: float = 30.0


class DemoStack:
    """See the module docstring."""

    def __init__(self, settings: Settings, options: DemoOptions | None = None) -> None:
        self.options = o = options or DemoOptions()
        self.base_settings = settings
        self.token = o.token or new_admin_token()
        self.world = SimWorld(settings, o.sim)
        secret, callback_secret = secrets.token_hex(16), secrets.token_hex(16)
        self.grid = GridPlatformStandIn(
            StandInConfig(
                secret=secret,
                callback_secret=callback_secret,
                fail_first=o.grid_fail_first,
                callback_delays_s=dict(o.callback_delays_s),
                speed=o.sim.speed,
            )
        )
        self._secrets = (secret, callback_secret)
        self.control: MissionControl | None = None
        self.settings = settings
        self._stack = AsyncExitStack()
        self._task: asyncio.Task[None] | None = None
        self.store_url = ""

    @property
    def url(self) -> str:
        if self.control is None:
            raise RuntimeError("the demo is not running")
        return self.control.url

    async def __aenter__(self) -> DemoStack:
        try:
            await self._start()
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _start(self) -> None:
        o = self.options
        await self._stack.enter_async_context(self.world)
        await self._stack.enter_async_context(self.grid)
        store_url = o.store_url
        if store_url is None:
            folder = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="skyloop-demo-")))
            store_url = f"sqlite:///{folder / 'skyloop.db'}"
        self.store_url = store_url
        await self._start_control(o.port)

    async def _start_control(self, port: int) -> None:
        o, world = self.options, self.world
        assert world.url is not None
        control = MissionControl(
            self.base_settings,  # with the grid settings once the port is known (below)
            world.url,
            world.drone_specs(),
            registry=build_registry(self.base_settings, only=world.dock_ids),
            clock=world.clock,
            host="127.0.0.1",
            port=port,
            store_url=self.store_url,
            bootstrap_token=self.token,
            verify_look_s=o.verify_look_s,
        )
        self.settings = control.settings = self._with_grid(control.url)
        self.control = control
        self._task = asyncio.create_task(control.run(), name="mission-control")
        ready = asyncio.create_task(control.ready.wait())
        await asyncio.wait({self._task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if not control.ready.is_set():
            ready.cancel()
            await self._task  # raises what stopped it
            raise RuntimeError("mission control stopped while starting")

    async def restart_control(self) -> MissionControl:
        """Stop mission control as a crash would leave things (the drones fly on, the store keeps
        what was written) and start a new one on the same store and port; it recovers the
        unfinished missions."""
        assert self.control is not None
        port = self.control.port
        await self._stop_control()
        await self._start_control(port)
        return self.control

    def _with_grid(self, api_url: str) -> Settings:
        """The settings with ``[leads.grid]`` pointed at the stand-in and back at ``api_url``."""
        s = self.base_settings
        secret, callback_secret = self._secrets
        grid = s.leads.grid.model_copy(
            update={
                "webhook_url": self.grid.webhook_url,
                "secret": SecretStr(secret),
                "callback_url": f"{api_url}/api/v1/grid/callbacks",
                "callback_secret": SecretStr(callback_secret),
            }
        )
        return s.model_copy(update={"leads": s.leads.model_copy(update={"grid": grid})})

    async def aclose(self) -> None:
        await self._stop_control()
        await self._stack.aclose()

    async def _stop_control(self) -> None:
        if self.control is not None and self._task is not None:
            self.control.stop()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._task), 30.0)
            if not self._task.done():
                self._task.cancel()
                with contextlib.suppress(BaseException):
                    await self._task
        self._task = None

    def endpoints(self) -> list[str]:
        return [
            *self.world.endpoints(),
            f"grid platform STAND-IN (not a real platform)  {self.grid.webhook_url}",
        ]

    def status(self) -> dict[str, Any]:
        """What the stand-in got and sent, for the demo's log."""
        return {
            "posts": self.grid.posts,
            "failed_on_purpose": self.grid.failed,
            "leads": len(self.grid.leads()),
            "callbacks_sent": len(self.grid.callbacks_sent),
        }
