"""Stand-in model audio: one tone burst per spoken word, encoded in the session's output format.

Deterministic and cheap: a word is WORD_MS of audio (a sine burst of a few hundred Hz whose
pitch follows the word's letters, then a short silence); punctuation takes no time. Bursts are
cached per (pitch, format), so a long answer costs little. G.711 follows the classic Sun
reference encoder (13-bit A-law, 14-bit mu-law). A later issue replaces this module with
speech-like audio and a proper codec module.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from functools import cache
from typing import Any

WORD_MS = 350
TONE_MS = 280  # the rest of a word is silence, so words are audibly apart
FADE_MS = 10
AMPLITUDE = 8000
PITCHES_HZ = tuple(220 + 25 * step for step in range(12))


@dataclass(frozen=True)
class AudioFormat:
    type: str  # "audio/pcm" | "audio/pcmu" | "audio/pcma"
    sample_rate: int

    @property
    def bytes_per_ms(self) -> int:
        sample_bytes = 2 if self.type == "audio/pcm" else 1
        return self.sample_rate * sample_bytes // 1000


def format_of(value: Any) -> AudioFormat:
    """The format a GA format object names; PCM16 at 24 kHz unless it says G.711."""
    kind = value.get("type") if isinstance(value, dict) else None
    if kind in ("audio/pcmu", "audio/pcma"):
        return AudioFormat(kind, 8000)
    return AudioFormat("audio/pcm", 24_000)


def _search(value: int, ends: tuple[int, ...]) -> int:
    return next((index for index, end in enumerate(ends) if value <= end), len(ends))


A_LAW_ENDS = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)
MU_LAW_ENDS = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)
MU_LAW_BIAS = 0x21
MU_LAW_CLIP = 8159


def alaw(sample: int) -> int:
    value = sample >> 3
    mask = 0xD5 if value >= 0 else 0x55
    if value < 0:
        value = -value - 1
    segment = _search(value, A_LAW_ENDS)
    if segment >= 8:
        return 0x7F ^ mask
    shift = 1 if segment < 2 else segment
    return ((segment << 4) | ((value >> shift) & 0x0F)) ^ mask


def ulaw(sample: int) -> int:
    value = sample >> 2
    mask = 0x7F if value < 0 else 0xFF
    value = min(abs(value), MU_LAW_CLIP) + MU_LAW_BIAS
    segment = _search(value, MU_LAW_ENDS)
    if segment >= 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask


def encode(samples: list[int], fmt: AudioFormat) -> bytes:
    if fmt.type == "audio/pcmu":
        return bytes(ulaw(sample) for sample in samples)
    if fmt.type == "audio/pcma":
        return bytes(alaw(sample) for sample in samples)
    return struct.pack(f"<{len(samples)}h", *samples)


def _envelope(index: int, total: int, fade: int) -> float:
    return min(1.0, index / fade, (total - index) / fade)


@cache
def word_audio(pitch_hz: int, fmt: AudioFormat) -> bytes:
    """One word: a faded sine burst, then silence; WORD_MS long in `fmt`."""
    rate = fmt.sample_rate
    tone, fade = rate * TONE_MS // 1000, rate * FADE_MS // 1000
    step = 2 * math.pi * pitch_hz / rate
    burst = [round(AMPLITUDE * _envelope(i, tone, fade) * math.sin(step * i)) for i in range(tone)]
    silence = [0] * (rate * WORD_MS // 1000 - tone)
    return encode(burst + silence, fmt)


def is_spoken(token: str) -> bool:
    return any(character.isalnum() for character in token)


def pitch_of(token: str) -> int:
    return PITCHES_HZ[sum(map(ord, token.strip().lower())) % len(PITCHES_HZ)]


def speak(tokens: list[str], fmt: AudioFormat) -> tuple[bytes, list[float]]:
    """The audio for a transcript's tokens, and where (ms) each token's speech ends."""
    pieces, ends, position = [], [], 0.0
    for token in tokens:
        if is_spoken(token):
            pieces.append(word_audio(pitch_of(token), fmt))
            position += WORD_MS
        ends.append(position)
    return b"".join(pieces), ends


def split_chunks(audio: bytes, fmt: AudioFormat, chunk_ms: int) -> list[bytes]:
    size = fmt.bytes_per_ms * chunk_ms
    return [audio[start : start + size] for start in range(0, len(audio), size)]
