"""Audio formats: both dialects' names, and the byte <-> millisecond math the real API uses."""

from __future__ import annotations

from typing import Any

import pytest

from realtime_conformance.rtproto.audio.formats import (
    FORMATS,
    G711_ALAW,
    G711_ULAW,
    PCM16,
    AudioFormat,
    AudioFormatError,
    parse_format,
)
from realtime_conformance.rtproto.dialects import format_to_beta, format_to_ga


def test_bytes_per_ms_are_the_real_apis() -> None:
    assert (PCM16.bytes_per_ms, G711_ULAW.bytes_per_ms, G711_ALAW.bytes_per_ms) == (48, 8, 8)
    assert (PCM16.sample_rate, G711_ULAW.sample_rate, G711_ALAW.sample_rate) == (24000, 8000, 8000)


@pytest.mark.parametrize(
    ("fmt", "byte_count", "ms"),
    [
        (PCM16, 4800, 100.0),
        (PCM16, 48, 1.0),
        (PCM16, 2, 1 / 24),
        (G711_ULAW, 800, 100.0),
        (G711_ALAW, 1, 0.125),
        (PCM16, 0, 0.0),
    ],
)
def test_duration_from_bytes_and_back(fmt: AudioFormat, byte_count: int, ms: float) -> None:
    assert fmt.duration_ms(byte_count) == pytest.approx(ms)
    if ms == int(ms):
        assert fmt.bytes_for_ms(ms) == byte_count


def test_partial_ms_rounds_down_to_whole_samples() -> None:
    assert PCM16.bytes_for_ms(0.05) == 2  # 1.2 samples -> 1 sample
    assert G711_ULAW.bytes_for_ms(0.1) == 0
    assert PCM16.samples_for_ms(2535) == 60840


def test_odd_byte_count_is_invalid_for_pcm16_only() -> None:
    with pytest.raises(AudioFormatError, match="whole number of 2-byte samples"):
        PCM16.duration_ms(4801)
    with pytest.raises(AudioFormatError):
        PCM16.samples(3)
    assert G711_ULAW.duration_ms(4801) == pytest.approx(600.125)


def test_negative_durations_are_rejected() -> None:
    with pytest.raises(AudioFormatError):
        PCM16.bytes_for_ms(-1)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.beta_name)
def test_both_names_parse_to_the_same_format(fmt: AudioFormat) -> None:
    assert parse_format(fmt.beta_name) is fmt
    assert parse_format(fmt.ga()) is fmt
    assert parse_format({"type": fmt.ga_type}) is fmt  # the rate is optional in GA


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.beta_name)
def test_names_agree_with_the_dialect_translation(fmt: AudioFormat) -> None:
    assert format_to_beta(fmt.ga()) == fmt.beta_name
    assert format_to_ga(fmt.beta_name) == fmt.ga()


def test_ga_pcm_format_object() -> None:
    assert PCM16.ga() == {"type": "audio/pcm", "rate": 24000}
    assert G711_ULAW.ga() == {"type": "audio/pcmu"}
    assert G711_ALAW.ga() == {"type": "audio/pcma"}


def test_default_format_is_pcm16() -> None:
    assert parse_format(None) is PCM16


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("pcm24", "unknown audio format 'pcm24'"),
        ({"type": "audio/opus"}, "audio/opus"),
        ({"type": "audio/pcm", "rate": 16000}, "24000 Hz only, not 16000"),
    ],
)
def test_unknown_formats_and_rates_are_rejected(value: str | dict[str, Any], message: str) -> None:
    with pytest.raises(AudioFormatError, match=message):
        parse_format(value)
