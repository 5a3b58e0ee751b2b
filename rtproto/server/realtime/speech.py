"""The simulated model's voice: speech-like audio for a transcript, and when each word is said.

A spoken word is MS_PER_WORD (350 ms, rtproto.audio.synth's default) of continuous speech-like
audio (`synth.utterance`: voiced harmonics under a syllable envelope at -20 dBFS), so a
client's VAD, or a loopback test's, hears it as speech. Words are the transcript's
whitespace-separated pieces, punctuation riding with its word, as `synth.words_with_timing`
splits them; a transcript delta (a token) is said when its word starts, and a truncate at
`audio_end_ms` keeps the words said in full by then (`synth.text_heard`). The audio is seeded
by the transcript's CRC-32, so the same answer always sounds the same; it is made as PCM16
24 kHz and converted to the output format (G.711 resampled to 8 kHz by soxr).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.codecs import from_pcm16_24k
from realtime_conformance.rtproto.audio.formats import AudioFormat
from realtime_conformance.rtproto.audio.synth import TimedWord

MS_PER_WORD = synth.DEFAULT_MS_PER_WORD


def starts_word(token: str, first: bool) -> bool:
    """Whether `token` begins a new spoken word (`first`: no word has begun before it)."""
    return bool(token.strip()) and (first or token[0].isspace())


def word_indexes(tokens: Sequence[str]) -> list[int]:
    """The word each token belongs to (-1 for a token before any word)."""
    indexes, current = [], -1
    for token in tokens:
        if starts_word(token, current < 0):
            current += 1
        indexes.append(current)
    return indexes


@dataclass(frozen=True)
class Speech:
    """A transcript said aloud: its audio in one format, and the timing of words and tokens."""

    audio: bytes
    words: list[TimedWord]
    token_starts_ms: list[float]  # when each token's word starts

    @property
    def duration_ms(self) -> float:
        return float(self.words[-1].end_ms) if self.words else 0.0


def speak(tokens: Sequence[str], fmt: AudioFormat) -> Speech:
    text = "".join(tokens)
    pcm, words = synth.utterance(text, MS_PER_WORD, seed=zlib.crc32(text.encode("utf-8")))
    starts = [float(words[index].start_ms) if index >= 0 else 0.0 for index in word_indexes(tokens)]
    return Speech(from_pcm16_24k(pcm, fmt), words, starts)
