"""The console on the real demo stack (``skyloop demo`` in this process, the 16 reference docks): a
dispatcher signs in, launches by clicking the map and sees the planner's dock and ETA, the mission,
the dock turning busy, the coverage shrinking and the drone flying; then, over the scripted fire at
Long Lake, the drone's camera and a lead the review policy holds, approved in the Leads panel."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

pytest.importorskip("playwright", reason="playwright is not installed (pip install -e .[dev])")

from playwright.async_api import Page, expect

from tests.browser.conftest import DemoConsole, DemoRun, log_in, screen_point
from tests.e2e.conftest import get_json, until

LONG_LAKE_DOT = ".layer-landmarks g:has-text('Long Lake') .lm-dot"
#: Lead states from a dispatcher's approval on (the outbox and the grid STAND-IN move it on).
APPROVED_OR_LATER = {"approved", "delivered", "accepted", "dispatched", "resolved", "verified", "closed"}
#: The fire test's speed and weather. The payload confirms a lead after 3 sightings within 10 sim s
#: of each other; with 16 drones in one process a frame takes about a wall second, hence x5 (at x20
#: the frames are 20-50 sim s apart and nothing is ever confirmed). The drones fly at the sim
#: autopilot's 5 m/s cruise (the executor sets no speed), so the demo's 3 m/s wind blows from the
#: south-west here, behind D12 on its way to Long Lake.
FIRE_RUN = DemoRun(speed=5.0, wind_mps=3.0, wind_from_deg=225.0)


def all_available(docks: list[dict[str, Any]]) -> bool:
    return len(docks) == 16 and all(d["availability"]["available"] for d in docks)


async def launch_at_long_lake(page: Page, served: DemoConsole) -> tuple[dict[str, Any], dict[str, Any]]:
    """Click the Long Lake landmark and wait for the preview; returns the preview the console got and
    the planner's answer for the same point asked through the API."""
    target = await screen_point(page, LONG_LAKE_DOT)
    async with page.expect_response(lambda r: "/api/v1/missions/preview" in r.url) as answer:
        await page.mouse.click(target["x"], target["y"])
    response = await answer.value
    assert response.ok, await response.text()
    query = parse_qs(urlparse(response.url).query)
    await expect(page.locator("#confirm")).to_be_visible()
    await expect(page.locator("#preview-eta")).to_be_visible()
    lon, lat = query["lon"][0], query["lat"][0]
    planned = await get_json(served.api, f"/api/v1/missions/preview?lon={lon}&lat={lat}")
    return await response.json(), planned


async def screenshot_preferably_with_boxes(page: Page, path: Path, wall_s: float = 20.0) -> None:
    """The live view's screenshot, of a frame with the detector's boxes (its tracks listed under the
    picture) if one comes within ``wall_s``. The payload draws the tracks its last detection runs
    saw, so boxes come and go as the drone circles (payload/live_view.py)."""
    tracks, image = page.locator("#live-tracks li"), page.locator("#live-image")
    deadline = time.monotonic() + wall_s
    while time.monotonic() < deadline:
        seq = await image.get_attribute("data-seq")
        if await tracks.count() > 0:
            await page.screenshot(path=str(path))
            if await image.get_attribute("data-seq") == seq:
                return
        await asyncio.sleep(0.1)
    await page.screenshot(path=str(path))


async def dispatchers_mission(served: DemoConsole) -> dict[str, Any]:
    """The one mission the dispatcher launched (others may come from the scenario's alerts)."""
    missions = await until(
        lambda: get_json(served.api, "/api/v1/missions"),
        lambda ms: any(m["requested_by"] == "dispatcher-1" and m["dock_id"] for m in ms),
        10.0,
        "the dispatcher's mission, planned",
    )
    (mission,) = (m for m in missions if m["requested_by"] == "dispatcher-1")
    return dict(mission)


