"""The console's incidents panel, the speak dialog with the stored messages, the admin panels
(outbox retry, tokens, audit), the planned route and the live view's frame rate, in headless
Chromium over the API tests' backend."""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright", reason="playwright is not installed (pip install -e .[dev])")

from playwright.async_api import Page, expect

from fleet.model import DroneState
from mission.api.backend import CommandKind
from mission.model import (
    Alert,
    AlertStatus,
    AlertType,
    CoordSystem,
    Incident,
    IncidentStatus,
    Lead,
    Mission,
    MissionEvent,
    MissionState,
    OutboxMessage,
    OutboxStatus,
)
from mission.settings import load_settings
from payload.speaker import load_messages
from tests.browser.conftest import Console, log_in
from tests.browser.test_console import distance_m, landmark
from tests.browser.test_console_live_view import live_frame
from tests.integration.api.console_fakes import TestBackend


async def until(check: Callable[[], bool], what: str) -> None:
    """Wait (up to 5 s) for the server side to catch up with the browser."""
    try:
        async with asyncio.timeout(5.0):
            while not check():  # noqa: ASYNC110 - the fake backend has no event to wait on
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


async def flying_mission(
    backend: TestBackend,
    incident: Incident | None,
    dock_id: str,
    lon: float,
    lat: float,
    route: list[list[float]] | None = None,
) -> Mission:
    """An active mission of ``dock_id``'s drone to (lon, lat), stored (with the ``route`` it flies,
    as the executor stores it)."""
    mission = Mission(
        None if incident is None else incident.id,
        lon,
        lat,
        state=MissionState.EN_ROUTE,
        dock_id=dock_id,
        drone_id=f"{dock_id}-UAV",
        eta_s=180.0,
        route=route,
    )
    await backend.store.add_mission(
        mission, MissionEvent(mission.id, 1, "state", to_state=MissionState.REQUESTED)
    )
    return mission


def alert_of(incident: Incident, status: AlertStatus, source: str) -> Alert:
    lon, lat = incident.lon_deg, incident.lat_deg
    return Alert(
        source,
        incident.type,
        lon,
        lat,
        lon,
        lat,
        CoordSystem.WGS84,
        incident.priority,
        status,
        incident_id=incident.id,
    )


async def test_incidents_panel_lists_and_opens_an_incident(console: Console, page: Page, shots: Any) -> None:
    store = console.backend.store
    lon, lat = landmark("Long Lake")
    fire = Incident(AlertType.FIRE_SMOKE, lon, lat, 1, status=IncidentStatus.RESPONDING)
    await store.add_incident(fire)
    await store.add_alert(alert_of(fire, AlertStatus.ACCEPTED, "video_ai"))
    await store.add_alert(alert_of(fire, AlertStatus.JOINED, "citizen_app"))
    mission = await flying_mission(console.backend, fire, "D05", lon, lat)
    await store.add_lead(
        Lead(mission.id, fire.id, "D05-UAV", "fire", 0.92, lon, lat + 0.003, 8.0)
    )  # ~330 m N
    now = datetime.now(UTC)
    e_lon, e_lat = landmark("Zhengzhou East")
    closed = Incident(
        AlertType.CROWD, e_lon, e_lat, 3, status=IncidentStatus.CLOSED, closed_at=now - timedelta(hours=2)
    )
    long_ago = Incident(
        AlertType.CROWD, e_lon, e_lat, 3, status=IncidentStatus.CLOSED, closed_at=now - timedelta(days=3)
    )
    for incident in (closed, long_ago):
        await store.add_incident(incident)

    await log_in(page, console)
    await expect(page.locator("#count-incidents")).to_have_text("1")  # one still open
    await page.click(".tabs [data-tab=incidents]")
    cards = page.locator("#panel-incidents .card")
    await expect(cards).to_have_count(2)  # the one closed three days ago is not listed
    await expect(cards.nth(0)).to_have_attribute("data-id", fire.id)
    await expect(cards.nth(0)).to_contain_text("fire smoke")
    await expect(cards.nth(0)).to_contain_text("priority 1")
    await expect(cards.nth(1)).to_have_attribute("data-id", closed.id)
    await expect(cards.nth(1)).to_contain_text("closed")

    await cards.nth(0).locator("header").click()
    card = page.locator(f"#panel-incidents .card[data-id='{fire.id}']")
    await expect(card.locator(".incident-alerts")).to_contain_text("2 alerts joined")
    await expect(card.locator(".incident-missions li")).to_have_count(1)
    await expect(card.locator(".incident-missions li")).to_contain_text(mission.id[:8])
    await expect(card.locator(".incident-leads li")).to_contain_text("fire")
    # highlighted on the map, framed with its mission's dock (test_console_map.py: the framing)
    marker = page.locator(f".layer-incidents [data-key='{fire.id}']")
    await expect(marker).to_have_class("incident p1 st-responding selected")
    map_box = await page.locator("#map").bounding_box()
    assert map_box is not None
    for shown in (marker, page.locator(".layer-docks [data-key=D05]")):
        box = await shown.bounding_box()
        assert box is not None
        at = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert map_box["x"] + 20 < at[0] < map_box["x"] + map_box["width"] - 20, at
        assert map_box["y"] + 20 < at[1] < map_box["y"] + map_box["height"] - 20, at
    await page.screenshot(path=str(shots / "console-incidents.png"))
    # the mission's link opens it in the missions panel
    await card.locator(".incident-missions a").click()
    await expect(page.locator(f"#panel-missions .card.mission.open[data-id='{mission.id}']")).to_be_visible()

    # the triangle on the map opens the incident too
    await page.click(".tabs [data-tab=incidents]")
    await cards.nth(0).locator("header").click()  # closes it
    await expect(marker).not_to_have_class("incident p1 st-responding selected")
    await page.click(".tabs [data-tab=docks]")
    await marker.click()
    await expect(page.locator("#panel-incidents")).to_be_visible()
    await expect(card.locator(".incident-alerts")).to_contain_text("2 alerts joined")
    # a control-room wall: larger type, still every tab and the panel on screen
    await page.set_viewport_size({"width": 2560, "height": 1440})
    assert await page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") > 15
    assert await page.locator("nav.tabs").evaluate("n => n.scrollWidth <= n.clientWidth")
    await expect(card).to_be_in_viewport()
    await page.screenshot(path=str(shots / "console-incidents-wall.png"))


