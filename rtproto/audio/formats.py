"""The three Realtime audio formats, both names of each, and the millisecond math of the real API.

The real API counts audio by bytes: PCM16 mono at 24 kHz is 48 bytes per millisecond, G.711
(mu-law or A-law, 8 kHz, one byte per sample) is 8 bytes per millisecond. Beta sessions name a
format by a string (`pcm16`, `g711_ulaw`, `g711_alaw`); GA sessions by an object
(`{"type": "audio/pcm", "rate": 24000}`, `{"type": "audio/pcmu"}`, `{"type": "audio/pcma"}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class AudioFormatError(ValueError):
    """Audio bytes or a format name that the real API would not accept."""


@dataclass(frozen=True)
class AudioFormat:
    """One wire audio format: its names in both dialects and its sample arithmetic."""

    beta_name: str
    ga_type: str
    sample_rate: int
    bytes_per_sample: int
    description: str  # as the real API words it in "Expected base64-encoded audio bytes (...)"

    @property
    def bytes_per_ms(self) -> int:
        """48 for PCM16 at 24 kHz, 8 for G.711 at 8 kHz (both rates are whole samples per ms)."""
        return self.sample_rate // 1000 * self.bytes_per_sample

    @property
    def is_pcm16(self) -> bool:
        return self.bytes_per_sample == 2

    def ga(self) -> dict[str, Any]:
        """The GA format object, as a session.created would show it."""
        if self.is_pcm16:
            return {"type": self.ga_type, "rate": self.sample_rate}
        return {"type": self.ga_type}

    def check_byte_count(self, byte_count: int) -> None:
        """Raise unless the bytes hold whole samples (an odd count is invalid for PCM16)."""
        if byte_count < 0 or byte_count % self.bytes_per_sample:
            raise AudioFormatError(
                f"{byte_count} bytes is not a whole number of {self.bytes_per_sample}-byte "
                f"samples ({self.description})"
            )

    def samples(self, byte_count: int) -> int:
        """Samples in `byte_count` bytes; partial samples are an error."""
        self.check_byte_count(byte_count)
        return byte_count // self.bytes_per_sample

    def duration_ms(self, byte_count: int) -> float:
        """Milliseconds of audio in `byte_count` bytes (exact: bytes / bytes_per_ms)."""
        self.check_byte_count(byte_count)
        return byte_count / self.bytes_per_ms

    def samples_for_ms(self, ms: float) -> int:
        """Whole samples in `ms` milliseconds, rounded down (a partial sample is not audio)."""
        if ms < 0:
            raise AudioFormatError(f"a duration cannot be negative: {ms}ms")
        return int(ms * self.sample_rate // 1000)

    def bytes_for_ms(self, ms: float) -> int:
        """Bytes of `ms` milliseconds of audio, in whole samples (exact for whole ms)."""
        return self.samples_for_ms(ms) * self.bytes_per_sample


PCM16 = AudioFormat("pcm16", "audio/pcm", 24000, 2, "mono PCM16 at 24kHz")
G711_ULAW = AudioFormat("g711_ulaw", "audio/pcmu", 8000, 1, "mono G.711 mu-law at 8kHz")
G711_ALAW = AudioFormat("g711_alaw", "audio/pcma", 8000, 1, "mono G.711 A-law at 8kHz")
FORMATS = (PCM16, G711_ULAW, G711_ALAW)

_BY_BETA_NAME = {fmt.beta_name: fmt for fmt in FORMATS}
_BY_GA_TYPE = {fmt.ga_type: fmt for fmt in FORMATS}


def parse_format(value: str | Mapping[str, Any] | None) -> AudioFormat:
    """The format named by a beta string or a GA object; None means the default, PCM16.

    GA `audio/pcm` is 24 kHz only (a missing rate means 24000); other rates are rejected, as
    the real API rejects them. Validation of the wire event (error codes, params) is the
    session's job; this raises AudioFormatError with a plain message.
    """
    if value is None:
        return PCM16
    if isinstance(value, str):
        if value not in _BY_BETA_NAME:
            raise AudioFormatError(
                f"unknown audio format {value!r}; expected one of {sorted(_BY_BETA_NAME)}"
            )
        return _BY_BETA_NAME[value]
    fmt = _BY_GA_TYPE.get(str(value.get("type", PCM16.ga_type)))
    if fmt is None:
        raise AudioFormatError(
            f"unknown audio format type {value.get('type')!r}; expected one "
            f"of {sorted(_BY_GA_TYPE)}"
        )
    rate = value.get("rate", fmt.sample_rate)
    if rate != fmt.sample_rate:
        raise AudioFormatError(f"{fmt.ga_type} is {fmt.sample_rate} Hz only, not {rate}")
    return fmt
