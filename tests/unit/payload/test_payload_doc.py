"""docs/payload.md stays true: its wire examples decode with the protocol's own codec."""

from __future__ import annotations

import re
from pathlib import Path

from docks.protocol import decode

DOC = (Path(__file__).resolve().parents[3] / "docs" / "payload.md").read_text(encoding="utf-8")


def test_examples_decode() -> None:
    examples = re.findall(r"Topic: `([^`]+)`\n\n```json\n(.*?)\n```", DOC, flags=re.S)
    methods = {decode(topic, body.encode()).method for topic, body in examples}
    assert methods == {"ai_detection", "payload_osd"}