async def test_speak_sends_a_stored_message_or_free_text(console: Console, page: Page, shots: Any) -> None:
    backend = console.backend
    lon, lat = landmark("Longzi Lake")
    crowd = Incident(AlertType.CROWD, lon, lat, 2, status=IncidentStatus.RESPONDING)
    await backend.store.add_incident(crowd)
    mission = await flying_mission(backend, crowd, "D07", lon, lat)
    settings = load_settings()
    stored = load_messages(settings.path(settings.payload.speaker_messages))

    await log_in(page, console)
    await page.click(".tabs [data-tab=missions]")
    await page.click(f"#panel-missions .card[data-id='{mission.id}'] [data-action=speak]")
    options = page.locator("#speak-choices input[name=speak-choice]")
    await expect(options).to_have_count(len(stored) + 1)  # every stored message and own text
    # the crowd incident's message first, chosen, in the drones' language (zh by default)
    await expect(options.first).to_have_value("crowd")
    await expect(options.first).to_be_checked()
    first = page.locator("#speak-choices .speak-option").first
    await expect(first).to_contain_text(stored["crowd"][settings.missions.speaker_lang])
    await page.screenshot(path=str(shots / "console-speak.png"))
    await page.click("#confirm-ok")
    await until(lambda: any(c.kind is CommandKind.SPEAK for c in backend.commands), "the speak command")
    spoken = [c for c in backend.commands if c.kind is CommandKind.SPEAK]
    assert [(c.mission_id, c.message, c.text) for c in spoken] == [(mission.id, "crowd", None)]

    # another stored message, then free text
    await page.click(f"#panel-missions .card[data-id='{mission.id}'] [data-action=speak]")
    await page.check("#speak-choices input[value=general]")
    await page.click("#confirm-ok")
    await until(lambda: len([c for c in backend.commands if c.kind is CommandKind.SPEAK]) == 2, "the second")
    await page.click(f"#panel-missions .card[data-id='{mission.id}'] [data-action=speak]")
    await page.fill("#speak-text", "Please step back from the railing")
    await page.press("#speak-text", "Enter")  # Enter in the text field sends it
    await until(lambda: len([c for c in backend.commands if c.kind is CommandKind.SPEAK]) == 3, "the third")
    # Esc cancels, whatever the dialog answered before
    await page.click(f"#panel-missions .card[data-id='{mission.id}'] [data-action=speak]")
    await expect(page.locator("#confirm")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.locator("#confirm")).to_be_hidden()
    await page.wait_for_load_state("networkidle")
    spoken = [c for c in backend.commands if c.kind is CommandKind.SPEAK]
    assert [(c.message, c.text) for c in spoken[1:]] == [
        ("general", None),
        (None, "Please step back from the railing"),
    ]


