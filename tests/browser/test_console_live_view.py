"""The live-view panel in headless Chromium: a click on a flying drone opens its camera, the frames
the payload sends through the relay are shown, the camera switch asks the payload for the other
camera, and closing the panel stops the stream."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("playwright", reason="playwright is not installed (pip install -e .[dev])")

from playwright.async_api import Page, expect

from docks.protocol.payload import Detection, LiveFrame
from fleet.model import DroneState
from tests.browser.conftest import Console, log_in
from tests.browser.test_console import landmark


def live_frame(camera: str, seq: int) -> LiveFrame:
    """A 320×240 picture with one box drawn, as a payload would send it."""
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
        detections=(box,),
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


async def test_a_drone_camera_is_shown_switched_and_closed(console: Console, page: Page, shots: Path) -> None:
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
    await expect(page.locator("#live-status")).to_contain_text("fire 87%")
    await page.screenshot(path=str(shots / "console-live-view.png"))

    # thermal: the payload is asked for the other camera, the old camera's frames are not shown
    await page.click("#live-view [data-camera=thermal]")
    await until(lambda: ("start", drone_id, "thermal") in backend.payload_calls, "the switch")
    backend.relay.deliver(drone_id, live_frame("thermal", 2))
    await expect(image).to_have_attribute("data-seq", "2")
    await expect(page.locator("#live-status")).to_contain_text("THERMAL")

    await page.click("#live-close")
    await expect(page.locator("#live-view")).to_be_hidden()
    await until(lambda: backend.relay.watching(drone_id) == 0, "the viewer leaves")
    await until(lambda: backend.payload_calls[-1] == ("stop", drone_id), "the payload is told to stop")
