"""The loudspeaker: real speech (espeak-ng) or stored recordings, volume, repeat, stop, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from payload.speaker import (
    DEFAULT_MESSAGES,
    LANGUAGES,
    STORED_AUDIO_DIR,
    Clip,
    EspeakTts,
    Speaker,
    SpeakerError,
    SpeakerState,
    WavFileSink,
    load_messages,
)

MESSAGES = load_messages(DEFAULT_MESSAGES)
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed here")


def speech_profile(clip: Clip) -> dict[str, float]:
    """Frame energy, pitch and syllable-rate measures of a clip (20 ms frames)."""
    x = clip.samples.astype(np.float64)
    n = int(0.02 * clip.rate_hz)
    frames = x[: len(x) // n * n].reshape(-1, n)
    energy = np.sqrt((frames**2).mean(axis=1))
    voiced = energy > 0.1 * energy.max()
    # fundamental frequency of voiced frames from the autocorrelation peak in 70–400 Hz
    f0 = []
    lo, hi = int(clip.rate_hz / 400), int(clip.rate_hz / 70)
    for f in frames[voiced]:
        seg = np.concatenate([f, np.zeros(n)])
        ac = np.fft.irfft(np.abs(np.fft.rfft(seg)) ** 2)[: 2 * n]
        if hi < len(ac) and ac[0] > 0:
            lag = lo + int(np.argmax(ac[lo:hi]))
            if ac[lag] / ac[0] > 0.3:
                f0.append(clip.rate_hz / lag)
    # syllabic rhythm: voiced/unvoiced transitions per second
    transitions = int(np.count_nonzero(np.diff(voiced.astype(int)) == 1))
    return {
        "duration_s": clip.duration_s,
        "voiced_fraction": float(voiced.mean()),
        "pitched_fraction": len(f0) / max(int(voiced.sum()), 1),
        "median_f0_hz": float(np.median(f0)) if f0 else 0.0,
        "onsets_per_s": transitions / clip.duration_s,
    }


def assert_speech(clip: Clip, units: int, per_unit_s: tuple[float, float]) -> None:
    """Real speech: plausible length for ``units`` words/characters, voiced with a human pitch,
    and a syllabic rhythm (not a tone, not noise, not silence)."""
    p = speech_profile(clip)
    assert per_unit_s[0] * units <= p["duration_s"] <= per_unit_s[1] * units, p
    assert 0.3 <= p["voiced_fraction"] <= 0.97, p
    assert p["pitched_fraction"] >= 0.5 and 70 <= p["median_f0_hz"] <= 300, p
    assert 0.8 <= p["onsets_per_s"] <= 8, p


def test_a_pure_tone_and_noise_are_not_speech() -> None:
    t = np.arange(16000 * 3) / 16000
    tone = Clip((8000 * np.sin(2 * np.pi * 150 * t)).astype(np.int16), 16000)
    noise = Clip(np.random.default_rng(0).normal(0, 3000, 48000).astype(np.int16), 16000)
    for clip in (tone, noise):
        with pytest.raises(AssertionError):
            assert_speech(clip, 6, (0.2, 0.8))


def test_messages_cover_every_type_in_both_languages() -> None:
    assert {"fire", "person_near_water", "crowd", "stalls"} <= set(MESSAGES)
    for texts in MESSAGES.values():
        assert set(texts) == set(LANGUAGES)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in texts["zh"])


@needs_espeak
def test_tts_english_is_speech_of_the_right_length(tmp_path: Path) -> None:
    sink = WavFileSink(tmp_path)
    speaker = Speaker(sink, MESSAGES, EspeakTts())
    text = MESSAGES["person_near_water"]["en"]
    speaker.play_tts(text, "en")
    assert speaker.state is SpeakerState.PLAYING
    clip = Clip.from_wav(sink.played[-1].read_bytes())
    assert_speech(clip, len(text.split()), (0.2, 0.8))


@needs_espeak
def test_tts_chinese_is_speech_of_the_right_length(tmp_path: Path) -> None:
    sink = WavFileSink(tmp_path)
    text = MESSAGES["fire"]["zh"]
    Speaker(sink, MESSAGES, EspeakTts()).play_message("fire", "zh")
    hanzi = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    assert_speech(Clip.from_wav(sink.played[-1].read_bytes()), hanzi, (0.12, 0.7))


@pytest.mark.parametrize("kind", sorted(MESSAGES))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_stored_recordings_are_speech_and_play_without_tts(tmp_path: Path, kind: str, lang: str) -> None:
    sink = WavFileSink(tmp_path)
    speaker = Speaker(sink, MESSAGES, tts=None)
    clip = speaker.play_message(kind, lang, volume_pct=100)
    text = MESSAGES[kind][lang]
    units = sum("\u4e00" <= ch <= "\u9fff" for ch in text) if lang == "zh" else len(text.split())
    assert_speech(clip, units, (0.12, 0.7) if lang == "zh" else (0.2, 0.8))
    assert (STORED_AUDIO_DIR / f"{kind}.{lang}.wav").is_file()
    # a free text equal to the stored message plays too; any other text is refused
    speaker.play_tts(text, lang)
    with pytest.raises(SpeakerError, match="no text-to-speech"):
        speaker.play_tts("some other words", lang)


def test_repeat_volume_and_stop(tmp_path: Path) -> None:
    sink = WavFileSink(tmp_path)
    speaker = Speaker(sink, MESSAGES, tts=None)
    once = speaker.play_message("crowd", "en", volume_pct=100)
    thrice = speaker.play_message("crowd", "en", volume_pct=50, repeat=3)
    assert thrice.duration_s == pytest.approx(3 * once.duration_s + 2 * 1.0, abs=0.01)
    peak_once, peak_half = np.abs(once.samples).max(), np.abs(thrice.samples).max()
    assert peak_half == pytest.approx(peak_once / 2, rel=0.01)
    assert len(sink.played) == 2
    speaker.stop()
    assert speaker.state is SpeakerState.IDLE and sink.stopped == 1


def test_bad_requests(tmp_path: Path) -> None:
    speaker = Speaker(WavFileSink(tmp_path), MESSAGES, tts=None, stored_dir=tmp_path / "none")
    with pytest.raises(SpeakerError, match="volume"):
        speaker.play_message("fire", "en", volume_pct=120)
    with pytest.raises(SpeakerError, match="repeat"):
        speaker.play_message("fire", "en", repeat=0)
    with pytest.raises(SpeakerError, match="no message"):
        speaker.play_message("alien_landing", "en")
    with pytest.raises(SpeakerError, match="language"):
        speaker.play_message("fire", "fr")
    with pytest.raises(SpeakerError, match="stored recording"):
        speaker.play_message("fire", "en")
    with pytest.raises(SpeakerError, match="not a WAV"):
        speaker.play_audio(b"RIFF....nonsense")
    bad = tmp_path / "bad.toml"
    bad.write_text('[fire]\nzh = "火"\n')
    with pytest.raises(SpeakerError, match="needs text"):
        load_messages(bad)