async def test_admin_retries_a_dead_outbox_message(console: Console, page: Page, shots: Any) -> None:
    store = console.backend.store
    dead = OutboxMessage(
        "lead.created",
        {"lead_id": "L-1"},
        "lead.created:L-1",
        status=OutboxStatus.DEAD,
        attempts=8,
        last_error="HTTP 503 from the grid platform",
    )
    delivered = OutboxMessage(
        "lead.created", {"lead_id": "L-2"}, "lead.created:L-2", status=OutboxStatus.DELIVERED
    )
    await store.enqueue(dead)
    await store.enqueue(delivered)
    await log_in(page, console, "admin")
    await expect(page.locator("#count-admin")).to_have_text("1")  # one dead message
    await page.click(".tabs [data-tab=admin]")
    # six tabs fit the 1366 px laptop's panel column without scrolling
    assert await page.locator("nav.tabs").evaluate("n => n.scrollWidth <= n.clientWidth")
    row = page.locator(f"#admin-outbox tr[data-id='{dead.id}']")
    await expect(row).to_have_attribute("data-status", "dead")
    await expect(row).to_contain_text("HTTP 503 from the grid platform")
    await expect(row.locator("td.num")).to_have_text("8")
    await expect(
        page.locator(f"#admin-outbox tr[data-id='{delivered.id}'] [data-action=retry]")
    ).to_have_count(0)
    await page.screenshot(path=str(shots / "console-admin.png"))
    await row.locator("[data-action=retry]").click()
    await expect(row).to_have_attribute("data-status", "pending")
    await expect(page.locator("#count-admin")).to_have_text("")
    [after] = [m for m in await store.list_messages() if m.id == dead.id]
    assert (after.status, after.attempts, after.last_error) == (OutboxStatus.PENDING, 0, None)
    # the retry is in the audit log, newest first
    await expect(page.locator("#admin-audit tbody tr").first).to_have_attribute("data-action", "outbox.retry")


async def test_admin_issues_and_revokes_a_token(console: Console, page: Page, shots: Any) -> None:
    await page.context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=console.url.rstrip("/")
    )
    await log_in(page, console, "admin")
    await page.click(".tabs [data-tab=admin]")
    # the admin's own token cannot be revoked from here; the others can
    own = page.locator("#admin-tokens tr[data-name=bootstrap]")
    await expect(own).to_contain_text("yours")
    await expect(own.locator("[data-action=revoke]")).to_have_count(0)
    await expect(page.locator("#admin-tokens tr[data-name=viewer-1] [data-action=revoke]")).to_have_count(1)

    await page.fill("#token-name", "night-shift")
    await page.select_option("#token-role", "viewer")
    await page.click("[data-action=issue-token]")
    shown = page.locator("#new-token")
    await expect(shown).to_be_visible()
    token = (await shown.inner_text()).strip()
    assert token.startswith("sky_")
    row = page.locator("#admin-tokens tr[data-name=night-shift]")
    await expect(row).to_contain_text("viewer")
    assert token not in await row.inner_text()  # the list never has the secret
    await page.screenshot(path=str(shots / "console-tokens.png"))
    await page.click("[data-action=copy-token]")
    assert await page.evaluate("navigator.clipboard.readText()") == token

    async with httpx.AsyncClient(base_url=console.url) as http:
        me = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json() == {"name": "night-shift", "role": "viewer"}
        await row.locator("[data-action=revoke]").click()
        await page.click("#confirm-ok")
        await expect(row).to_have_class("revoked")
        await expect(row.locator("[data-action=revoke]")).to_have_count(0)
        refused = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401
    audit = page.locator("#admin-audit tbody tr")
    await expect(audit.nth(0)).to_have_attribute("data-action", "token.revoke")
    await expect(audit.nth(1)).to_have_attribute("data-action", "token.create")
    await expect(audit.nth(1)).to_contain_text("night-shift")


@pytest.mark.parametrize("role", ["dispatcher", "viewer"])
async def test_only_an_admin_gets_the_admin_tab(console: Console, page: Page, role: str) -> None:
    await log_in(page, console, role)
    await expect(page.locator(".tabs [data-tab=incidents]")).to_be_visible()
    await expect(page.locator(".tabs [data-tab=admin]")).to_be_hidden()
    assert await page.locator("#panel-admin").inner_html() == ""
    await page.click("#logout")
    await log_in(page, console, "admin")  # the same page, signed in again as an admin
    await expect(page.locator(".tabs [data-tab=admin]")).to_be_visible()


# --- the planned route --------------------------------------------------------------------------


def vertices(points: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in points.split())]