async def test_launch_by_click_busies_a_dock_and_shrinks_coverage(
    demo_console: DemoConsole, page: Page, shots: Path
) -> None:
    api = demo_console.api
    await until(lambda: get_json(api, "/api/v1/docks"), all_available, 30.0, "16 docks available")
    await log_in(page, demo_console)
    await expect(page.locator(".layer-docks .dock-ok")).to_have_count(16)
    summary = page.locator("#coverage-summary")
    await expect(summary).to_contain_text("16/16")
    covered_before = float(await summary.get_attribute("data-covered-fraction") or "nan")

    # the confirmation shows the planner's own dock and ETA for the clicked point
    shown, planned = await launch_at_long_lake(page, demo_console)
    dock = planned["dock_id"]
    assert dock == "D12"  # the nearest dock, 1.6 km south-west of the lake, all docks able
    assert shown["dock_id"] == dock
    await expect(page.locator("#preview-dock")).to_contain_text(dock)
    eta_s = int((await page.locator("#preview-eta").inner_text()).removesuffix(" s"))
    assert abs(eta_s - shown["eta_s"]) <= 1.0  # the console shows the planner's answer (rounded)
    # asked again a moment later, through the API: the docks' wind gusts meanwhile (the sim runs at x20)
    assert abs(shown["eta_s"] - planned["eta_s"]) <= max(10.0, 0.1 * planned["eta_s"])
    await expect(page.locator("#preview-rejected li")).to_have_count(4)
    await page.screenshot(path=str(shots / "console-launch.png"))
    await page.click("#confirm-ok")

    # the mission, from the dispatcher, in the store and in the panel
    mission = await dispatchers_mission(demo_console)
    assert mission["dock_id"] == dock
    await page.click(".tabs [data-tab=missions]")
    card = page.locator(f"#panel-missions .card.mission[data-id='{mission['id']}']")
    await expect(card).to_contain_text(dock)

    # the drone takes off and flies: its marker moves on the map, with a battery bar (first: at x20
    # a click-launch has watched its minute and come home while the coverage checks run on a busy CI)
    marker = page.locator(f".layer-drones [data-key='{mission['drone_id']}']")
    await expect(marker).to_have_count(1, timeout=30_000)
    await until(
        lambda: get_json(api, f"/api/v1/missions/{mission['id']}"),
        # at x20 a 15 m/s drone may already circle the lake when we look: it moves there too
        lambda d: d["mission"]["state"] in ("en_route", "on_scene", "supervising"),
        30.0,
        "the drone flying",
    )
    first = await marker.get_attribute("transform")
    await expect(marker).not_to_have_attribute("transform", first or "", timeout=20_000)
    bar = float(await marker.locator(".bat").get_attribute("width") or "nan")
    assert 0.0 < bar <= 20.0  # 20 px is a full battery

    # its dock is busy meanwhile: red on the map, and the coverage of the 15 others is smaller
    await expect(page.locator(f".layer-docks [data-key={dock}]")).to_have_class("dock dock-no")
    await expect(summary).to_contain_text("15/16", timeout=20_000)
    await page.wait_for_function(
        f"Number(document.querySelector('#coverage-summary').dataset.coveredFraction) < {covered_before}"
    )
    coverage = await get_json(api, "/api/v1/coverage")
    assert dock in coverage["unavailable"] and coverage["covered_fraction"] < covered_before
    await expect(page.locator(".layer-coverage path.uncovered")).to_have_count(1)

    # the mission's timeline and the 15 docks the planner passed over, each with its reason
    await card.locator("header").click()
    await expect(card.locator(".timeline li").first).to_be_visible()
    entries = await card.locator(".timeline li").all_inner_texts()
    # "9:05:40 PM en route → on scene (system)" -> "en route → on scene"
    transitions = [re.sub(r"^\S+( [AP]M)? ", "", e.split(" (")[0]) for e in entries if " → " in e]
    assert "requested → planned" in " ".join(entries)
    assert not [e for e in transitions if len(set(e.split(" → "))) == 1], entries  # no "x → x"
    rejected = card.locator(".rejected li")
    await expect(rejected).to_have_count(15)
    await card.locator("details summary").click()
    await expect(rejected.first).to_be_visible()
    await page.screenshot(path=str(shots / "console-missions.png"))


