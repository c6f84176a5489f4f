"""On-scene payload work of a mission: run the incident type's tasks, stop them again.

Each task's outcome goes to ``note`` (the mission's event log); one task failing does not stop the
others, and the scene counts as done in any case: a payload that cannot help must not keep the
drone from watching.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mission.model import AlertType
from mission.payload_client import PayloadClient, PayloadError, PayloadRefused
from mission.tasks_by_type import DetectTask, IrAreaTask, SpeakerTask, tasks_for

Note = Callable[[str, dict[str, Any]], Awaitable[None]]


async def run_tasks(
    client: PayloadClient,
    drone_id: str,
    flight_id: str,
    incident_type: AlertType | None,
    lang: str,
    note: Note,
) -> int:
    """Run the tasks of ``incident_type`` in order; returns how many succeeded."""
    done = 0
    for task in tasks_for(incident_type, lang):
        name = type(task).__name__
        try:
            result: dict[str, Any] = {"task": name}
            if isinstance(task, DetectTask):
                result["classes"] = await _detect(client, drone_id, flight_id, task)
            elif isinstance(task, IrAreaTask):
                area = await client.measure_area(drone_id, task.x, task.y, task.width, task.height)
                result.update(area.model_dump(mode="json"))
            elif isinstance(task, SpeakerTask):
                await client.play_message(drone_id, task.message, task.lang, task.repeat)
                result["message"] = task.message
        except (PayloadError, ValueError) as exc:
            await note("payload_failed", {"task": name, "why": str(exc)})
            continue
        done += 1
        await note("payload", result)
    return done


async def _detect(client: PayloadClient, drone_id: str, flight_id: str, task: DetectTask) -> list[str]:
    try:
        return list(await client.start_detection(drone_id, task.classes, task.confidence_min, flight_id))
    except PayloadRefused:
        if not task.fallback_classes:
            raise
        classes = task.fallback_classes
        return list(await client.start_detection(drone_id, classes, task.confidence_min, flight_id))


async def stop_tasks(client: PayloadClient, drone_id: str) -> None:
    """Stop detection and the loudspeaker (both tried); ``PayloadError`` naming what failed."""
    errors: list[str] = []
    for stop in (client.stop_detection, client.stop_speaker):
        try:
            await stop(drone_id)
        except PayloadError as exc:
            errors.append(str(exc))
    if errors:
        raise PayloadError(client.serial_of(drone_id), "stop", "; ".join(errors))
