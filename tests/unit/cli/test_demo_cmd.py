"""``skyloop demo``: bad input is one clear line and exit 2 (a real run: tests/integration/stack)."""

from __future__ import annotations

import pytest

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
