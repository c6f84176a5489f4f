"""A private Mosquitto process on a free port, configured from docs/mosquitto (paths and port
rewritten into a temp dir), with one password per user."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

from docks.broker import free_port
from docks.broker_url import BrokerUrl

DOCS = Path(__file__).resolve().parents[3] / "docs" / "mosquitto"
#: Wall-clock patience for the process to listen (a guard for a loaded machine, not a timing check).
START_WAIT_S = 30.0


def mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )


class PrivateMosquitto:
    """``start()``/``stop()`` a Mosquitto with the docs configuration; ``url(user)`` has credentials."""

    def __init__(self, workdir: Path, users: list[str]) -> None:
        binary = mosquitto_binary()
        passwd_tool = shutil.which("mosquitto_passwd")
        if binary is None or passwd_tool is None:
            raise FileNotFoundError("mosquitto or mosquitto_passwd not installed")
        self.binary = binary
        self.port = free_port()
        self.workdir = workdir
        self.passwords = {user: f"pw-{user}-secret" for user in users}
        passwd = workdir / "skyloop.passwd"
        passwd.touch()
        for user, password in self.passwords.items():
            subprocess.run([passwd_tool, "-b", str(passwd), user, password], check=True, timeout=10)
        shutil.copy(DOCS / "skyloop.acl", workdir / "skyloop.acl")
        (workdir / "data").mkdir()
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(self._variant((DOCS / "mosquitto.conf").read_text()))
        self._proc: asyncio.subprocess.Process | None = None

    def _variant(self, text: str) -> str:
        replace = {
            "listener 1883": f"listener {self.port} 127.0.0.1",
            "password_file": f"password_file {self.workdir / 'skyloop.passwd'}",
            "acl_file": f"acl_file {self.workdir / 'skyloop.acl'}",
            "persistence_location": f"persistence_location {self.workdir / 'data'}/",
            "log_dest": f"log_dest file {self.workdir / 'mosquitto.log'}",
        }
        lines = []
        for line in text.splitlines():
            key = next((k for k in replace if line.startswith(k)), None)
            lines.append(replace[key] if key else line)
        lines.append("user root")  # the test runs unprivileged files from a temp dir
        return "\n".join(lines) + "\n"

    def url(self, user: str) -> BrokerUrl:
        return BrokerUrl("127.0.0.1", self.port, user, self.passwords[user])

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            self.binary,
            "-c",
            str(self.conf),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_WAIT_S
        while loop.time() < deadline:
            if self._proc.returncode is not None:
                err = await self._proc.stderr.read() if self._proc.stderr else b""
                raise RuntimeError(f"mosquitto exited: {err.decode().strip()}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            return
        raise RuntimeError(f"mosquitto did not start listening within {START_WAIT_S:.0f} s")

    async def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
