"""The dependency-direction checker accepts what ARCHITECTURE.md allows and rejects the rest."""

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "scripts" / "check_imports.py"
_spec = importlib.util.spec_from_file_location("check_imports", _PATH)
assert _spec and _spec.loader
check_imports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_imports)


@pytest.mark.parametrize(
    ("importer", "target", "ok"),
    [
        ("geo.coverage", "geo.reach", True),
        ("geo.coverage", "numpy", True),
        ("geo.coverage", "docks.protocol", False),
        ("payload.agent", "docks.protocol.Envelope", True),
        ("payload.agent", "docks.link", False),
        ("sim.vehicle", "fleet.ports", False),
        ("sim.dock", "docks.protocol", True),
        ("fleet.manager", "mission.store", False),
        ("fleet.manager", "sim.dock", False),
        ("mission.planner", "sim.vehicle", False),
        ("mission.app", "sim.vehicle", True),
        ("mission.cli.demo_cmd", "sim.world", True),
    ],
)
def test_allowed(importer: str, target: str, ok: bool) -> None:
    assert check_imports.allowed(importer, target) is ok


def test_repository_follows_the_direction() -> None:
    assert check_imports.main() == 0
