"""Enforce the dependency direction of ARCHITECTURE.md §1 by parsing every import.

mission            (top: may import all; only mission.app / mission.cli may import sim)
fleet   sim        (sim imports geo, docks, payload — never fleet or mission)
docks   payload    (payload may import docks.protocol for the wire format)
geo                (imports nothing of ours)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("geo", "docks", "payload", "fleet", "sim", "mission")
ALLOWED: dict[str, set[str]] = {
    "geo": set(),
    "docks": {"geo"},
    "payload": {"geo", "docks.protocol"},
    "fleet": {"geo", "docks", "payload"},
    "sim": {"geo", "docks", "payload"},
    "mission": {"geo", "docks", "payload", "fleet"},
}
#: Modules (prefixes) of mission that wire a running system and so may import sim.
MAY_IMPORT_SIM = ("mission.app", "mission.cli")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def allowed(importer: str, target: str) -> bool:
    own = importer.split(".")[0]
    top = target.split(".")[0]
    if top not in PACKAGES or top == own:
        return True
    if top == "sim" and own == "mission":
        return importer.startswith(MAY_IMPORT_SIM)
    return any(target == rule or target.startswith(rule + ".") for rule in ALLOWED[own])


def main() -> int:
    errors: list[str] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for lineno, target in imported_modules(path):
                if not allowed(module, target):
                    errors.append(f"{path.relative_to(ROOT)}:{lineno}: {module} must not import {target}")
    for line in sorted(set(errors)):
        print(line)
    if errors:
        print(f"{len(set(errors))} import(s) against the dependency direction", file=sys.stderr)
        return 1
    print("import direction ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
