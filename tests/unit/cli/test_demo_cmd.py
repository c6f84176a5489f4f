"""``skyloop demo``: bad input is one clear line and exit 2 (a real run: tests/integration/stack)."""

from __future__ import annotations

import socket

import pytest

import mission.cli as cli
from mission.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--speed", "0"], "--speed must be within (0, 100]"),
        (["--speed", "nan"], "--speed"),
        (["--port", "70000"], "--port must be within 0..65535"),
        (["--scenario", "volcano"], "unknown --scenario 'volcano' (known: fire-at-longhu,"),
        (["--duration", "-5"], "--duration must be a positive number"),
        (["--docks", "0"], "--docks must be within 1..200"),
        (["--every", "0"], "--every must be a positive number"),
        (["--config", "/nonexistent/skyloop.toml"], "config file not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code = main(["demo", "--no-coverage", *argv])
    _, err = capsys.readouterr()
    assert code == 2 and message in err and err.count("\n") == 1


def test_a_taken_port_is_named_as_such(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # one dock: the sim world comes up before the port is tried (16 took 35 s under load, and
        # once a start-up wait gave up first)
        code = main(["demo", "--no-coverage", "--docks", "1", "--port", str(port), "--duration", "5"])
    _, err = capsys.readouterr()
    assert code == 2
    assert f"skyloop: error: cannot start the demo: port {port} is taken (--port N)" in err


def test_ctrl_c_while_the_commands_import_ends_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(name: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.importlib, "import_module", interrupted)
    assert main(["demo"]) == 130
