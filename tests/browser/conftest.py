"""Browser tests of the web console: Debian's ``chromium`` driven by Playwright (its own browser is
never downloaded), against one of two servers on 127.0.0.1:

- ``console``: uvicorn serving ``create_app`` over the API tests' backend (a real FleetManager with
  the 16 reference docks and geo's coverage, everything else fake);
- ``demo_console``: the real demo stack of ``skyloop demo`` (:class:`mission.app_demo.DemoStack`:
  the 16 reference docks over MQTT, sim drones flown through MAVSDK, payload agents, the store,
  planner and coverage), sped up, with dispatcher and viewer tokens issued in its store.

Skipped, with the reason, when chromium or Playwright is missing. Screenshots go to a temporary
directory, or to ``$SKYLOOP_CONSOLE_SCREENSHOTS`` (e.g. ``docs/img``) when set."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
import uvicorn

from mission.api.app import create_app
from mission.api.auth import issue_token
from mission.api_settings import ApiSettings
from mission.app_demo import DemoOptions, DemoStack
from mission.app_sim import SimOptions
from mission.model import Role
from mission.settings import load_settings
from tests.e2e.test_shutdown import bindable
from tests.integration.api.conftest import ADMIN_TOKEN
from tests.integration.api.console_fakes import TestBackend
from tests.integration.api.test_api_uvicorn import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}

try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]


def chromium_path() -> str:
    return CHROMIUM if os.path.exists(CHROMIUM) else str(shutil.which("chromium"))


def skip_without_browser() -> None:
    if async_playwright is None:
        pytest.skip("playwright is not installed (pip install -e .[dev])")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")


class Served(Protocol):
    """A console to sign in to: its URL and a token per role."""

    url: str
    tokens: dict[str, str]


@dataclass
class Console:
    """The served console: its URL, the backend behind it, tokens per role and the server."""

    url: str
    backend: TestBackend
    tokens: dict[str, str]
    server: uvicorn.Server
    task: asyncio.Task[None]

    async def stop_server(self) -> None:
        self.server.should_exit = True
        await asyncio.wait_for(self.task, 10.0)

    async def start_server(self) -> None:
        """Serve the same app (and backend) on the same port again."""
        self.server = uvicorn.Server(self.server.config)
        self.task = asyncio.create_task(self.server.serve())
        await wait_started(self.server, self.task)


async def wait_started(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    deadline = time.monotonic() + 10.0
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        assert not task.done(), "uvicorn stopped at start"
        await asyncio.sleep(0.01)


@pytest.fixture
async def console() -> AsyncIterator[Console]:
    skip_without_browser()
    backend = TestBackend()
    backend.feed_healthy_docks()
    tokens = {"admin": ADMIN_TOKEN}
    for role in (Role.VIEWER, Role.DISPATCHER):
        _, tokens[role.value] = await issue_token(backend.store, f"{role.value}-1", role)
    port = free_port()
    app = create_app(backend, ApiSettings(port=port, heartbeat_s=30.0), bootstrap_token=ADMIN_TOKEN)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    await wait_started(server, task)
    served = Console(f"http://127.0.0.1:{port}/", backend, tokens, server, task)
    try:
        yield served
    finally:
        if not served.task.done():
            await served.stop_server()


DEMO_ADMIN_TOKEN = "browser-demo-admin-token-0123456789"


@dataclass(frozen=True)
class DemoRun:
    """How the demo runs for a test (``@pytest.mark.parametrize("demo_console", [DemoRun(...)],
    indirect=True)``); times are sim seconds."""

    speed: float = 20.0
    wind_mps: float = 3.0
    wind_from_deg: float = 45.0
    battery_pct: float | None = 95.0
    """Every drone's charge at start (None: the demo's own variety, several docks then charging)."""


@dataclass
class DemoConsole:
    """The running demo stack: the console's URL, tokens per role and an admin API client."""

    url: str
    demo: DemoStack
    tokens: dict[str, str]
    api: httpx.AsyncClient


@pytest.fixture
async def demo_console(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DemoConsole]:
    """``skyloop demo`` in this process: the 16 reference docks, the embedded broker, a free port."""
    skip_without_browser()
    run: DemoRun = getattr(request, "param", DemoRun())
    sim = SimOptions(
        speed=run.speed, wind_mps=run.wind_mps, wind_from_deg=run.wind_from_deg, battery_pct=run.battery_pct
    )
    options = DemoOptions(
        sim=sim, port=0, token=DEMO_ADMIN_TOKEN, store_url=f"sqlite:///{tmp_path / 'skyloop.db'}"
    )
    async with DemoStack(load_settings(), options) as demo:
        assert demo.control is not None and demo.control.store is not None
        port = demo.control.port
        tokens = {"admin": demo.token}
        for role in (Role.VIEWER, Role.DISPATCHER):
            _, tokens[role.value] = await issue_token(demo.control.store, f"{role.value}-1", role)
        headers = {"Authorization": f"Bearer {demo.token}"}
        async with httpx.AsyncClient(base_url=demo.url, headers=headers, timeout=30.0) as api:
            yield DemoConsole(f"{demo.url}/", demo, tokens, api)
    assert bindable(port), f"the demo's API still listens on {port} after the stack stopped"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    skip_without_browser()
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    p = await context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield p
    finally:
        await context.close()
    assert not errors, f"JavaScript errors in the console: {errors}"


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    target = os.environ.get("SKYLOOP_CONSOLE_SCREENSHOTS")
    out = Path(target) if target else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    return out


async def log_in(page: Page, console: Served, role: str = "dispatcher") -> None:
    """Open the console, sign in with the role's token and wait for the 16 docks on the map."""
    await page.goto(console.url)
    await page.fill("#token", console.tokens[role])
    await page.click("#login-form button[type=submit]")
    await page.wait_for_function("document.querySelectorAll('.layer-docks [data-kind=dock]').length === 16")
    await page.wait_for_selector("#coverage-summary[data-covered-fraction]")


async def screen_point(page: Page, selector: str) -> dict[str, Any]:
    """The on-screen centre of an SVG element."""
    box = await page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not on screen"
    return {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
