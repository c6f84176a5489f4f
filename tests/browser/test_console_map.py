"""The console's map in headless Chromium over the API tests' backend: an opened incident is framed
with its mission (dock, route, drone) and the nearest docks, no closer than a few km across; the
zoom buttons and "Whole district"; landmark labels stay clear of the markers (docks, incidents,
leads, targets) on a laptop and on wall screens."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

pytest.importorskip("playwright", reason="playwright is not installed (pip install -e .[dev])")

from playwright.async_api import Browser, Page, expect

from fleet.model import DroneState
from mission.model import AlertType, Incident, IncidentStatus, Lead, LeadStatus
from tests.browser.conftest import Console, log_in
from tests.browser.test_console import REPO, distance_m, landmark
from tests.browser.test_console_panels import flying_mission

#: what map.js promises: an opened incident is never framed closer than this across (MIN_FRAME_M)
MIN_FRAME_M = 4000.0

#: the on-screen centre of each marker (by layer and key) and the map's box
MARKERS = """() => {
  const map = document.getElementById("map").getBoundingClientRect();
  const out = {};
  for (const g of document.querySelectorAll("#map [data-kind]")) {
    const b = g.getBoundingClientRect();
    out[`${g.parentNode.dataset.layer}/${g.dataset.key}`] = [b.x + b.width / 2, b.y + b.height / 2];
  }
  return { map: [map.left, map.top, map.right, map.bottom], markers: out };
}"""

#: how many metres the map shows across (the SVG's screen transform)
SHOWN_WIDTH_M = """() => {
  const svg = document.getElementById("map");
  return svg.clientWidth / svg.getScreenCTM().a;
}"""

#: landmark labels (shown) whose box meets a marker's box: [label, marker] pairs; the labels shown
#: (name: whether the label lies wholly on the map)
LABEL_CLASHES = """() => {
  const layers = ["docks", "incidents", "leads", "targets"];
  const markers = layers.flatMap((name) => [...document.querySelectorAll(`#map .layer-${name} [data-kind]`)]);
  const map = document.getElementById("map").getBoundingClientRect();
  const clashes = [];
  const shown = {};
  for (const label of document.querySelectorAll("#map .lm-label")) {
    if (!label.checkVisibility({ visibilityProperty: true })) continue;
    const a = label.getBoundingClientRect();
    const onMap = a.left >= map.left && a.right <= map.right && a.top >= map.top && a.bottom <= map.bottom;
    shown[label.textContent] = onMap;
    for (const m of markers) {
      const b = m.getBoundingClientRect();
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
        clashes.push([label.textContent, `${m.dataset.kind} ${m.dataset.key}`]);
      }
    }
  }
  return { clashes, shown };
}"""


def dock_positions() -> dict[str, tuple[float, float]]:
    fc = json.loads((REPO / "config/docks.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["id"]: tuple(f["geometry"]["coordinates"]) for f in fc["features"]}


def nearest_docks(point: tuple[float, float], n: int) -> list[str]:
    docks = dock_positions()
    return sorted(docks, key=lambda d: distance_m(docks[d], point))[:n]


async def markers_in_view(page: Page, margin_px: float = 4.0) -> set[str]:
    """The markers (``layer/key``) whose centre is on the map, ``margin_px`` inside its edges."""
    seen: dict[str, Any] = await page.evaluate(MARKERS)
    left, top, right, bottom = seen["map"]
    return {
        name
        for name, (x, y) in seen["markers"].items()
        if left + margin_px <= x <= right - margin_px and top + margin_px <= y <= bottom - margin_px
    }


async def incident_scene(console: Console) -> tuple[Incident, str]:
    """A fire at Longzi Lake with a mission from D09 (the fourth nearest dock) flying to it, its
    drone halfway, and a lead next to the fire; returns the incident and the drone's id."""
    backend = console.backend
    lake = landmark("Longzi Lake")
    fire = Incident(AlertType.FIRE_SMOKE, *lake, 1, status=IncidentStatus.RESPONDING)
    await backend.store.add_incident(fire)
    mission = await flying_mission(backend, fire, "D09", *lake)
    assert "D09" not in nearest_docks(lake, 3)
    d09 = dock_positions()["D09"]
    halfway = ((d09[0] + lake[0]) / 2, (d09[1] + lake[1]) / 2)
    drone_id = str(mission.drone_id)
    backend.manager.put_drone_state(
        DroneState(drone_id, *halfway, 120.0, True, True, 70.0, True, "mission", backend.clock.now_s())
    )
    lead = Lead(mission.id, fire.id, drone_id, "smoke", 0.8, lake[0] + 0.002, lake[1], 15.0)
    await backend.store.add_lead(replace(lead, status=LeadStatus.PENDING_REVIEW))
    return fire, drone_id


