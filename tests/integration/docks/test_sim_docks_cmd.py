"""``skyloop sim docks`` end to end on the embedded broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from mission.cli import main
from tests.unit.docks.test_sim_docks_cli import dock, write


def test_cli_runs_docks_on_the_embedded_broker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, [dock("D01"), dock("D02", 113.8, 34.8, type="dock3")])
    code = main(
        ["sim", "docks", "--docks", str(path), "--broker", "embedded", "--speed", "50", "--duration", "20"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "2 sim docks on mqtt://127.0.0.1:" in out
    sent = int(out.split("; ")[1].split()[0])
    assert sent >= 2  # both docks published OSD