@pytest.mark.parametrize("demo_console", [FIRE_RUN], indirect=True)
async def test_fire_at_long_lake_live_view_and_a_lead_approved(
    demo_console: DemoConsole, page: Page, shots: Path
) -> None:
    api, world = demo_console.api, demo_console.demo.world
    await until(lambda: get_json(api, "/api/v1/docks"), all_available, 30.0, "16 docks available")
    world.start_scenario("fire-at-longhu")  # as `skyloop demo --scenario fire-at-longhu`
    await log_in(page, demo_console)
    _, planned = await launch_at_long_lake(page, demo_console)
    await page.click("#confirm-ok")
    mission = await dispatchers_mission(demo_console)
    assert mission["dock_id"] == planned["dock_id"]
    drone_id = mission["drone_id"]
    assert drone_id, mission

    # the drone's camera (a click on its marker), opened as it reaches the lake: rendered frames of
    # the scene, with the detector's boxes as the payload confirms what it sees
    await until(
        lambda: get_json(api, f"/api/v1/missions/{mission['id']}"),
        lambda d: d["mission"]["state"] not in ("requested", "planned", "launching", "en_route"),
        120.0,
        "the drone at the lake",
    )
    marker = page.locator(f".layer-drones [data-key='{drone_id}']")
    await marker.click(force=True)  # it circles: no waiting for it to stand still
    await expect(page.locator("#live-view")).to_be_visible()
    await expect(page.locator("#live-title")).to_contain_text(drone_id)
    await expect(page.locator("#live-image")).to_be_visible(timeout=30_000)
    await page.wait_for_function("document.querySelector('#live-image').naturalWidth > 0")
    await expect(page.locator("#live-status")).to_contain_text("RGB")
    await screenshot_preferably_with_boxes(page, shots / "console-live-view.png")
    await page.click("#live-close")
    await expect(page.locator("#live-view")).to_be_hidden()

    # The video AI raises the fire meanwhile: mission control hands the airborne drone over to that
    # more urgent incident (the [missions.retask] policy), so its leads may belong to that mission.
    # On scene the payload sees the rendered fire; its hot spot and the weaker smoke are classes the
    # review policy holds ([leads.review] sends only fire and smoke >= 0.8 on their own).
    # A click-launch (a manual incident) detects every class the payload has, so other leads may be
    # held too (the stationary-object detector has reported the burning spot); this one is the fire's.
    def waiting(lead: dict[str, Any]) -> bool:
        return bool(
            lead["status"] == "pending_review"
            and lead["drone_id"] == drone_id
            and lead["class_name"] in ("hot_spot", "smoke", "fire")
        )

    leads = await until(
        lambda: get_json(api, "/api/v1/leads"),
        lambda ls: any(map(waiting, ls)),
        90.0,
        "a fire lead to review",
    )
    lead = next(filter(waiting, leads))
    assert lead["frames_confirmed"] >= 3

    # the lead in the Leads panel, with its snapshot; the dispatcher approves it
    await page.click(".tabs [data-tab=leads]")
    card = page.locator(f"#panel-leads .card[data-id='{lead['id']}']")
    await expect(card).to_contain_text(lead["class_name"].replace("_", " "), ignore_case=True)
    await page.wait_for_function(
        f"document.querySelector(`#panel-leads .card[data-id='{lead['id']}'] img.snapshot`)?.naturalWidth > 0"
    )
    await page.screenshot(path=str(shots / "console-leads.png"))
    await card.locator("[data-action=approve-lead]").click()
    await expect(card.locator(".status")).not_to_have_attribute("data-status", "pending_review")
    stored = await get_json(api, f"/api/v1/leads/{lead['id']}")
    assert stored["status"] in APPROVED_OR_LATER and stored["reviewed_by"] == "dispatcher-1"

    # the overview: two drones at work (the video AI's fire alert launched another dock), the
    # coverage of the 14 docks left, the incidents and the leads on the map
    await page.click(".tabs [data-tab=missions]")
    await expect(page.locator("#panel-missions .card.mission").first).to_be_visible()
    await page.screenshot(path=str(shots / "console-overview.png"))

    await page.click(".tabs [data-tab=docks]")
    await expect(page.locator("#panel-docks table.docks tbody tr")).to_have_count(16)
    await expect(page.locator(f"#panel-docks tr[data-id={mission['dock_id']}] .why")).to_contain_text("busy")
    await page.screenshot(path=str(shots / "console-docks.png"))
