"""What the payload does on scene, per incident type: detect, measure, announce.

=====================  ==============================================  ===========================
incident type          detect (``ai_detect_start`` classes)            then
=====================  ==============================================  ===========================
fire_smoke             fire, smoke, hot_spot                           IR area measure (frame)
person_near_water      person (else warm_body without a person model)  loudspeaker warning
crowd                  crowd                                           loudspeaker warning
street_vendor          stationary_object                               loudspeaker warning
road_occupation        stationary_object                               loudspeaker warning
manual, other          everything the payload supports                 —
=====================  ==============================================  ===========================

Warnings are the stored messages of ``config/speaker_messages.toml`` (played as
``stored:<key>.<lang>``, which every payload can play); :func:`check_messages` verifies at start-up
that every key used here exists in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mission.model import AlertType
from payload.speaker import load_messages


@dataclass(frozen=True)
class DetectTask:
    """Start detection of ``classes`` (empty: all); ``fallback_classes`` if the payload refuses."""

    classes: tuple[str, ...]
    confidence_min: float = 0.5
    fallback_classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class IrAreaTask:
    """Measure temperatures over an image box (fractions of the frame)."""

    x: float = 0.0
    y: float = 0.0
    width: float = 1.0
    height: float = 1.0


@dataclass(frozen=True)
class SpeakerTask:
    """Play the stored warning ``message`` (a key of speaker_messages.toml) in ``lang``."""

    message: str
    lang: str = "zh"
    repeat: bool = False


PayloadTask = DetectTask | IrAreaTask | SpeakerTask

_STALLS = (DetectTask(("stationary_object",)), SpeakerTask("stalls"))
TASKS: dict[AlertType, tuple[PayloadTask, ...]] = {
    AlertType.FIRE_SMOKE: (
        DetectTask(("fire", "smoke", "hot_spot"), fallback_classes=("fire", "smoke")),
        IrAreaTask(),
    ),
    AlertType.PERSON_NEAR_WATER: (
        DetectTask(("person",), fallback_classes=("warm_body",)),
        SpeakerTask("person_near_water"),
    ),
    AlertType.CROWD: (DetectTask(("crowd",)), SpeakerTask("crowd")),
    AlertType.STREET_VENDOR: _STALLS,
    AlertType.ROAD_OCCUPATION: _STALLS,
    AlertType.MANUAL: (DetectTask(()),),
    AlertType.OTHER: (DetectTask(()),),
}


def tasks_for(incident_type: AlertType | None, lang: str = "zh") -> tuple[PayloadTask, ...]:
    """The on-scene tasks of an incident type, in order (None: a mission without an incident).

    >>> [type(t).__name__ for t in tasks_for(AlertType.FIRE_SMOKE)]
    ['DetectTask', 'IrAreaTask']
    >>> tasks_for(AlertType.CROWD, lang="en")[1]
    SpeakerTask(message='crowd', lang='en', repeat=False)
    """
    tasks = TASKS[incident_type] if incident_type is not None else TASKS[AlertType.OTHER]
    return tuple(SpeakerTask(t.message, lang, t.repeat) if isinstance(t, SpeakerTask) else t for t in tasks)


def used_messages() -> set[str]:
    """Every speaker message key the table uses."""
    return {t.message for tasks in TASKS.values() for t in tasks if isinstance(t, SpeakerTask)}


def check_messages(path: Path) -> None:
    """Raise ``ValueError`` naming the missing keys if ``path`` lacks a message the table uses
    (``payload.speaker.SpeakerError``, a ValueError, for an unreadable file)."""
    missing = used_messages() - set(load_messages(path))
    if missing:
        raise ValueError(f"{path}: no speaker message for {', '.join(sorted(missing))}")
