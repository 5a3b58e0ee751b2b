"""G.711 against ITU-T G.711 / audioop known values, round trips, soxr resampling, base64."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pytest

from realtime_conformance.rtproto.audio import codecs
from realtime_conformance.rtproto.audio.codecs import (
    InvalidBase64,
    b64decode_audio,
    b64encode_audio,
    decode,
    encode,
)
from realtime_conformance.rtproto.audio.formats import G711_ALAW, G711_ULAW, PCM16, AudioFormat

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = bytes(range(256))

# SHA-256 of each whole table, computed once with CPython 3.11's audioop (lin2ulaw, lin2alaw on
# every int16 value in ascending order; ulaw2lin, alaw2lin on codes 0..255, width 2, little
# endian), so the tables stay pinned where audioop no longer exists (3.13+).
AUDIOOP_SHA256 = {
    "lin2ulaw": "81d633c9e6972a18c74a58720b96cb8ca0bdd096d4060b646dd708c3b846019a",
    "lin2alaw": "38488f6fd710f4686360edc4d38639f96c491595ef93f8eb8d62d5e07ca6ce7b",
    "ulaw2lin": "3dab54339e520bb2c924826e3b72a917a2b612e9fd12fc867500f1d983a75827",
    "alaw2lin": "e04788d110e58ff8c70c93b8480190d973e3b67876b6119abbaec766cc75c174",
}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_encode_tables_match_audioop_for_every_sample() -> None:
    assert sha(encode(ALL_INT16, G711_ULAW)) == AUDIOOP_SHA256["lin2ulaw"]
    assert sha(encode(ALL_INT16, G711_ALAW)) == AUDIOOP_SHA256["lin2alaw"]


def test_decode_tables_match_audioop_for_every_code() -> None:
    assert (
        sha(codecs.decode_int16(ALL_CODES, G711_ULAW).astype("<i2").tobytes())
        == (AUDIOOP_SHA256["ulaw2lin"])
    )
    assert (
        sha(codecs.decode_int16(ALL_CODES, G711_ALAW).astype("<i2").tobytes())
        == (AUDIOOP_SHA256["alaw2lin"])
    )


def test_against_audioop_itself_where_it_still_exists() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")
    pcm = ALL_INT16.astype("<i2").tobytes()
    assert encode(ALL_INT16, G711_ULAW) == audioop.lin2ulaw(pcm, 2)
    assert encode(ALL_INT16, G711_ALAW) == audioop.lin2alaw(pcm, 2)
    assert (
        decode(ALL_CODES, G711_ULAW).tobytes()
        == codecs.int16_to_float(
            np.frombuffer(audioop.ulaw2lin(ALL_CODES, 2), "<i2").astype(np.int16)
        ).tobytes()
    )


@pytest.mark.parametrize(
    ("sample", "ulaw", "alaw"),
    [
        (0, 0xFF, 0xD5),
        (1, 0xFF, 0xD5),
        (-1, 0x7E, 0x55),
        (32767, 0x80, 0xAA),
        (-32768, 0x00, 0x2A),
        (100, 0xF2, 0xD3),
        (-100, 0x72, 0x53),
        (1000, 0xCE, 0xFA),
    ],
)
def test_standard_code_values(sample: int, ulaw: int, alaw: int) -> None:
    samples = np.array([sample], dtype=np.int16)
    assert encode(samples, G711_ULAW) == bytes([ulaw])
    assert encode(samples, G711_ALAW) == bytes([alaw])


@pytest.mark.parametrize(
    ("code", "ulaw", "alaw"),
    [
        (0xFF, 0, 848),
        (0x7F, 0, -848),
        (0x80, 32124, 5504),
        (0x00, -32124, -5504),
        (0xD5, 716, 8),
        (0x55, -716, -8),
        (0xAA, 5372, 32256),
        (0x2A, -5372, -32256),
    ],
)
def test_standard_decoded_values(code: int, ulaw: int, alaw: int) -> None:
    assert codecs.decode_int16(bytes([code]), G711_ULAW).tolist() == [ulaw]
    assert codecs.decode_int16(bytes([code]), G711_ALAW).tolist() == [alaw]


def test_code_round_trips() -> None:
    """Every A-law code survives decode+encode; so does every mu-law code but the -0 (0x7F)."""
    assert encode(codecs.decode_int16(ALL_CODES, G711_ALAW), G711_ALAW) == ALL_CODES
    back = encode(codecs.decode_int16(ALL_CODES, G711_ULAW), G711_ULAW)
    assert [code for code in range(256) if back[code] != code] == [0x7F]
    assert back[0x7F] == 0xFF


@pytest.mark.parametrize("fmt", [G711_ULAW, G711_ALAW], ids=lambda fmt: fmt.beta_name)
def test_sample_round_trip_error_is_within_the_quantisation_step(fmt: AudioFormat) -> None:
    samples = ALL_INT16.astype(np.int32)
    back = codecs.decode_int16(encode(ALL_INT16, fmt), fmt).astype(np.int32)
    error = np.abs(back - samples)
    # Logarithmic companding: the error grows with the magnitude (step/2 = 1/32 of it, roughly).
    assert np.all(error <= np.maximum(np.abs(samples) / 16, 16))
    assert encode(codecs.decode_int16(encode(ALL_INT16, fmt), fmt), fmt) == encode(ALL_INT16, fmt)


def test_pcm16_is_little_endian_and_lossless() -> None:
    assert encode(np.array([1, -2], dtype=np.int16), PCM16) == b"\x01\x00\xfe\xff"
    data = ALL_INT16.astype("<i2").tobytes()
    assert encode(decode(data, PCM16), PCM16) == data


def test_float_conversion_clips_and_rounds() -> None:
    assert codecs.float_to_int16(np.array([1.5, -1.5, 1.0, 0.5, -1.0])).tolist() == [
        32767,
        -32768,
        32767,
        16384,
        -32768,
    ]


def tone(frequency: float, rate: int, seconds: float) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * frequency * np.arange(int(rate * seconds)) / rate)).astype(
        np.float32
    )


def peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


@pytest.mark.parametrize(
    ("source", "target"),
    [(24000, 8000), (8000, 24000), (24000, 16000), (16000, 24000), (48000, 24000)],
)
def test_resampling_keeps_frequency_and_duration(source: int, target: int) -> None:
    samples = tone(440.0, source, 1.0)
    out = codecs.resample(samples, source, target)
    assert len(out) == target  # one second in, one second out, exactly
    assert peak_hz(out, target) == pytest.approx(440.0, abs=1.0)
    assert out.dtype == np.float32


@pytest.mark.parametrize(("count", "expected"), [(480, 160), (479, 160), (481, 160), (3, 1)])
def test_resampled_sample_count_is_the_rounded_ratio(count: int, expected: int) -> None:
    assert len(codecs.resample(np.zeros(count, np.float32), 24000, 8000)) == expected


def test_resampling_has_no_delay() -> None:
    samples = np.zeros(24000, np.float32)
    samples[12000:14400] = tone(440.0, 24000, 0.1)
    out = codecs.resample(samples, 24000, 8000)
    loud = np.nonzero(np.abs(out) > 0.01)[0]
    assert abs(loud[0] - 4000) <= 4 and abs(loud[-1] - 4800) <= 4


@pytest.mark.parametrize("fmt", [G711_ULAW, G711_ALAW], ids=lambda fmt: fmt.beta_name)
def test_pcm16_24k_to_g711_and_back(fmt: AudioFormat) -> None:
    pcm = encode(tone(440.0, 24000, 0.5), PCM16)
    wire = codecs.from_pcm16_24k(pcm, fmt)
    assert len(wire) == 4000 and fmt.duration_ms(len(wire)) == 500.0
    back = codecs.to_pcm16_24k(wire, fmt)
    assert len(back) == len(pcm)
    assert peak_hz(decode(back, PCM16), 24000) == pytest.approx(440.0, abs=2.0)
    assert codecs.to_pcm16_24k(pcm, PCM16) == pcm


def test_resampling_int16_input_is_scaled() -> None:
    out = codecs.resample(np.full(240, 16384, np.int16), 24000, 24000)
    assert out.tolist() == [0.5] * 240


def test_base64_round_trip() -> None:
    assert b64decode_audio(b64encode_audio(b"\x00\x01\xff")) == b"\x00\x01\xff"
    assert b64decode_audio("") == b""


@pytest.mark.parametrize("text", ["not base64!", "AAAA=A", "AAA", "AA AA", "QUJD\n"])
def test_invalid_base64_is_rejected_with_a_clear_error(text: str) -> None:
    with pytest.raises(InvalidBase64, match="not valid base64"):
        b64decode_audio(text)


def test_non_string_base64_is_rejected() -> None:
    with pytest.raises(InvalidBase64, match="expected a base64 string, got bytes"):
        b64decode_audio(b"AAAA")  # type: ignore[arg-type]
