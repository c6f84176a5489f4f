"""The loudspeaker: text-to-speech and stored messages, volume, repeat, stop.

Speech comes from espeak-ng (Debian ``espeak-ng``; voices ``cmn`` for Chinese, ``en`` for English)
when the machine has it; otherwise a configured message plays from its stored recording
(``payload/audio/<type>.<lang>.wav``) and free text is refused with :class:`SpeakerError`.
The audio goes to an :class:`payload.ports.AudioSink`: the amplifier on a drone, a WAV file in the
sim (so tests can check that real speech of the right length was played).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tomllib
import wave
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt

from payload.ports import AudioSink

STORED_AUDIO_DIR = Path(__file__).resolve().parent / "audio"
DEFAULT_MESSAGES = Path(__file__).resolve().parents[1] / "config" / "speaker_messages.toml"
LANGUAGES = ("zh", "en")
ESPEAK_VOICES = {"zh": "cmn", "en": "en"}
STORED_RATE_HZ = 8000
GAP_S = 1.0
MAX_REPEAT = 20
MAX_TEXT_CHARS = 500


class SpeakerError(ValueError):
    """A request the loudspeaker cannot honour (bad text, unknown message, no engine, bad WAV)."""


class SpeakerState(StrEnum):
    IDLE = "idle"
    PLAYING = "playing"


@dataclass(frozen=True)
class Clip:
    """Mono 16-bit PCM."""

    samples: npt.NDArray[np.int16]
    rate_hz: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate_hz

    def to_wav(self) -> bytes:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.rate_hz)
            w.writeframes(self.samples.astype("<i2").tobytes())
        return buf.getvalue()

    @classmethod
    def from_wav(cls, data: bytes) -> Clip:
        try:
            with wave.open(io.BytesIO(data), "rb") as w:
                if w.getsampwidth() != 2:
                    raise SpeakerError(f"only 16-bit PCM WAV is supported, got {8 * w.getsampwidth()}-bit")
                raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
                channels, rate = w.getnchannels(), w.getframerate()
        except (wave.Error, EOFError) as exc:
            raise SpeakerError(f"not a WAV file: {exc}") from None
        mono = raw.reshape(-1, channels).mean(axis=1) if channels > 1 else raw
        return cls(np.asarray(mono, dtype=np.int16), rate)


def load_messages(path: Path) -> dict[str, dict[str, str]]:
    """``{incident_type: {lang: text}}`` from the TOML file; every type needs every language."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SpeakerError(f"{path}: {exc}") from None
    messages: dict[str, dict[str, str]] = {}
    for kind, texts in data.items():
        if not isinstance(texts, dict) or any(not isinstance(texts.get(lang), str) for lang in LANGUAGES):
            raise SpeakerError(f"{path}: [{kind}] needs text for each of {', '.join(LANGUAGES)}")
        messages[kind] = {lang: str(texts[lang]) for lang in LANGUAGES}
    return messages


class EspeakTts:
    """espeak-ng through its command line (``--stdout`` gives a WAV)."""

    def __init__(self, executable: str | None = None, words_per_minute: int = 150) -> None:
        found = executable or shutil.which("espeak-ng")
        if found is None:
            raise SpeakerError("espeak-ng is not installed")
        self.executable = found
        self.words_per_minute = words_per_minute

    @classmethod
    def if_available(cls) -> EspeakTts | None:
        return cls() if shutil.which("espeak-ng") else None

    def synthesize(self, text: str, lang: str) -> Clip:
        voice = ESPEAK_VOICES.get(lang)
        if voice is None:
            raise SpeakerError(f"unsupported language {lang!r} (use {', '.join(LANGUAGES)})")
        cmd = [self.executable, "-v", voice, "-s", str(self.words_per_minute), "--stdout", text]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=30, check=True)
        except (subprocess.SubprocessError, OSError) as exc:
            raise SpeakerError(f"espeak-ng failed: {exc}") from None
        return Clip.from_wav(done.stdout)


