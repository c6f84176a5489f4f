"""On-scene payload tasks per incident type, checked against the payload's classes and the messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from docks.protocol.payload import AiDetectStart
from mission.model import AlertType
from mission.tasks_by_type import (
    DetectTask,
    IrAreaTask,
    SpeakerTask,
    check_messages,
    tasks_for,
    used_messages,
)
from payload.model import Label
from payload.speaker import load_messages

ROOT = Path(__file__).resolve().parents[3]
MESSAGES = ROOT / "config" / "speaker_messages.toml"


def test_every_alert_type_has_tasks_that_start_with_detection() -> None:
    for alert_type in AlertType:
        tasks = tasks_for(alert_type)
        assert tasks and isinstance(tasks[0], DetectTask), alert_type


def test_fire_detects_fire_and_smoke_then_measures_the_area() -> None:
    detect, measure = tasks_for(AlertType.FIRE_SMOKE)
    assert isinstance(detect, DetectTask) and {"fire", "smoke"} <= set(detect.classes)
    assert isinstance(measure, IrAreaTask) and measure.width > 0 and measure.height > 0


@pytest.mark.parametrize(
    ("alert_type", "label", "message"),
    [
        (AlertType.PERSON_NEAR_WATER, "person", "person_near_water"),
        (AlertType.CROWD, "crowd", "crowd"),
        (AlertType.STREET_VENDOR, "stationary_object", "stalls"),
        (AlertType.ROAD_OCCUPATION, "stationary_object", "stalls"),
    ],
)
def test_people_and_stalls_are_detected_then_warned(alert_type: AlertType, label: str, message: str) -> None:
    detect, speak = tasks_for(alert_type, lang="en")
    assert isinstance(detect, DetectTask) and label in detect.classes
    assert speak == SpeakerTask(message, "en")


def test_manual_and_other_detect_everything_without_speaking() -> None:
    for t in (AlertType.MANUAL, AlertType.OTHER, None):
        assert tasks_for(t) == (DetectTask(()),)


def test_classes_are_ones_the_payload_knows_and_valid_on_the_wire() -> None:
    known = {str(label) for label in Label}
    for alert_type in AlertType:
        for task in tasks_for(alert_type):
            if isinstance(task, DetectTask):
                assert set(task.classes) | set(task.fallback_classes) <= known
                AiDetectStart(classes=task.classes, confidence_min=task.confidence_min)


def test_the_shipped_messages_cover_every_warning() -> None:
    check_messages(MESSAGES)
    assert used_messages() <= set(load_messages(MESSAGES))


def test_a_messages_file_missing_a_warning_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "speaker_messages.toml"
    path.write_text('[crowd]\nzh = "a"\nen = "b"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="person_near_water"):
        check_messages(path)
