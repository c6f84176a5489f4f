"""``skyloop serve`` as a process: against a broker (embedded here, by URL as a real one would be)
and a drone nobody flies, it serves the API with the bootstrap admin token, says it is degraded
(no dock has reported), and stops cleanly on Ctrl-C (SIGINT)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
from pathlib import Path

import httpx

from docks.broker import EmbeddedBroker
from mission.cli.paths import DEFAULT_CONFIG
from tests.e2e.conftest import until

TOKEN = "serve-test-admin-token-0123456789abcdef"


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_serve_runs_answers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    async with EmbeddedBroker() as broker:
        folder = tmp_path / "config"
        shutil.copytree(DEFAULT_CONFIG.parent, folder)
        toml = folder / DEFAULT_CONFIG.name
        extra = (
            f'\n[drones.D01-UAV]\nurl = "udpin://127.0.0.1:{free_port(socket.SOCK_DGRAM)}"\nsystem_id = 1\n'
        )
        toml.write_text(DEFAULT_CONFIG.read_text(encoding="utf-8") + extra, encoding="utf-8")
        port = free_port()
        env = {
            **os.environ,
            "SKYLOOP_BOOTSTRAP_TOKEN": TOKEN,
            # The broker and the store as an operator would override them for one run.
            "SKYLOOP_MQTT__BROKER_URL": str(broker.url),
            "SKYLOOP_STORE__URL": "sqlite:///serve.db",
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "mission.cli",
            "serve",
            "--config",
            str(toml),
            "--port",
            str(port),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers) as api:

                async def health() -> dict[str, object] | None:
                    if proc.returncode is not None:
                        raise AssertionError(f"serve exited with {proc.returncode}")
                    try:
                        return dict((await api.get("/healthz")).json())
                    except httpx.TransportError:
                        return None

                status = await until(health, lambda h: h is not None, 60.0, "mission control serving")
                assert status["components"] == {"store": True, "fleet": False, "broker": True}
                docks = (await api.get("/api/v1/docks")).json()
                assert len(docks) == 16
                drone = (await api.get("/api/v1/drones/D01-UAV")).json()
                assert drone["state"]["link_ok"] is False
        finally:
            proc.send_signal(signal.SIGINT)
            out, err = await asyncio.wait_for(proc.communicate(), 60.0)
        assert proc.returncode == 0, err.decode()[-2000:]
        assert f"mission control: http://127.0.0.1:{port}/" in out.decode()
        assert (folder / "serve.db").is_file()