def _resample(clip: Clip, rate_hz: int) -> Clip:
    if clip.rate_hz == rate_hz:
        return clip
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(clip.rate_hz, rate_hz)
    out = resample_poly(clip.samples.astype(np.float64), rate_hz // g, clip.rate_hz // g)
    return Clip(np.clip(out, -32768, 32767).astype(np.int16), rate_hz)


def build_stored_audio(messages: dict[str, dict[str, str]], out_dir: Path, tts: EspeakTts) -> list[Path]:
    """Record every message with ``tts`` as ``<type>.<lang>.wav`` (8 kHz mono) for machines without TTS."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, texts in messages.items():
        for lang, text in texts.items():
            path = out_dir / f"{kind}.{lang}.wav"
            path.write_bytes(_resample(tts.synthesize(text, lang), STORED_RATE_HZ).to_wav())
            written.append(path)
    return written


class Speaker:
    """One loudspeaker: plays one clip at a time (a new one replaces the current)."""

    def __init__(
        self,
        sink: AudioSink,
        messages: dict[str, dict[str, str]],
        tts: EspeakTts | None = None,
        stored_dir: Path = STORED_AUDIO_DIR,
    ) -> None:
        self.sink = sink
        self.messages = messages
        self.tts = tts
        self.stored_dir = stored_dir
        self.state = SpeakerState.IDLE
        self.last_clip: Clip | None = None

    @staticmethod
    def _check(volume_pct: int, repeat: int) -> None:
        if not 0 <= volume_pct <= 100:
            raise SpeakerError(f"volume_pct must be 0..100, got {volume_pct}")
        if not 1 <= repeat <= MAX_REPEAT:
            raise SpeakerError(f"repeat must be 1..{MAX_REPEAT}, got {repeat}")

    def _play(self, clip: Clip, volume_pct: int, repeat: int) -> Clip:
        gap = np.zeros(int(GAP_S * clip.rate_hz), np.int16)
        parts: list[npt.NDArray[np.int16]] = []
        for i in range(repeat):
            parts += [gap, clip.samples] if i else [clip.samples]
        gain = volume_pct / 100.0
        samples = np.clip(np.concatenate(parts).astype(np.float64) * gain, -32768, 32767).astype(np.int16)
        out = Clip(samples, clip.rate_hz)
        self.sink.play(out.to_wav(), volume_pct)
        self.state = SpeakerState.PLAYING
        self.last_clip = out
        return out

    def play_tts(self, text: str, lang: str = "zh", volume_pct: int = 80, repeat: int = 1) -> Clip:
        """Speak ``text``; without a TTS engine, a text equal to a configured message plays its recording."""
        self._check(volume_pct, repeat)
        text = text.strip()
        if not text or len(text) > MAX_TEXT_CHARS:
            raise SpeakerError(f"text must be 1..{MAX_TEXT_CHARS} characters")
        if lang not in LANGUAGES:
            raise SpeakerError(f"unsupported language {lang!r} (use {', '.join(LANGUAGES)})")
        if self.tts is not None:
            return self._play(self.tts.synthesize(text, lang), volume_pct, repeat)
        for kind, texts in self.messages.items():
            if texts.get(lang) == text:
                return self._play(self._stored(kind, lang), volume_pct, repeat)
        raise SpeakerError("no text-to-speech engine on this payload, and the text is not a stored message")

    def play_message(self, kind: str, lang: str = "zh", volume_pct: int = 80, repeat: int = 1) -> Clip:
        """The configured message for an incident type, by TTS or from its recording."""
        if kind not in self.messages:
            raise SpeakerError(f"no message for {kind!r} (known: {', '.join(sorted(self.messages))})")
        if lang not in LANGUAGES:
            raise SpeakerError(f"unsupported language {lang!r} (use {', '.join(LANGUAGES)})")
        self._check(volume_pct, repeat)
        if self.tts is not None:
            return self._play(self.tts.synthesize(self.messages[kind][lang], lang), volume_pct, repeat)
        return self._play(self._stored(kind, lang), volume_pct, repeat)

    def play_audio(self, wav: bytes, volume_pct: int = 80, repeat: int = 1) -> Clip:
        """A WAV clip sent by mission control (16-bit PCM)."""
        self._check(volume_pct, repeat)
        return self._play(Clip.from_wav(wav), volume_pct, repeat)

    def stop(self) -> None:
        self.sink.stop()
        self.state = SpeakerState.IDLE

    def _stored(self, kind: str, lang: str) -> Clip:
        path = self.stored_dir / f"{kind}.{lang}.wav"
        if not path.is_file():
            raise SpeakerError(f"no stored recording {path.name} and no text-to-speech engine")
        return Clip.from_wav(path.read_bytes())


class WavFileSink:
    """The sim's loudspeaker: every played clip is written to ``out_dir/speaker-<n>.wav``."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.played: list[Path] = []
        self.stopped = 0

    def play(self, wav_bytes: bytes, volume_pct: int) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"speaker-{len(self.played) + 1:03d}.wav"
        path.write_bytes(wav_bytes)
        self.played.append(path)

    def stop(self) -> None:
        self.stopped += 1


class AplaySink:
    """A real sound card through ALSA's ``aplay`` (the payload computer's amplifier)."""

    def __init__(self, device: str | None = None) -> None:
        exe = shutil.which("aplay")
        if exe is None:
            raise SpeakerError("aplay (alsa-utils) is not installed")
        self._cmd = [exe, "-q"] + (["-D", device] if device else [])
        self._proc: subprocess.Popen[bytes] | None = None

    def play(self, wav_bytes: bytes, volume_pct: int) -> None:
        self.stop()
        self._proc = subprocess.Popen([*self._cmd, "-"], stdin=subprocess.PIPE)
        assert self._proc.stdin is not None
        self._proc.stdin.write(wav_bytes)
        self._proc.stdin.close()

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
        self._proc = None


def main(argv: list[str] | None = None) -> int:
    """``python -m payload.speaker --build-audio``: re-record the stored messages with espeak-ng."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m payload.speaker")
    parser.add_argument("--build-audio", action="store_true", help="record every message into payload/audio/")
    parser.add_argument("--messages", type=Path, default=DEFAULT_MESSAGES)
    args = parser.parse_args(argv)
    if not args.build_audio:
        parser.print_help()
        return 0
    for path in build_stored_audio(load_messages(args.messages), STORED_AUDIO_DIR, EspeakTts()):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
