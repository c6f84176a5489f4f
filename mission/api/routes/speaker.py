"""The stored loudspeaker messages (``GET /api/v1/speaker-messages``, viewer role), so that the
console's speak dialog can offer them: each message's key (what ``{"command": "speak", "message":
key}`` takes), its text in Chinese and English, and the incident types it is meant for; ``lang`` is
the language the drones play it in (``[missions] speaker_lang``).

The file is the one the settings name (``[payload] speaker_messages``), read once and kept."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from mission.api.deps import Viewer
from mission.model import AlertType
from mission.settings import Settings, load_settings
from mission.tasks_by_type import TASKS, SpeakerTask
from payload.speaker import SpeakerError, load_messages

router = APIRouter(tags=["missions"])

#: The message for incident types whose on-scene tasks play none (fire: the IR measure instead).
_FALLBACK = {AlertType.FIRE_SMOKE: "fire"}
GENERAL = "general"


class SpeakerMessageOut(BaseModel):
    key: str
    zh: str
    en: str
    incident_types: list[AlertType]


class SpeakerMessagesOut(BaseModel):
    """``messages`` in the file's order; ``lang``: what the drones speak (zh or en)."""

    lang: str
    messages: list[SpeakerMessageOut]


def message_for(incident_type: AlertType, keys: set[str]) -> str | None:
    """The stored message meant for an incident type: the one its on-scene tasks play, else a
    fallback, else ``general`` (None when the file has none of them)."""
    played = [t.message for t in TASKS.get(incident_type, ()) if isinstance(t, SpeakerTask)]
    for key in [*played, _FALLBACK.get(incident_type), GENERAL]:
        if key in keys:
            return key
    return None


def speaker_messages(settings: Settings) -> SpeakerMessagesOut:
    """The messages of the configured file, each with the incident types it is meant for."""
    texts = load_messages(settings.path(settings.payload.speaker_messages))
    by_key: dict[str, list[AlertType]] = {key: [] for key in texts}
    for incident_type in AlertType:
        key = message_for(incident_type, set(texts))
        if key is not None:
            by_key[key].append(incident_type)
    return SpeakerMessagesOut(
        lang=settings.missions.speaker_lang,
        messages=[
            SpeakerMessageOut(key=key, zh=text["zh"], en=text["en"], incident_types=by_key[key])
            for key, text in texts.items()
        ],
    )


@router.get(
    "/speaker-messages",
    response_model=SpeakerMessagesOut,
    summary="The stored loudspeaker messages (zh and en) and the incident types they are for",
)
async def list_speaker_messages(request: Request, _: Viewer) -> SpeakerMessagesOut:
    cached: SpeakerMessagesOut | None = getattr(request.app.state, "speaker_messages", None)
    if cached is None:
        settings = getattr(request.app.state, "settings", None)
        try:
            cached = speaker_messages(settings if isinstance(settings, Settings) else load_settings())
        except SpeakerError as exc:
            raise HTTPException(500, f"cannot read the speaker messages: {exc}") from None
        request.app.state.speaker_messages = cached
    return cached
