"""The live-view panel in headless Chromium: a click on a flying drone opens its camera, the frames
the payload sends through the relay are shown with the detector's tracks listed (tentative ones
marked), the camera switch asks the payload for the other camera, closing the panel stops the
stream, and when frames stop the server's reason shows until they come back."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import pytest

pytest.importorskip("playwright", reason="playwright is not installed (pip install -e .[dev])")

from playwright.async_api import Page, expect

from docks.protocol.payload import Detection, LiveFrame
from fleet.model import DroneState
from mission.api.routes import live_view as live_view_route
from mission.model import Lead
from tests.browser.conftest import Console, log_in
from tests.browser.test_console import landmark


def live_frame(camera: str, seq: int, detections: tuple[Detection, ...] | None = None) -> LiveFrame:
    """A 320×240 picture with one box drawn, as a payload would send it (by default one tentative
    fire track)."""
    image = np.full((240, 320, 3), 40, np.uint8)
    cv2.rectangle(image, (120, 80), (200, 160), (0, 255, 255), 2)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    box = Detection(label="fire", confidence=0.87, x=0.375, y=0.333, width=0.25, height=0.333, camera="rgb")
    return LiveFrame(
        camera=camera,
        seq=seq,
        frame_timestamp_ms=1_764_864_000_000 + seq,
        image_width_px=320,
        image_height_px=240,
        detections=(box,) if detections is None else detections,
        jpeg_b64=base64.b64encode(bytes(data)).decode(),
    )


async def until(check: Callable[[], bool], what: str) -> None:
    """Wait (up to 5 s) for the server side to catch up with the browser."""
    try:
        async with asyncio.timeout(5.0):
            while not check():  # noqa: ASYNC110 - the fake relay has no event to wait on
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


async def test_a_drone_camera_is_shown_switched_and_closed(console: Console, page: Page) -> None:
    await log_in(page, console)
    backend = console.backend
    drone_id = next(iter(backend.manager.registry)).drone_id
    lon, lat = landmark("Long Lake")
    backend.manager.put_drone_state(
        DroneState(drone_id, lon, lat, 80.0, True, True, 76.0, True, "mission", 1000.0)
    )
    marker = page.locator(f".layer-drones [data-key='{drone_id}']")
    await expect(marker).to_have_count(1)
    await marker.click()
    await expect(page.locator("#live-view")).to_be_visible()
    await until(lambda: backend.relay.watching(drone_id) == 1, "the viewer reaches the relay")
    assert backend.payload_calls == [("start", drone_id, "rgb")]

    backend.relay.deliver(drone_id, live_frame("rgb", 1))
    image = page.locator("#live-image")
    await expect(image).to_be_visible()
    await expect(image).to_have_attribute("data-seq", "1")
    assert await image.evaluate("img => img.naturalWidth") == 320
    await expect(page.locator("#live-tracks li")).to_have_count(1)
    await expect(page.locator("#live-tracks li")).to_contain_text("fire 87%")

    # thermal: the payload is asked for the other camera, the old camera's frames are not shown
    await page.click("#live-view [data-camera=thermal]")
    await until(lambda: ("start", drone_id, "thermal") in backend.payload_calls, "the switch")
    backend.relay.deliver(drone_id, live_frame("thermal", 2))
    await expect(image).to_have_attribute("data-seq", "2")
    await expect(page.locator("#live-status")).to_contain_text("Thermal")

    await page.click("#live-close")
    await expect(page.locator("#live-view")).to_be_hidden()
    await until(lambda: backend.relay.watching(drone_id) == 0, "the viewer leaves")
    await until(lambda: backend.payload_calls[-1] == ("stop", drone_id), "the payload is told to stop")


async def test_tracks_are_listed_under_the_picture_tentative_ones_marked(
    console: Console, page: Page, shots: Any
) -> None:
    await log_in(page, console)
    backend = console.backend
    drone_id = next(iter(backend.manager.registry)).drone_id
    lon, lat = landmark("Long Lake")
    backend.manager.put_drone_state(
        DroneState(drone_id, lon, lat, 80.0, True, True, 76.0, True, "mission", 1000.0)
    )
    lead = Lead(None, None, drone_id, "fire", 0.91, lon, lat, 12.0)
    await backend.store.add_lead(lead)
    backend.live.publish(lead)
    await page.locator(f".layer-drones [data-key='{drone_id}']").click()
    await page.click("#live-view [data-camera=thermal]")
    await until(lambda: ("start", drone_id, "thermal") in backend.payload_calls, "the thermal camera")

    def box(label: str, confidence: float, track_id: int, **extra: Any) -> Detection:
        return Detection(
            label=label,
            confidence=confidence,
            x=0.4,
            y=0.4,
            width=0.1,
            height=0.1,
            track_id=track_id,
            **extra,
        )

    confirmed = box("fire", 0.91, 7, lead_id=lead.id, t_peak_c=312.4, area_m2=40.0)
    tentative = box("smoke", 0.55, 9)
    backend.relay.deliver(drone_id, live_frame("thermal", 1, (confirmed, tentative)))
    rows = page.locator("#live-tracks li")
    await expect(rows).to_have_count(2)
    sure, unsure = rows.nth(0), rows.nth(1)
    await expect(sure).to_have_class("track confirmed")
    await expect(sure).to_contain_text("fire 91%")
    await expect(sure).to_contain_text("312 °C")
    await expect(sure.locator("[data-action=show-lead]")).to_have_text(f"lead {lead.id[:8]}")
    await expect(sure).not_to_contain_text("tentative")
    await expect(unsure).to_have_class("track tentative")
    await expect(unsure).to_contain_text("smoke 55%")
    await expect(unsure).to_contain_text("tentative")
    await expect(unsure.locator("[data-action=show-lead]")).to_have_count(0)
    # muted: the tentative row is drawn in the muted colour, the confirmed one is not
    colour = "el => getComputedStyle(el).color"
    assert await unsure.evaluate(colour) != await sure.evaluate(colour)
    await page.screenshot(path=str(shots / "console-live-tracks.png"))

    # the next frame: the tentative track is confirmed now, the other is gone; in Chinese
    await page.click("#lang")
    promoted = box("smoke", 0.6, 9, lead_id="L-smoke-0001")
    backend.relay.deliver(drone_id, live_frame("thermal", 2, (promoted,)))
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_class("track confirmed")
    await expect(rows.first).to_contain_text("烟")
    backend.relay.deliver(drone_id, live_frame("thermal", 3, (box("person", 0.5, 11),)))
    await expect(rows.first).to_contain_text("待确认")
    await page.click("#lang")

    # a confirmed track's link shows its lead in the leads panel
    backend.relay.deliver(drone_id, live_frame("thermal", 4, (confirmed,)))
    await rows.first.locator("[data-action=show-lead]").click()
    await expect(page.locator(".tabs [data-tab=leads]")).to_have_class("active")
    await expect(page.locator(f"#panel-leads [data-id='{lead.id}']")).to_be_visible()


async def test_when_frames_stop_the_reason_shows_until_they_come_back(
    console: Console, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_view_route, "STALL_S", 0.5)  # the route's wait before it tells why
    await log_in(page, console)
    backend = console.backend
    drone_id = next(iter(backend.manager.registry)).drone_id
    lon, lat = landmark("Long Lake")
    backend.manager.put_drone_state(
        DroneState(drone_id, lon, lat, 80.0, True, True, 76.0, True, "mission", 1000.0)
    )
    await page.locator(f".layer-drones [data-key='{drone_id}']").click()
    await until(lambda: backend.relay.watching(drone_id) == 1, "the viewer reaches the relay")
    backend.relay.deliver(drone_id, live_frame("rgb", 1))
    stall, image = page.locator("#live-stall"), page.locator("#live-image")
    await expect(image).to_have_attribute("data-seq", "1")
    # no more frames while it flies: the payload is silent
    await expect(stall).to_be_visible()
    await expect(stall).to_have_attribute("data-reason", "payload_silent")
    await expect(stall).to_contain_text("payload sends nothing")
    await expect(image).to_have_class("stalled")
    await expect(page.locator("#live-tracks li")).to_have_count(0)
    # frames again: the reason goes, the picture is live
    backend.relay.deliver(drone_id, live_frame("rgb", 2))
    await expect(image).to_have_attribute("data-seq", "2")
    await expect(stall).to_be_hidden()
    await expect(image).not_to_have_class("stalled")
    await expect(page.locator("#live-tracks li")).to_have_count(1)
