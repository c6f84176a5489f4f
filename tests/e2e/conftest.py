"""The demo stack for the end-to-end tests: the sim world with 4 docks around the Long Lake park
(D12 nearest, then D08, D16, D10), the grid platform STAND-IN failing its first two deliveries,
and mission control serving the HTTP API on 127.0.0.1, at a speed-up of 20.

Tests talk to it only through HTTP (``httpx.AsyncClient`` with the admin token); they may act on
the sim world (the fire, a dock) as the physical world would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from mission.alert_settings import hash_secret
from mission.app_demo import DemoOptions, DemoStack
from mission.app_sim import SimOptions
from mission.settings import Settings, load_settings
from mission.webhook_auth import sign

SPEED = 20.0
DOCKS = ("D12", "D08", "D16", "D10")
VIDEO_TOKEN = "e2e-video-ai-token-0123456789"
VIDEO_SECRET = "e2e-video-ai-hmac-secret"
#: The stand-in's callbacks, sim seconds after a lead: resolved soon, so the whole case fits a test.
CALLBACK_DELAYS_S = {"accepted": 2.0, "dispatched": 10.0, "resolved": 40.0}


def e2e_settings(tmp_path: Path) -> Settings:
    """The reference settings with four docks, a short watch, and the video AI centre's HTTP
    credentials (its token and webhook key)."""
    base = load_settings()
    doc = json.loads(base.path(base.district.docks).read_text(encoding="utf-8"))
    doc["features"] = sorted(
        (f for f in doc["features"] if f["properties"]["id"] in DOCKS),
        key=lambda f: DOCKS.index(f["properties"]["id"]),
    )
    docks = tmp_path / "docks.geojson"
    docks.write_text(json.dumps(doc), encoding="utf-8")
    district = base.district.model_copy(update={"docks": docks})
    sources = dict(base.alerts.sources)
    sources["video_ai"] = sources["video_ai"].model_copy(
        update={"token_hash": hash_secret(VIDEO_TOKEN), "hmac_secret": SecretStr(VIDEO_SECRET)}
    )
    alerts = base.alerts.model_copy(update={"sources": sources})
    missions = base.missions.model_copy(update={"watch_budget_s": 600.0})
    return base.model_copy(update={"district": district, "alerts": alerts, "missions": missions})


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[DemoStack]:
    options = DemoOptions(
        sim=SimOptions(speed=SPEED, battery_pct=95.0, wind_mps=3.0, alert_review_s=1e6),
        port=0,
        token="e2e-admin-token-0123456789abcdef",
        store_url=f"sqlite:///{tmp_path / 'skyloop.db'}",
        callback_delays_s=dict(CALLBACK_DELAYS_S),
        verify_look_s=20.0,
    )
    async with DemoStack(e2e_settings(tmp_path), options) as stack:
        yield stack


@pytest.fixture
async def api(demo: DemoStack) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {demo.token}"}
    async with httpx.AsyncClient(base_url=demo.url, headers=headers, timeout=30.0) as client:
        yield client


async def post_source_alert(
    api: httpx.AsyncClient, alert: dict[str, Any], source: str = "video_ai"
) -> httpx.Response:
    """POST an alert as the video AI centre does: its own token and a signed body."""
    body = json.dumps(alert).encode()
    headers = {
        "X-Skyloop-Source": source,
        "Authorization": f"Bearer {VIDEO_TOKEN}",
        "Content-Type": "application/json",
        **sign(VIDEO_SECRET, body),
    }
    return await api.post("/api/v1/alerts", content=body, headers=headers)


async def until(
    read: Callable[[], Awaitable[Any]], test: Callable[[Any], bool], wall_s: float, what: str
) -> Any:
    """Poll ``read`` until ``test`` holds; a guard against a hang, not a timing check."""
    last: Any = None
    try:
        async with asyncio.timeout(wall_s):
            while True:
                last = await read()
                if test(last):
                    return last
                await asyncio.sleep(0.25)
    except TimeoutError:
        raise AssertionError(f"waited {wall_s:.0f} s for {what}; last seen: {last!r}") from None


async def get_json(api: httpx.AsyncClient, path: str) -> Any:
    r = await api.get(path)
    r.raise_for_status()
    return r.json()


#: Wall seconds a dock may take to become available after the stack came up (its drone's keep-out
#: fence is uploaded first: several tries on a loaded machine). A guard against a hang.
AVAILABLE_WAIT_S = 90.0


async def until_available(api: httpx.AsyncClient, *dock_ids: str) -> None:
    """Wait until the docks named (default: all) are available, as a dispatcher sees them before
    launching: a launch at once after start-up finds the drones' keep-out fences still being
    uploaded, and no dock to go."""

    async def docks() -> list[dict[str, Any]]:
        return [d for d in await get_json(api, "/api/v1/docks") if not dock_ids or d["id"] in dock_ids]

    def available(docks: list[dict[str, Any]]) -> bool:
        return len(docks) >= len(dock_ids) and all(d["availability"]["available"] for d in docks)

    await until(docks, available, AVAILABLE_WAIT_S, f"{', '.join(dock_ids) or 'every dock'} available")
