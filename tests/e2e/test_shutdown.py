"""The demo stack shuts down cleanly: mission control with a drone in the air, the stand-in and the
sim world stop, leaving no task running and the API's and the broker's ports free."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx

from mission.app_demo import DemoOptions, DemoStack
from mission.app_sim import SimOptions
from tests.e2e.conftest import SPEED, e2e_settings, get_json, until, until_available
from tests.e2e.test_intake_and_dispatch import NEAR_D12


def bindable(port: int) -> bool:
    """No server listens on the port any more. SO_REUSEADDR, as servers bind: connections of the run
    left in TIME_WAIT (or one amqtt 0.12 leaves behind when its connect handler races) do not count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


async def test_shutdown_with_a_drone_in_the_air_leaves_no_task_or_port(tmp_path: Path) -> None:
    before = asyncio.all_tasks()
    options = DemoOptions(
        sim=SimOptions(speed=SPEED, battery_pct=95.0), port=0, token="e2e-admin-token-0123456789abcdef"
    )
    async with DemoStack(e2e_settings(tmp_path), options) as demo:
        assert demo.control is not None and demo.world.url is not None
        api_port, mqtt_port = demo.control.port, demo.world.url.port
        assert not bindable(api_port)
        headers = {"Authorization": f"Bearer {demo.token}"}
        async with httpx.AsyncClient(base_url=demo.url, headers=headers) as api:
            await until_available(api, "D12")
            r = await api.post("/api/v1/missions", json={"lon_deg": NEAR_D12[0], "lat_deg": NEAR_D12[1]})
            assert r.status_code == 202, r.text
            await until(
                lambda: get_json(api, f"/api/v1/missions/{r.json()['id']}"),
                lambda d: d["mission"]["state"] == "en_route",
                60.0,
                "the drone in the air",
            )
    await asyncio.sleep(0.1)
    left = {t for t in asyncio.all_tasks() - before if not t.done()}
    assert not left, f"tasks left running: {sorted(t.get_name() for t in left)}"
    assert bindable(api_port) and bindable(mqtt_port)
