"""Feed audio to a hand-driven session the way a caller streams it: 20 ms chunks at real time.

Chunk k of a stream that starts at `start_at` is appended at `start_at + (k + 1) * 20 ms`, the
moment its last sample was captured, so event times can be predicted from the audio timeline.
"""

from __future__ import annotations

from typing import Any

from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.codecs import b64encode_audio, from_pcm16_24k
from realtime_conformance.rtproto.audio.formats import FORMATS, PCM16, AudioFormat
from tests.support.engine import EngineDriver, session_update

CHUNK_MS = 20
FORMAT_IDS = [fmt.beta_name for fmt in FORMATS]


def append(chunk: bytes) -> dict[str, Any]:
    return {"type": "input_audio_buffer.append", "audio": b64encode_audio(chunk)}


def feed(
    driver: EngineDriver,
    pcm: bytes,
    fmt: AudioFormat = PCM16,
    *,
    start_at: float | None = None,
    chunk_ms: float = CHUNK_MS,
) -> float:
    """Append `pcm` (PCM16 24 kHz, converted to `fmt`) in real time; returns when it ends."""
    at = driver.now if start_at is None else start_at
    for piece in synth.chunk(from_pcm16_24k(pcm, fmt), chunk_ms, fmt):
        at += fmt.duration_ms(len(piece)) / 1000
        driver.send(append(piece), at=at)
    return at


def input_format(fmt: AudioFormat, **turn_detection: Any) -> dict[str, Any]:
    """A session.update for an input format, with turn detection fields when given."""
    audio_input: dict[str, Any] = {"format": fmt.ga()}
    if turn_detection:
        audio_input["turn_detection"] = {"type": "server_vad", **turn_detection}
    return session_update(audio={"input": audio_input})


def fields(event: dict[str, Any], *names: str) -> tuple[Any, ...]:
    """The named fields of an event (None where it has none)."""
    return tuple(event.get(name) for name in names)
