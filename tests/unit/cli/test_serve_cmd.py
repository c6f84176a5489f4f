"""``skyloop serve``: the ``[drones]`` section, and what it refuses before starting anything."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mission.app_settings import DroneLinkSettings, drone_specs, payload_serials
from mission.cli import main
from mission.cli.paths import DEFAULT_CONFIG

BROKER_URL = "mqtt://127.0.0.1:1883"
DRONE = '[drones.D01-UAV]\nurl = "udpin://127.0.0.1:14541"\n'


def config(tmp_path: Path, extra: str, broker_url: str | None = None) -> Path:
    """A copy of the reference config folder with ``extra`` appended to its TOML and, if given,
    another ``[mqtt] broker_url``."""
    folder = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG.parent, folder, dirs_exist_ok=True)
    path = folder / DEFAULT_CONFIG.name
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    if broker_url is not None:
        assert 'broker_url = "embedded"' in text
        text = text.replace('broker_url = "embedded"', f'broker_url = "{broker_url}"', 1)
    path.write_text(text + "\n" + extra, encoding="utf-8")
    return path


def serve(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, str]:
    code = main(["serve", "--config", str(path)])
    return code, capsys.readouterr().err


def test_serve_refuses_the_embedded_broker(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = serve(capsys, config(tmp_path, DRONE))
    assert code == 2 and "needs a real broker" in err and err.count("\n") == 1


def test_serve_refuses_a_fleet_without_drones(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = serve(capsys, config(tmp_path, "", BROKER_URL))
    assert code == 2 and "[drones.<drone id>]" in err


def test_a_bad_drones_section_names_the_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = serve(capsys, config(tmp_path, DRONE + "system_id = 0\n", BROKER_URL))
    assert code == 2 and "drones.D01-UAV.system_id" in err


def test_drone_specs_and_payload_serials() -> None:
    drones = {
        "D01-UAV": DroneLinkSettings(url="udpin://0.0.0.0:14541", system_id=1, payload_serial="PL-1"),
        "D02-UAV": DroneLinkSettings(url="udpin://0.0.0.0:14542", system_id=2),
    }
    assert [(s.drone_id, s.url, s.system_id) for s in drone_specs(drones)] == [
        ("D01-UAV", "udpin://0.0.0.0:14541", 1),
        ("D02-UAV", "udpin://0.0.0.0:14542", 2),
    ]
    assert payload_serials(drones) == {"D01-UAV": "PL-1", "D02-UAV": "D02-UAV"}
    twice = {"A": DroneLinkSettings(url="udpin://0.0.0.0:1"), "B": DroneLinkSettings(url="udpin://0.0.0.0:2")}
    with pytest.raises(ValueError, match="share system_id 1"):
        drone_specs(twice)
