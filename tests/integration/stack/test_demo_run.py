"""``skyloop demo`` for a few sim seconds: the endpoints and the fleet table are printed."""

from __future__ import annotations

import pytest

from mission.cli import main


def test_a_short_run_shows_endpoints_and_the_fleet(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "demo",
            "--no-coverage",
            "--docks",
            "2",
            "--speed",
            "20",
            "--duration",
            "30",
            "--every",
            "0.5",
            "--port",
            "0",
        ]
    )
    out, _ = capsys.readouterr()
    assert code == 0
    assert "MQTT broker  mqtt://127.0.0.1:" in out and "D02-UAV    MAVLink sysid 2" in out
    table = out[out.rindex("--- sim time") :]
    assert "D01 " in table and "D02 " in table and "of 2 docks available" in table
