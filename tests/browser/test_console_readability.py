"""Readability of a busy console on a 1366×768 laptop and on control-room wall screens (2560×1440,
and 3840×2160 at 150 % scale), in English and Chinese, in headless Chromium over the API tests'
backend: on every tab, with the live view open and with the launch dialog, no text runs out of its
panel, card, dialog or the window, the header's parts do not overlap, no landmark's label meets a
marker on the map, the live view leaves most of the map free, and the type is large enough to read
at the screen's distance. Screenshots of each go to ``$SKYLOOP_CONSOLE_SCREENSHOTS``
(``readability-<screen>-<lang>-<view>.png``) to look at."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright", reason="playwright is not installed (pip install -e .[dev])")

from playwright.async_api import Browser, Page, expect

from docks.protocol.payload import Detection
from mission.model import (
    AlertType,
    AuditEntry,
    Incident,
    IncidentStatus,
    Lead,
    LeadStatus,
    OutboxMessage,
    OutboxStatus,
    Role,
)
from tests.browser.conftest import Console, log_in
from tests.browser.test_console import jpeg, landmark, launched_from_d01
from tests.browser.test_console_live_view import live_frame, until
from tests.browser.test_console_map import LABEL_CLASHES


@dataclass(frozen=True)
class Screen:
    name: str
    width: int
    height: int
    scale: float
    min_font_px: float
    """The smallest computed font size allowed on this screen (CSS px)."""


SCREENS = [
    Screen("laptop", 1366, 768, 1.0, 10.0),
    Screen("wall-1440p", 2560, 1440, 1.0, 14.0),
    Screen("wall-4k-150", 3840, 2160, 1.5, 14.0),
]

#: Every visible element under these must lie within its container (and the window).
CONTAINERS = ".top, .panels, #live-view, dialog[open], .legend, .map-hint, .map-controls"

OVERFLOWS = """(containers) => {
  const out = [];
  const vw = document.documentElement.clientWidth;
  const said = (el, n) => `${el.tagName}.${el.className} "${el.textContent.trim().slice(0, n)}"`;
  for (const box of document.querySelectorAll(containers)) {
    const b = box.getBoundingClientRect();
    const where = box.id || box.className;
    if (!b.width || !b.height) continue;
    if (b.left < -1 || b.right > vw + 1) out.push(`${where}: outside the window`);
    for (const el of box.querySelectorAll("*")) {
      if (!el.checkVisibility()) continue;
      const hasText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!hasText) continue;
      const r = el.getBoundingClientRect();
      if (!r.width) continue;
      if (r.left < b.left - 1 || r.right > b.right + 1) out.push(`${said(el, 40)} runs out of ${where}`);
      const style = getComputedStyle(el);
      const cut = el.scrollWidth > el.clientWidth + 1 && style.overflowX === "hidden";
      if (cut) out.push(`${said(el, 40)} is cut`);
      const size = parseFloat(style.fontSize);
      if (size < window.minFontPx) out.push(`${said(el, 30)} at ${size}px`);
    }
  }
  return out;
}"""

HEADER_OVERLAPS = """() => {
  const parts = [...document.querySelectorAll(".top > *")]
    .filter((e) => e.checkVisibility() && !e.classList.contains("spacer"));
  const out = [];
  for (let i = 1; i < parts.length; i++) {
    const a = parts[i - 1].getBoundingClientRect(), b = parts[i].getBoundingClientRect();
    const name = (e) => e.id || e.tagName;
    if (a.right > b.left + 1) out.push(`${name(parts[i - 1])} overlaps ${name(parts[i])}`);
  }
  return out;
}"""


async def busy_scene(console: Console) -> tuple[str, str]:
    """A mission flying to a fire, a lead to review, an alert waiting for approval, an incident, a
    dead outbox message and audit entries; returns the flying drone's id and the lead's id."""
    backend = console.backend
    target = landmark("Longzi Lake")
    d01 = await launched_from_d01(backend, target)
    store = backend.store
    fire = Incident(AlertType.FIRE_SMOKE, *target, 1, status=IncidentStatus.RESPONDING)
    await store.add_incident(fire)
    lead = Lead(
        None, fire.id, d01.drone_id, "smoke", 0.74, target[0] + 0.002, target[1], 15.0, snapshot_jpeg=jpeg()
    )
    await store.add_lead(replace(lead, status=LeadStatus.PENDING_REVIEW))
    await backend.submit_alert(
        {
            "type": "crowd",
            "lon": 113.745,
            "lat": 34.79,
            "description": "A crowd is gathering at the north gate of the lake park, blocking the road",
        },
        "console",
    )
    await store.enqueue(
        OutboxMessage(
            "lead.created",
            {"lead_id": lead.id},
            f"lead.created:{lead.id}",
            status=OutboxStatus.DEAD,
            attempts=8,
            last_error="HTTP 503 Service Unavailable from https://grid.example.gov.cn/api/v2/skyloop/leads",
            lead_id=lead.id,
        )
    )
    await store.add_audit(
        AuditEntry(
            "dispatcher-1",
            Role.DISPATCHER,
            "command.launch",
            "7b0f6c3e-5a1d-4c2b-9e8f-0123456789ab",
            details={"outcome": "accepted", "lon_deg": target[0], "lat_deg": target[1], "note": "x" * 60},
        )
    )
    return d01.drone_id, lead.id


async def check(page: Page, screen: Screen, shots: Path, name: str) -> list[str]:
    await page.wait_for_timeout(250)  # the map re-fits on resize (a frame); the picture, not a check
    await page.screenshot(path=str(shots / f"readability-{screen.name}-{name}.png"))
    problems: list[str] = await page.evaluate(OVERFLOWS, CONTAINERS)
    problems += await page.evaluate(HEADER_OVERLAPS)
    labels = await page.evaluate(LABEL_CLASHES)
    problems += [f"the landmark label {label!r} meets the {marker}" for label, marker in labels["clashes"]]
    return [f"{name}: {p}" for p in problems]


@pytest.mark.parametrize("screen", SCREENS, ids=[s.name for s in SCREENS])
async def test_every_view_is_readable(console: Console, browser: Browser, screen: Screen, shots: Any) -> None:
    drone_id, lead_id = await busy_scene(console)
    context = await browser.new_context(
        viewport={"width": round(screen.width / screen.scale), "height": round(screen.height / screen.scale)},
        device_scale_factor=screen.scale,
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await page.add_init_script(f"window.minFontPx = {screen.min_font_px};")
        await log_in(page, console, "admin")
        problems: list[str] = []
        for lang in ("en", "zh"):
            if lang == "zh":  # and back to the map's home view (an open incident moved it)
                await page.click("#lang")
                await page.reload()
                await page.wait_for_function(
                    "document.querySelectorAll('.layer-docks [data-kind=dock]').length === 16"
                )
            # the live view with a confirmed and a tentative track
            await page.locator(f".layer-drones [data-key='{drone_id}']").click()
            await expect(page.locator("#live-view")).to_be_visible()
            await until(lambda: console.backend.relay.watching(drone_id) == 1, "the viewer reaches the relay")
            sure = Detection(
                label="smoke",
                confidence=0.74,
                x=0.3,
                y=0.3,
                width=0.2,
                height=0.2,
                track_id=3,
                lead_id=lead_id,
            )
            unsure = Detection(
                label="person", confidence=0.41, x=0.6, y=0.5, width=0.1, height=0.2, track_id=5
            )
            console.backend.relay.deliver(drone_id, live_frame("rgb", 1, (sure, unsure)))
            await expect(page.locator("#live-tracks li")).to_have_count(2)
            problems += await check(page, screen, shots, f"{lang}-live")
            live = await page.locator("#live-view").bounding_box()
            area = await page.locator("#map").bounding_box()
            assert live is not None and area is not None
            share = live["width"] * live["height"] / (area["width"] * area["height"])
            if share > 0.45:
                problems.append(f"{lang}-live: the live view covers {share:.0%} of the map")
            await page.click("#live-close")
            # the launch dialog
            box = await page.locator("#map").bounding_box()
            assert box is not None
            await page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5)
            await expect(page.locator("#confirm")).to_be_visible()
            await expect(page.locator("#confirm-body dl")).to_be_visible()
            problems += await check(page, screen, shots, f"{lang}-launch")
            await page.click("#confirm-cancel")
            await expect(page.locator("#confirm")).to_be_hidden()
            for tab in ("alerts", "missions", "incidents", "leads", "docks", "admin"):
                await page.click(f".tabs [data-tab={tab}]")
                if tab == "missions" and not await page.locator("#panel-missions .card.mission.open").count():
                    await page.locator("#panel-missions .card.mission header").first.click()
                    await expect(page.locator("#panel-missions .timeline li").first).to_be_visible()
                if tab == "incidents" and not await page.locator("#panel-incidents .card.open").count():
                    await page.locator("#panel-incidents .card header").last.click()
                    await expect(page.locator("#panel-incidents .card.open")).to_have_count(1)
                problems += await check(page, screen, shots, f"{lang}-{tab}")
        assert not problems, "\n".join(problems)
    finally:
        await context.close()
    assert not errors, f"JavaScript errors in the console: {errors}"
