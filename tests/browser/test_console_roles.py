"""Each role is offered exactly the actions it may use, on every panel of a busy console (a mission
under way, an alert waiting for approval, a lead to review, an incident, a dead outbox message, the
live view with a confirmed track), in headless Chromium over the API tests' backend: a viewer only
looks (the camera and the lead links), a dispatcher also approves and commands but gets nothing of
the admin panel, an admin gets everything."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright", reason="playwright is not installed (pip install -e .[dev])")

from playwright.async_api import Page, expect

from docks.protocol.payload import Detection
from tests.browser.conftest import Console, log_in
from tests.browser.test_console_live_view import live_frame, until
from tests.browser.test_console_readability import busy_scene

LOOKING = {"show-lead"}
DISPATCHING = LOOKING | {
    "approve-alert",
    "reject-alert",
    "approve-lead",
    "reject-lead",
    "hold",
    "goto",
    "return",
    "speak",
    "abort",
}
ADMINISTERING = DISPATCHING | {"admin-refresh", "retry", "issue-token", "revoke"}
OFFERED = {"viewer": LOOKING, "dispatcher": DISPATCHING, "admin": ADMINISTERING}

VISIBLE_ACTIONS = """() => [...document.querySelectorAll("button[data-action], a[data-action]")]
  .filter((e) => e.checkVisibility()).map((e) => e.dataset.action)"""


@pytest.mark.parametrize("role", ["viewer", "dispatcher", "admin"])
async def test_each_role_is_offered_only_what_it_may_do(console: Console, page: Page, role: str) -> None:
    drone_id, lead_id = await busy_scene(console)
    await log_in(page, console, role)
    await page.locator(f".layer-drones [data-key='{drone_id}']").click()
    await until(lambda: console.backend.relay.watching(drone_id) == 1, "the viewer reaches the relay")
    track = Detection(
        label="smoke", confidence=0.74, x=0.3, y=0.3, width=0.2, height=0.2, track_id=3, lead_id=lead_id
    )
    console.backend.relay.deliver(drone_id, live_frame("rgb", 1, (track,)))
    await expect(page.locator("#live-tracks li")).to_have_count(1)
    offered: set[str] = set(await page.evaluate(VISIBLE_ACTIONS))
    tabs = ["alerts", "missions", "incidents", "leads", "docks"] + (["admin"] if role == "admin" else [])
    admin_tab = page.locator(".tabs [data-tab=admin]")
    await (expect(admin_tab).to_be_visible() if role == "admin" else expect(admin_tab).to_be_hidden())
    for tab in tabs:
        await page.click(f".tabs [data-tab={tab}]")
        if tab == "alerts":
            await expect(page.locator("#panel-alerts .card")).to_have_count(1)
        if tab == "leads":
            await expect(page.locator("#panel-leads .card")).to_have_count(1)
        if tab == "missions" and not await page.locator("#panel-missions .card.mission.open").count():
            await page.locator("#panel-missions .card.mission header").first.click()
            await expect(page.locator("#panel-missions .timeline li").first).to_be_visible()
        if tab == "incidents":
            await page.locator("#panel-incidents .card header").last.click()
            await expect(page.locator("#panel-incidents .card.open")).to_have_count(1)
        if tab == "admin":
            await expect(page.locator("#admin-outbox tr[data-status=dead]")).to_have_count(1)
        offered |= set(await page.evaluate(VISIBLE_ACTIONS))
    assert offered == OFFERED[role], (sorted(offered - OFFERED[role]), sorted(OFFERED[role] - offered))
    # a viewer's click on the map launches nothing (no dialog); the others get the launch dialog
    box = await page.locator("#map").bounding_box()
    assert box is not None
    await page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    if role == "viewer":
        await page.wait_for_load_state("networkidle")
        await expect(page.locator("#confirm")).to_be_hidden()
    else:
        await expect(page.locator("#confirm")).to_be_visible()
