"""The demo stack (16 docks, x10) says nothing alarming in a normal run: a drone launched and
watched on the live view, then the whole stack stopped with it in the air (as the demo's duration or
Ctrl-C ends it) logs no error and no traceback, MAVSDK's callback-thread lines stay at DEBUG, no MQTT
client reports an unexpected disconnection, and nothing bypasses logging onto stderr."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from mission.app_demo import DemoOptions, DemoStack
from mission.app_sim import SimOptions
from mission.settings import load_settings
from tests.e2e.conftest import get_json, until, until_available
from tests.e2e.test_demo_live_view import live_url, next_frame
from tests.e2e.test_intake_and_dispatch import NEAR_D12

#: Lines that must never reach an operator above DEBUG (they did before: MAVSDK's, at ERROR).
NOISE = (
    "Dropping subscription callbacks",
    "Callback took more than",
    "Unexpected disconnection",
    "messages not broadcasted",
)


async def test_a_short_demo_run_logs_no_error_and_no_noise(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    options = DemoOptions(
        sim=SimOptions(speed=10.0, battery_pct=95.0, alert_review_s=1e6),
        port=0,
        token="e2e-admin-token-0123456789abcdef",
        store_url=f"sqlite:///{tmp_path / 'skyloop.db'}",
    )
    async with DemoStack(load_settings(), options) as demo:  # the 16 docks, as the demo runs
        headers = {"Authorization": f"Bearer {demo.token}"}
        async with httpx.AsyncClient(base_url=demo.url, headers=headers, timeout=30.0) as api:
            await until_available(api, "D12")
            r = await api.post("/api/v1/missions", json={"lon_deg": NEAR_D12[0], "lat_deg": NEAR_D12[1]})
            assert r.status_code == 202, r.text
            detail = await until(
                lambda: get_json(api, f"/api/v1/missions/{r.json()['id']}"),
                lambda d: d["mission"]["state"] == "en_route",
                90.0,
                "the drone in the air",
            )
            drone_id = detail["decision"]["drone_id"]
            bearer = [Subprotocol(f"skyloop.bearer.{demo.token}")]
            async with connect(live_url(demo, drone_id, "rgb"), subprotocols=bearer) as ws:
                await next_frame(ws)
        running = len(caplog.records)
    loud = [
        r
        for i, r in enumerate(caplog.records)
        if (r.levelno >= logging.ERROR or r.exc_info) and not (i >= running and _known_teardown_line(r))
    ]
    assert not loud, [f"{r.name} {r.levelname}: {r.getMessage()}" for r in loud]
    noise = [
        r
        for i, r in enumerate(caplog.records)
        if r.levelno > logging.DEBUG
        and any(n in r.getMessage() for n in NOISE)
        and not (i >= running and _known_teardown_line(r))  # its text names the disconnection too
    ]
    assert not noise, [f"{r.name} {r.levelname}: {r.getMessage()}" for r in noise]
    err = capfd.readouterr().err
    assert "Traceback" not in err and not any(n in err for n in NOISE), err[-2000:]


def _known_teardown_line(record: logging.LogRecord) -> bool:
    """Not fixed yet (docs/demo.md, Shutdown): at the stop, now and then an MQTT client's
    'Unexpected disconnection' is left in a future nobody reads, and asyncio logs it. Only at the
    stop; anything else, or this while running, fails the test."""
    return record.name == "asyncio" and "Unexpected disconnection" in record.getMessage()
