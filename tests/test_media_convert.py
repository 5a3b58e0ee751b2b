"""Streaming conversion: chunk by chunk equals the whole, and telephony's band survives."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from realtime_conformance.refclient.media.convert import StreamConverter, StreamResampler
from realtime_conformance.rtproto.audio.codecs import convert, decode
from realtime_conformance.rtproto.audio.formats import G711_ULAW, PCM16
from realtime_conformance.rtproto.audio.synth import speech

DELAY_8K = 16  # 48 samples at 24 kHz


def rms(samples: NDArray[Any]) -> float:
    return float(np.sqrt(np.mean(np.square(samples))))


def test_20ms_chunks_match_the_one_shot_conversion() -> None:
    pcm = speech(1000, seed=1)
    converter = StreamConverter(PCM16, G711_ULAW)
    streamed = b"".join(converter.convert(pcm[i : i + 960]) for i in range(0, len(pcm), 960))
    whole = convert(pcm, PCM16, G711_ULAW)
    assert len(streamed) == len(whole) == 8000
    a, b = decode(streamed, G711_ULAW)[DELAY_8K:], decode(whole, G711_ULAW)[:-DELAY_8K]
    assert rms(a - b) < 0.02 * rms(b)


def test_each_chunk_comes_out_at_once_in_real_time_sizes() -> None:
    up = StreamConverter(G711_ULAW, PCM16)
    sizes = {len(up.convert(bytes(160))) for _ in range(10)}
    assert sizes == {960}  # no chunk held back: the caller's audio stays real time


def test_the_telephone_band_passes_and_what_would_alias_is_removed() -> None:
    seconds = np.arange(24000) / 24000
    for tone_hz, expected_rms in ((3000, 0.5 / np.sqrt(2)), (6000, 0.0)):
        tone = (0.5 * np.sin(2 * np.pi * tone_hz * seconds)).astype(np.float32)
        resampler = StreamResampler(24000, 8000)
        out = np.concatenate([resampler.process(tone[i : i + 480]) for i in range(0, 24000, 480)])
        assert abs(rms(out[100:]) - expected_rms) < 0.01


def test_same_format_passes_through() -> None:
    assert StreamConverter(G711_ULAW, G711_ULAW).convert(b"\x01\x02") == b"\x01\x02"