async def marker_xy(page: Page, selector: str) -> tuple[float, float]:
    """A marker's position in map units (metres east, south of the district centre)."""
    x, y = await page.locator(selector).evaluate("g => [Number(g.dataset.x), Number(g.dataset.y)]")
    return float(x), float(y)


async def test_a_planned_route_is_drawn_through_its_bends(console: Console, page: Page, shots: Any) -> None:
    backend = console.backend
    dock = next(d for d in backend.docks() if d.dock_id == "D01")
    target = landmark("Zhengzhou East")
    bends = [[dock.lon_deg + 0.01, dock.lat_deg + 0.012], [target[0] - 0.008, target[1] + 0.01]]
    route = [[dock.lon_deg, dock.lat_deg], *bends, list(target)]
    routed = await flying_mission(backend, None, "D01", *target, route=route)
    plain = await flying_mission(backend, None, "D09", *landmark("Longzi Lake"))
    await log_in(page, console)

    line = page.locator(f".layer-routes polyline.route.planned[data-mission='{routed.id}']")
    await expect(line).to_have_count(1)
    drawn = vertices(await line.get_attribute("points") or "")
    assert len(drawn) == len(route)
    # it starts at the dock's marker, ends at the target's and its legs are the bends' distances
    assert math.dist(drawn[0], await marker_xy(page, ".layer-docks [data-key=D01]")) < 1.0
    assert math.dist(drawn[-1], await marker_xy(page, f".layer-targets [data-key='{routed.id}']")) < 1.0
    for (a, b), (p, q) in zip(itertools.pairwise(route), itertools.pairwise(drawn), strict=True):
        true_m = distance_m((a[0], a[1]), (b[0], b[1]))
        assert abs(math.dist(p, q) - true_m) < 0.01 * true_m, (a, b)
    # without a route: the straight line dock -> target
    straight = page.locator(f".layer-routes line.route.straight[data-mission='{plain.id}']")
    await expect(straight).to_have_count(1)
    await page.screenshot(path=str(shots / "console-route.png"))

    # a mission update without a route (e.g. routing found none) falls back to the straight line
    backend.live.publish(replace(routed, route=None))
    await expect(
        page.locator(f".layer-routes line.route.straight[data-mission='{routed.id}']")
    ).to_have_count(1)
    await expect(line).to_have_count(0)


async def test_the_live_view_shows_its_frame_rate_and_the_last_frames_age(
    console: Console, page: Page
) -> None:
    await log_in(page, console)
    backend = console.backend
    drone_id = next(iter(backend.manager.registry)).drone_id
    lon, lat = landmark("Long Lake")
    backend.manager.put_drone_state(
        DroneState(drone_id, lon, lat, 80.0, True, True, 76.0, True, "mission", 1000.0)
    )
    await page.locator(f".layer-drones [data-key='{drone_id}']").click()
    await until(lambda: backend.relay.watching(drone_id) == 1, "the viewer reaches the relay")
    rate = page.locator("#live-rate")
    await expect(rate).to_have_text("")  # no frame yet
    for seq in range(1, 4):
        backend.relay.deliver(drone_id, live_frame("rgb", seq))
        await expect(page.locator("#live-image")).to_have_attribute("data-seq", str(seq))
        await asyncio.sleep(0.2)
    await expect(rate).to_contain_text("fps")
    await expect(rate).to_contain_text("last frame")
    assert float(await rate.get_attribute("data-fps") or "0") > 0.0
    # no more frames: the age keeps counting (a stalled stream shows)
    await page.wait_for_function("Number(document.querySelector('#live-rate').dataset.ageS) >= 1.0")
    await page.click("#live-close")
    await until(lambda: backend.relay.watching(drone_id) == 0, "the viewer leaves")


async def test_a_go_to_into_a_keep_out_zone_is_refused_naming_it(console: Console, page: Page) -> None:
    backend = console.backend
    mission = await flying_mission(backend, None, "D14", *landmark("Longzi Lake"))
    await log_in(page, console)
    await page.click(".tabs [data-tab=missions]")
    await page.click(f"#panel-missions .card[data-id='{mission.id}'] [data-action=goto]")
    station = page.locator(".layer-landmarks g:has-text('Zhengzhou East') .lm-dot")
    box = await station.bounding_box()
    assert box is not None
    await page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await expect(page.locator("#confirm-body .keepout-warning")).to_be_visible()
    await page.click("#confirm-ok")
    # the server's reason, as words (not the JSON of FastAPI's problem list)
    await expect(page.locator("#toast")).to_contain_text("inside keep-out zone zz-east-station")
    assert "[{" not in await page.locator("#toast").inner_text()
    assert [c for c in backend.commands if c.kind is CommandKind.GOTO] == []
