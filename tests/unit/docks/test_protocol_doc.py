"""docs/protocol.md stays true: every example decodes, and every method and result code is documented."""

from __future__ import annotations

import re
from pathlib import Path

from docks.protocol import Channel, decode, events, services, telemetry
from docks.result_codes import ResultCode

DOC = (Path(__file__).resolve().parents[3] / "docs" / "protocol.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"Topic: `([^`]+)`\n\n```json\n(.*?)\n```", DOC, flags=re.S)


def test_every_example_decodes() -> None:
    assert len(EXAMPLES) >= 30
    for topic_name, body in EXAMPLES:
        decode(topic_name, body.encode())


def test_every_method_has_an_example_of_request_and_reply() -> None:
    shown = {(t.rsplit("/", 1)[1], re.search(r'"method": "(\w+)"', b).group(1)) for t, b in EXAMPLES}  # type: ignore[union-attr]
    for method in services():
        assert ("services", method) in shown and ("services_reply", method) in shown, method
    for method in events():
        assert ("events", method) in shown, method
    for channel in (Channel.OSD, Channel.STATE, Channel.STATUS):
        for method in telemetry(channel):
            assert (channel.value, method) in shown, method
    assert ("events_reply", "hms") in shown


def test_every_result_code_is_documented() -> None:
    for code in ResultCode:
        assert f"| {int(code)} | `{code.name.lower()}` |" in DOC
