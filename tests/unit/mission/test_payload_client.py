"""The payload client over a DockLink: requests valid on the wire, typed replies and errors."""

from __future__ import annotations

import pytest

from docks.ports import DockTimeoutError, DockUnreachableError
from mission.payload_client import PayloadClient, PayloadRefused, PayloadUnreachable
from tests.unit.mission.fakes_links import FakeDockLink


@pytest.fixture
def link() -> FakeDockLink:
    return FakeDockLink()


async def test_requests_go_to_the_payload_serial_of_the_drone(link: FakeDockLink) -> None:
    client = PayloadClient(link, serial_of=lambda d: f"{d}-PL")
    classes = await client.start_detection("U01", ("fire", "smoke"), 0.6, flight_id="m1")
    assert classes == ("fire", "smoke")
    wire = {"classes": ["fire", "smoke"], "confidence_min": 0.6, "flight_id": "m1", "rate_hz": None}
    assert link.calls == [("U01-PL", "ai_detect_start", wire)]


async def test_measure_area_returns_the_typed_output(link: FakeDockLink) -> None:
    area = await PayloadClient(link).measure_area("U01", 0.25, 0.25, 0.5, 0.5)
    assert area.max_temperature_c == 412.0
    assert link.calls[0][2] == {"x": 0.25, "y": 0.25, "width": 0.5, "height": 0.5}


async def test_stored_messages_and_text(link: FakeDockLink) -> None:
    client = PayloadClient(link)
    await client.play_message("U01", "person_near_water", "en")
    await client.speak_text("U01", "请离开水边")
    audio, tts = link.calls[0][2], link.calls[1][2]
    assert audio["file"]["url"] == "stored:person_near_water.en"
    assert tts["tts"]["text"] == "请离开水边"


async def test_a_refusal_carries_the_result_and_reason(link: FakeDockLink) -> None:
    link.results[("U01", "ir_measure_area")] = 3
    with pytest.raises(PayloadRefused) as info:
        await PayloadClient(link).measure_area("U01")
    assert info.value.result == 3 and info.value.reason == "scripted refusal"
    assert info.value.method == "ir_measure_area"


@pytest.mark.parametrize(
    "error", [DockTimeoutError("U01", "ai_detect_stop", 5.0), DockUnreachableError("no broker")]
)
async def test_link_failures_become_payload_unreachable(link: FakeDockLink, error: Exception) -> None:
    link.results[("U01", "ai_detect_stop")] = error
    with pytest.raises(PayloadUnreachable) as info:
        await PayloadClient(link).stop_detection("U01")
    assert info.value.__cause__ is error


async def test_invalid_requests_are_refused_before_sending(link: FakeDockLink) -> None:
    with pytest.raises(ValueError):
        await PayloadClient(link).measure_area("U01", x=1.5)
    assert link.calls == []
