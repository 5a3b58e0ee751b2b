"""The stand-in model audio: timing per word, formats, and G.711 against the reference encoder."""

from __future__ import annotations

import importlib
import struct
import warnings

import pytest

from rtproto.realtime import tones

PCM = tones.format_of({"type": "audio/pcm", "rate": 24000})
PCMU = tones.format_of({"type": "audio/pcmu"})
PCMA = tones.format_of({"type": "audio/pcma"})


def test_bytes_per_ms_per_format() -> None:
    assert (PCM.bytes_per_ms, PCMU.bytes_per_ms, PCMA.bytes_per_ms) == (48, 8, 8)


@pytest.mark.parametrize("fmt", [PCM, PCMU, PCMA], ids=lambda f: f.type)
def test_words_take_350_ms_and_punctuation_none(fmt: tones.AudioFormat) -> None:
    audio, ends = tones.speak(["Hi", " there", ",", " friend", "!"], fmt)
    assert ends == [350, 700, 700, 1050, 1050]
    assert len(audio) == 1050 * fmt.bytes_per_ms
    chunks = tones.split_chunks(audio, fmt, 100)
    assert [len(chunk) for chunk in chunks] == [100 * fmt.bytes_per_ms] * 10 + [
        50 * fmt.bytes_per_ms
    ]


def test_a_word_is_a_tone_then_silence() -> None:
    audio = tones.word_audio(tones.pitch_of("hello"), PCM)
    samples = struct.unpack(f"<{len(audio) // 2}h", audio)
    tone = samples[: 24 * tones.TONE_MS]
    assert max(tone) > 7000 and min(tone) < -7000
    assert set(samples[24 * tones.TONE_MS :]) == {0}
    assert tones.pitch_of("hello") in tones.PITCHES_HZ


def test_g711_matches_the_reference_encoder_for_every_sample() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            audioop = importlib.import_module("audioop")  # stdlib up to Python 3.12
        except ImportError:
            pytest.skip("audioop (the reference G.711 encoder) left the stdlib in Python 3.13")
    samples = list(range(-32768, 32768))
    pcm = struct.pack(f"<{len(samples)}h", *samples)
    assert tones.encode(samples, PCMU) == audioop.lin2ulaw(pcm, 2)
    assert tones.encode(samples, PCMA) == audioop.lin2alaw(pcm, 2)
