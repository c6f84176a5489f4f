"""The dispatcher's console in headless Chromium: sign in, the 16 docks, a launch by clicking the
map, the coverage layer following a busy dock, a lead approved, a drone moving, the link-lost
banner, and what a viewer is not offered."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

pytest.importorskip("playwright", reason="playwright is not installed (pip install -e .[dev])")

from playwright.async_api import Page, expect

from fleet.model import DockActivity, DroneState
from geo.model import Wind
from mission.api.backend import CommandKind, OperatorCommand
from mission.model import Lead, LeadStatus
from tests.browser.conftest import Console, log_in, screen_point
from tests.unit.fleet.fleet_helpers import healthy_dock

REPO = Path(__file__).resolve().parents[2]


def landmark(name_part: str) -> tuple[float, float]:
    fc = json.loads((REPO / "config/district.geojson").read_text(encoding="utf-8"))
    for f in fc["features"]:
        if f["properties"].get("role") == "landmark" and name_part in f["properties"]["name"]:
            lon, lat = f["geometry"]["coordinates"]
            return float(lon), float(lat)
    raise AssertionError(f"no landmark {name_part!r}")


def jpeg() -> bytes:
    """A 64×48 picture: a warm blob on a dark background."""
    image = np.zeros((48, 64, 3), np.uint8)
    cv2.circle(image, (32, 24), 10, (40, 120, 255), -1)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return bytes(data)


def sent_mission_id(console: Console) -> str:
    """The id of the one mission the backend launched."""
    ids = list(console.backend.store.missions)
    assert len(ids) == 1
    return str(ids[0])


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    k = math.radians(1) * 6371008.8
    return math.hypot((a[0] - b[0]) * k * math.cos(math.radians(a[1])), (a[1] - b[1]) * k)


async def test_login_shows_every_dock_with_availability(console: Console, page: Page, shots: Path) -> None:
    await page.goto(console.url)
    await page.fill("#token", "sky_wrong-token")
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#login-error")).to_contain_text("unknown token")
    await log_in(page, console)
    assert await page.locator(".layer-docks .dock-ok").count() == 16
    await expect(page.locator("#who")).to_have_text("dispatcher-1 · dispatcher")
    await page.click(".tabs [data-tab=docks]")
    assert await page.locator("table.docks tbody tr").count() == 16
    # Chinese labels, switchable
    await page.click("#lang")
    await expect(page.locator(".tabs [data-tab=docks] span")).to_have_text("机场")
    await expect(page.locator("table.docks tbody tr").first).to_contain_text("空闲")  # idle
    await page.screenshot(path=str(shots / "console-zh.png"))
    await page.click("#lang")
    await expect(page.locator(".tabs [data-tab=docks] span")).to_have_text("Docks")


async def test_launch_to_a_clicked_point(console: Console, page: Page) -> None:
    await log_in(page, console)
    station = landmark("Zhengzhou East")
    target = await screen_point(page, ".layer-landmarks g:has-text('Zhengzhou East') .lm-dot")
    await page.mouse.click(target["x"], target["y"])
    dialog = page.locator("#confirm")
    await expect(dialog).to_be_visible()
    # the station sits inside its own keep-out zone (config/keepout.geojson): the dialog says so,
    # and the planner's preview sends nothing there (every dock rejected for the keep-out)
    await expect(page.locator("#confirm-body .keepout-warning")).to_be_visible()
    await expect(page.locator("#preview-promise")).to_have_attribute("data-breached", "true")
    await expect(page.locator("#preview-rejected li").first).to_contain_text("keep-out")
    await page.click("#confirm-ok")
    await expect(page.locator("#panel-missions .card.mission")).to_have_count(1)
    launches = [c for c in console.backend.commands if c.kind is CommandKind.LAUNCH]
    assert len(launches) == 1
    sent = launches[0]
    assert sent.lon_deg is not None and sent.lat_deg is not None
    assert sent.actor == "dispatcher-1"
    # one screen pixel at the default zoom is ~30 m: the click lands on the landmark it aimed at
    assert distance_m((sent.lon_deg, sent.lat_deg), station) < 150.0
    await page.click("#panel-missions .card.mission header")
    await expect(page.locator("#panel-missions .rejected li")).to_have_count(1)
    # a new point for the mission: "Go to…", then a click on another landmark
    lake = landmark("Longzi Lake")
    await page.click("#panel-missions [data-action=goto]")
    target = await screen_point(page, ".layer-landmarks g:has-text('Longzi Lake') .lm-dot")
    await page.mouse.click(target["x"], target["y"])
    await page.click("#confirm-ok")
    await expect(page.locator("#toast")).to_contain_text("Go to")
    gotos = [c for c in console.backend.commands if c.kind is CommandKind.GOTO]
    assert len(gotos) == 1 and gotos[0].mission_id == sent_mission_id(console)
    assert gotos[0].lon_deg is not None and gotos[0].lat_deg is not None
    assert distance_m((gotos[0].lon_deg, gotos[0].lat_deg), lake) < 150.0


async def test_launch_preview_shows_the_planners_dock_and_eta(console: Console, page: Page) -> None:
    console.backend.wind = Wind.unknown_direction(4.0)  # the docks report only the speed
    await log_in(page, console)
    lake = landmark("Longzi Lake")
    target = await screen_point(page, ".layer-landmarks g:has-text('Longzi Lake') .lm-dot")

    async def preview_shown() -> tuple[str, str]:
        await page.mouse.click(target["x"], target["y"])
        await expect(page.locator("#confirm")).to_be_visible()
        await expect(page.locator("#preview-eta")).to_be_visible()
        dock = (await page.locator("#preview-dock").inner_text()).split()[0]
        eta = await page.locator("#preview-eta").inner_text()
        return dock, eta

    dock, eta = await preview_shown()
    planned = await console.backend.preview_launch(*lake)  # the planner, at the landmark itself
    assert dock == planned.dock_id and planned.eta_s is not None
    assert abs(int(eta.removesuffix(" s")) - planned.eta_s) < 15.0  # the click is within ~30 m
    breached = await page.locator("#preview-promise").get_attribute("data-breached")
    assert breached == str(planned.promise_breached).lower()
    assert await page.locator("#preview-rejected li").count() == 4  # the nearest 4 of 15 not chosen
    await expect(page.locator("#preview-wind")).to_have_text("4.0 m/s, direction unknown (worst case)")
    await page.click("#confirm-cancel")
    assert console.backend.store.missions == {} and console.backend.commands == []
    # that dock busy: the next preview names another dock and says why the first was passed over
    console.backend.manager.assign(dock, "M-elsewhere")
    second, _ = await preview_shown()
    assert second != dock
    await expect(page.locator(f"#preview-rejected li[data-dock={dock}]")).to_be_visible()
    await page.click("#confirm-cancel")


async def test_coverage_layer_follows_a_busy_dock(console: Console, page: Page, shots: Path) -> None:
    await log_in(page, console)
    summary = page.locator("#coverage-summary")
    before = float(await summary.get_attribute("data-covered-fraction") or "nan")
    manager, now_s = console.backend.manager, console.backend.clock.now_s()
    for dock_id in ("D01", "D02", "D03"):
        manager.put_dock_state(
            healthy_dock(dock_id, now_s, activity=DockActivity.WORKING, drone_in_dock=False)
        )
    await expect(page.locator(".layer-docks .dock-no")).to_have_count(3)
    await page.wait_for_function(
        f"Number(document.querySelector('#coverage-summary').dataset.coveredFraction) < {before}"
    )
    assert await page.locator(".layer-coverage path.uncovered").count() == 1
    await page.hover(".layer-docks [data-key=D01]")
    await expect(page.locator("#tooltip")).to_be_visible()
    await expect(page.locator("#tooltip")).to_contain_text("unavailable")
    # a click on a dock shows its row, with why it cannot launch, and launches nothing
    await page.click(".layer-docks [data-key=D01]")
    await expect(page.locator("#panel-docks tr[data-id=D01] .why")).to_contain_text("busy")
    assert await page.locator("#confirm").is_hidden()
    await page.screenshot(path=str(shots / "console-coverage-busy.png"))
    # stronger wind at a dock that stays available: the console asks for coverage again
    await page.wait_for_load_state("networkidle")  # the busy docks' coverage requests are over
    async with page.expect_request(lambda r: "/api/v1/coverage" in r.url, timeout=10_000):
        manager.put_dock_state(
            healthy_dock("D09", now_s, weather=replace(healthy_dock("D09", now_s).weather, wind_mps=7.5))
        )
    await expect(page.locator(".layer-docks [data-key=D09]")).to_have_class("dock dock-ok")


async def test_a_lead_is_approved(console: Console, page: Page) -> None:
    lon, lat = landmark("Long Lake")
    lead = Lead(
        None,
        None,
        "D05-UAV",
        "person",
        0.81,
        lon,
        lat,
        12.0,
        status=LeadStatus.PENDING_REVIEW,
        snapshot_jpeg=jpeg(),
    )
    await console.backend.store.add_lead(lead)
    await log_in(page, console)
    await page.click(".tabs [data-tab=leads]")
    card = page.locator(f"#panel-leads .card[data-id='{lead.id}']")
    await expect(card).to_contain_text("person")
    await expect(card).to_contain_text("81%")
    # the snapshot needs the token: fetched with it and shown from a blob
    image = f"#panel-leads .card[data-id='{lead.id}'] img.snapshot"
    await page.wait_for_function(f"document.querySelector(`{image}`)?.naturalWidth === 64")
    await card.locator("[data-action=approve-lead]").click()
    await expect(card.locator(".status")).to_have_attribute("data-status", "approved")
    stored = await console.backend.store.get_lead(lead.id)
    assert stored.status is LeadStatus.APPROVED and stored.reviewed_by == "dispatcher-1"


async def test_a_flying_drone_moves_on_the_map(console: Console, page: Page) -> None:
    await log_in(page, console)
    manager = console.backend.manager
    drone_id = next(iter(manager.registry)).drone_id
    lon, lat = landmark("Long Lake")
    flying = DroneState(drone_id, lon, lat, 80.0, True, True, 76.0, True, "mission", 1000.0)
    manager.put_drone_state(flying)
    marker = page.locator(f".layer-drones [data-key='{drone_id}']")
    await expect(marker).to_have_count(1)
    first = await marker.get_attribute("transform")
    manager.put_drone_state(replace(flying, lon_deg=lon + 0.01, battery_pct=70.0))
    await expect(marker).not_to_have_attribute("transform", first or "")
    # heading east from the two positions
    await expect(marker.locator(".drone-body")).to_have_attribute("transform", "rotate(90)")
    await expect(marker.locator(".bat")).to_have_attribute("width", "14")  # 70 % of the bar


async def test_overview_screens(console: Console, page: Page, shots: Path) -> None:
    """A busy moment on a 2560×1440 wall screen: a mission under way, a drone in the air, a lead to
    review and an alert waiting (the 1366×768 overview comes from the demo, test_console_demo.py)."""
    backend = console.backend
    target = landmark("Longzi Lake")
    d01 = await launched_from_d01(backend, target)
    lead = Lead(
        None, None, d01.drone_id, "smoke", 0.74, target[0] + 0.002, target[1], 15.0, snapshot_jpeg=jpeg()
    )
    await backend.store.add_lead(replace(lead, status=LeadStatus.PENDING_REVIEW))
    await backend.submit_alert({"type": "crowd", "lon": 113.745, "lat": 34.79}, "console")
    await log_in(page, console)
    await page.click(".tabs [data-tab=missions]")
    await page.click("#panel-missions .card.mission header")
    await expect(page.locator("#panel-missions .timeline li")).to_have_count(1)
    assert await page.locator(".layer-drones [data-kind=drone]").count() == 1
    assert await page.locator(".layer-routes line.route").count() == 1
    await page.set_viewport_size({"width": 2560, "height": 1440})
    await page.click(".tabs [data-tab=leads]")
    await page.wait_for_timeout(300)  # let the map re-fit before the picture (not an assertion)
    await page.screenshot(path=str(shots / "console-wall.png"))


async def test_viewer_is_not_offered_commands(console: Console, page: Page) -> None:
    lead = Lead(
        None, None, "D05-UAV", "fire", 0.7, *landmark("Long Lake"), 20.0, status=LeadStatus.PENDING_REVIEW
    )
    await console.backend.store.add_lead(lead)
    await log_in(page, console, "viewer")
    await page.click(".tabs [data-tab=leads]")
    await expect(page.locator(f"#panel-leads .card[data-id='{lead.id}']")).to_be_visible()
    assert await page.locator("[data-action]").count() == 0
    assert await page.locator("#map-hint").is_hidden()
    box = await page.locator("#map").bounding_box()
    assert box is not None
    await page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert await page.locator("#confirm").is_hidden()
    assert console.backend.commands == []


async def test_banner_while_mission_control_is_away(console: Console, page: Page, shots: Path) -> None:
    await log_in(page, console)
    banner = page.locator("#banner")
    await expect(banner).to_be_hidden()
    await console.stop_server()
    await expect(banner).to_be_visible(timeout=10_000)
    await expect(banner).to_contain_text("lost")
    await page.screenshot(path=str(shots / "console-link-lost.png"))
    # mission control comes back: the console reconnects by itself and the banner goes
    await console.start_server()
    await expect(banner).to_be_hidden(timeout=20_000)
    console.backend.manager.put_dock_state(
        healthy_dock("D07", console.backend.clock.now_s(), activity=DockActivity.WORKING, drone_in_dock=False)
    )
    await expect(page.locator(".layer-docks [data-key=D07]")).to_have_class("dock dock-no")


async def test_an_alert_waiting_for_approval_arrives_live_and_is_approved(
    console: Console, page: Page
) -> None:
    await log_in(page, console)
    lon, lat = landmark("Longzi Lake")
    decision = await console.backend.submit_alert({"type": "crowd", "lon": lon, "lat": lat}, "console")
    assert decision.action.value == "queue"
    card = page.locator(f"#panel-alerts .card[data-id='{decision.alert.id}']")
    await expect(card).to_contain_text("crowd")
    await expect(page.locator("#count-alerts")).to_have_text("1")
    await expect(page.locator(".layer-incidents [data-kind=incident]")).to_have_count(1)
    await card.locator("[data-action=approve-alert]").click()
    await expect(card).to_have_count(0)
    stored = await console.backend.store.get_alert(decision.alert.id)
    assert stored.status.value == "approved" and stored.decided_by == "dispatcher-1"


async def launched_from_d01(backend: Any, target: tuple[float, float]) -> Any:
    """A dispatcher's launch to ``target``: D01 working, its drone in the air past halfway (64 %)."""
    await backend.command(
        OperatorCommand(CommandKind.LAUNCH, "dispatcher-1", lon_deg=target[0], lat_deg=target[1])
    )
    d01 = next(e for e in backend.manager.registry if e.dock_id == "D01")
    now_s = backend.clock.now_s()
    backend.manager.put_dock_state(
        healthy_dock("D01", now_s, activity=DockActivity.WORKING, drone_in_dock=False)
    )
    lon = d01.record.lon_deg + 0.55 * (target[0] - d01.record.lon_deg)
    lat = d01.record.lat_deg + 0.55 * (target[1] - d01.record.lat_deg)
    backend.manager.put_drone_state(
        DroneState(d01.drone_id, lon, lat, 120.0, True, True, 64.0, True, "mission", now_s)
    )
    return d01