async def open_incident(page: Page, fire: Incident) -> None:
    await page.click(".tabs [data-tab=incidents]")
    await page.locator(f"#panel-incidents .card[data-id='{fire.id}'] header").click()
    await expect(page.locator(f".layer-incidents [data-key='{fire.id}']")).to_have_class(
        "incident p1 st-responding selected"
    )


async def test_an_opened_incident_is_framed_with_its_mission_and_the_nearest_docks(
    console: Console, page: Page, shots: Any
) -> None:
    fire, drone_id = await incident_scene(console)
    await log_in(page, console)
    await expect(page.locator(f".layer-drones [data-key='{drone_id}']")).to_have_count(1)
    home_m = await page.evaluate(SHOWN_WIDTH_M)
    await open_incident(page, fire)
    framed_m = await page.evaluate(SHOWN_WIDTH_M)
    assert MIN_FRAME_M <= framed_m < 0.75 * home_m, (framed_m, home_m)
    shown = await markers_in_view(page)
    mission_id = next(iter(console.backend.store.missions))
    wanted = {f"incidents/{fire.id}", "docks/D09", f"drones/{drone_id}", f"targets/{mission_id}"}
    wanted |= {f"docks/{d}" for d in nearest_docks((fire.lon_deg, fire.lat_deg), 3)}
    assert wanted <= shown, f"not in view: {wanted - shown}"
    await page.screenshot(path=str(shots / "map-incident-framed.png"))
    # the whole district again, with one button
    await page.click(".map-controls [data-control=map_fit]")
    assert await page.evaluate(SHOWN_WIDTH_M) == pytest.approx(home_m, rel=1e-3)
    assert len([m for m in await markers_in_view(page) if m.startswith("docks/")]) == 16


async def test_zoom_buttons_stop_at_a_street_scale(console: Console, page: Page) -> None:
    await log_in(page, console)
    home_m = await page.evaluate(SHOWN_WIDTH_M)
    await page.click(".map-controls [data-control=map_zoom_in]")
    assert await page.evaluate(SHOWN_WIDTH_M) == pytest.approx(home_m / 2, rel=1e-3)
    for _ in range(12):
        await page.click(".map-controls [data-control=map_zoom_in]")
    closest_m = await page.evaluate(SHOWN_WIDTH_M)
    assert 250.0 <= closest_m <= 400.0, closest_m
    await page.click(".map-controls [data-control=map_zoom_out]")
    assert await page.evaluate(SHOWN_WIDTH_M) == pytest.approx(2 * closest_m, rel=1e-3)
    # the button's name follows the language
    await expect(page.locator(".map-controls [data-control=map_fit]")).to_have_text("Whole district")
    await page.click("#lang")
    await expect(page.locator(".map-controls [data-control=map_fit]")).to_have_text("全区")


@pytest.mark.parametrize(
    ("width", "height", "scale"),
    [(1366, 768, 1.0), (2560, 1440, 1.0), (3840, 2160, 1.5)],
    ids=["laptop", "wall-1440p", "wall-4k-150"],
)
async def test_landmark_labels_stay_clear_of_the_markers(
    console: Console, browser: Browser, width: int, height: int, scale: float, shots: Any
) -> None:
    """The fire, its lead and its mission's target sit on Longzi Lake's dot: the label moves to a
    free side (on the map, not off its edge), at the district's view, with the incident opened and
    zoomed in around it."""
    fire, _ = await incident_scene(console)
    context = await browser.new_context(
        viewport={"width": round(width / scale), "height": round(height / scale)}, device_scale_factor=scale
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await log_in(page, console)
        await expect(page.locator(".layer-leads [data-kind=lead]")).to_have_count(1)
        for view in ("district", "incident", "closer"):
            if view == "incident":
                await open_incident(page, fire)
            elif view == "closer":
                await page.click(".map-controls [data-control=map_zoom_in]")
            labels = await page.evaluate(LABEL_CLASHES)
            await page.screenshot(path=str(shots / f"map-labels-{width}-{view}.png"))
            assert not labels["clashes"], f"{view}: {labels['clashes']}"
            lake = [on_map for name, on_map in labels["shown"].items() if "Longzi Lake" in name]
            assert lake == [True], f"{view}: Longzi Lake's label shown and on the map: {labels['shown']}"
    finally:
        await context.close()
    assert not errors, f"JavaScript errors in the console: {errors}"
