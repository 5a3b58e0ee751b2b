"""Placeholder assistant audio: a deterministic PCM16 24 kHz tone, cut into base64 chunks.

Deliberately minimal and on its own: a later piece of work (speech-like audio, G.711) replaces
this module, and nothing else in the scenario package knows how audio is made.
"""

from __future__ import annotations

import base64
import math
import struct
from functools import cache

from realtime_conformance.rtproto.audio.codecs import convert
from realtime_conformance.rtproto.audio.formats import PCM16, AudioFormat

SAMPLE_RATE = 24_000
BYTES_PER_MS = SAMPLE_RATE * 2 // 1000  # PCM16 mono: 48 bytes per millisecond
TONE_HZ = 440.0
AMPLITUDE = 0.2 * 32767


def tone_pcm16(duration_ms: int, start_ms: int = 0) -> bytes:
    """`duration_ms` of a 440 Hz sine, little-endian PCM16, phase-continuous from `start_ms`."""
    first = start_ms * SAMPLE_RATE // 1000
    count = duration_ms * SAMPLE_RATE // 1000
    step = 2 * math.pi * TONE_HZ / SAMPLE_RATE
    samples = (round(AMPLITUDE * math.sin(step * n)) for n in range(first, first + count))
    return struct.pack(f"<{count}h", *samples)


@cache
def audio_chunks(duration_ms: int, chunk_ms: int, fmt: AudioFormat = PCM16) -> tuple[str, ...]:
    """The tone as base64 deltas of `chunk_ms` each (the last one may be shorter), in `fmt`:
    the session's output format, as the real API sends (a G.711 session gets G.711 deltas).

    Cached: the same reply recurs turn after turn, and computing its samples one by one in
    Python would stall every other session of the server while it runs (~130 µs per 20 ms).
    """
    return tuple(
        base64.b64encode(
            convert(tone_pcm16(min(chunk_ms, duration_ms - start), start), PCM16, fmt)
        ).decode("ascii")
        for start in range(0, duration_ms, chunk_ms)
    )
