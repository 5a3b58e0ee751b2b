"""Decode and encode the wire formats, resample, and read the base64 of audio events.

G.711 follows ITU-T G.711 as the CCITT reference code (Sun's g711.c) implements it, the code
CPython's `audioop` used (`lin2ulaw`/`ulaw2lin`/`lin2alaw`/`alaw2lin` with width 2): mu-law
encodes the top 14 bits of a sample, A-law the top 13. `audioop` is gone in Python 3.13, so the
rules are written out below once, vectorised over all 65,536 int16 values to build lookup
tables; encoding and decoding are then one table index each.

Samples are float32 in [-1, 1) (int16 / 32768) or int16. Resampling uses soxr, whose one-shot
output has round(n * out_rate / in_rate) samples and no delay.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np
import soxr
from numpy.typing import NDArray

from realtime_conformance.rtproto.audio.formats import PCM16, AudioFormat

Float32Array = NDArray[np.float32]
Int16Array = NDArray[np.int16]

_ULAW_BIAS = 0x84
_ULAW_CLIP = 8159  # largest 14-bit magnitude mu-law encodes (after the bias it is 8192 - 1)
_SEGMENT_ENDS_ULAW = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
_SEGMENT_ENDS_ALAW = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])


def _ulaw_encode_rule(samples: NDArray[np.int32]) -> NDArray[np.uint8]:
    value = samples >> 2  # 16-bit sample to 14 bits (arithmetic shift, as in C)
    mask = np.where(value < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(value), _ULAW_CLIP) + (_ULAW_BIAS >> 2)
    segment = np.searchsorted(_SEGMENT_ENDS_ULAW, magnitude)  # first end >= magnitude
    code = np.where(segment >= 8, 0x7F, (segment << 4) | ((magnitude >> (segment + 1)) & 0xF))
    return ((code ^ mask) & 0xFF).astype(np.uint8)


def _ulaw_decode_rule(codes: NDArray[np.int32]) -> NDArray[np.int16]:
    inverted = ~codes & 0xFF
    magnitude = (((inverted & 0x0F) << 3) + _ULAW_BIAS) << ((inverted & 0x70) >> 4)
    return np.where(inverted & 0x80, _ULAW_BIAS - magnitude, magnitude - _ULAW_BIAS).astype(
        np.int16
    )


def _alaw_encode_rule(samples: NDArray[np.int32]) -> NDArray[np.uint8]:
    value = samples >> 3  # 16-bit sample to 13 bits
    mask = np.where(value >= 0, 0xD5, 0x55)
    magnitude = np.where(value >= 0, value, -value - 1)
    segment = np.searchsorted(_SEGMENT_ENDS_ALAW, magnitude)
    shift = np.maximum(segment, 1)  # segments 0 and 1 share the step size
    code = np.where(segment >= 8, 0x7F, (segment << 4) | ((magnitude >> shift) & 0xF))
    return ((code ^ mask) & 0xFF).astype(np.uint8)


def _alaw_decode_rule(codes: NDArray[np.int32]) -> NDArray[np.int16]:
    toggled = codes ^ 0x55
    segment = (toggled & 0x70) >> 4
    step = np.where(segment == 0, 8, 0x108)
    magnitude = (((toggled & 0x0F) << 4) + step) << np.maximum(segment - 1, 0)
    decoded: NDArray[np.int16] = np.where(toggled & 0x80, magnitude, -magnitude).astype(np.int16)
    return decoded


_ALL_INT16 = np.arange(-32768, 32768, dtype=np.int32)
_ALL_CODES = np.arange(256, dtype=np.int32)
# Encode tables are indexed by the int16 sample viewed as uint16 (two's complement bits).
ULAW_ENCODE = np.roll(_ulaw_encode_rule(_ALL_INT16), -32768)
ALAW_ENCODE = np.roll(_alaw_encode_rule(_ALL_INT16), -32768)
ULAW_DECODE = _ulaw_decode_rule(_ALL_CODES)
ALAW_DECODE = _alaw_decode_rule(_ALL_CODES)
_ENCODE_TABLES = {"g711_ulaw": ULAW_ENCODE, "g711_alaw": ALAW_ENCODE}
_DECODE_TABLES = {"g711_ulaw": ULAW_DECODE, "g711_alaw": ALAW_DECODE}


def decode_int16(data: bytes, fmt: AudioFormat) -> Int16Array:
    """The samples in `data` as int16 at the format's own rate."""
    fmt.check_byte_count(len(data))
    if fmt.is_pcm16:
        return np.frombuffer(data, dtype="<i2").astype(np.int16)
    samples: Int16Array = _DECODE_TABLES[fmt.beta_name][np.frombuffer(data, dtype=np.uint8)]
    return samples


def decode(data: bytes, fmt: AudioFormat) -> Float32Array:
    """The samples in `data` as float32 in [-1, 1) at the format's own rate."""
    return int16_to_float(decode_int16(data, fmt))


def encode(samples: NDArray[Any], fmt: AudioFormat) -> bytes:
    """Bytes in `fmt` for samples at the format's rate (float in [-1, 1] or int16)."""
    pcm = samples if samples.dtype == np.int16 else float_to_int16(samples)
    if fmt.is_pcm16:
        return pcm.astype("<i2").tobytes()
    return _ENCODE_TABLES[fmt.beta_name][pcm.view(np.uint16)].tobytes()


def int16_to_float(samples: Int16Array) -> Float32Array:
    return samples.astype(np.float32) / np.float32(32768.0)


def float_to_int16(samples: NDArray[Any]) -> Int16Array:
    """Round to the nearest int16, clipping to the range (full scale 1.0 -> 32767)."""
    scaled = np.rint(np.asarray(samples, dtype=np.float64) * 32768.0)
    return np.clip(scaled, -32768, 32767).astype(np.int16)


def resample(samples: NDArray[Any], from_rate: int, to_rate: int) -> Float32Array:
    """Float32 samples at `to_rate`: round(n * to_rate / from_rate) of them, delay-free (soxr)."""
    floats = np.asarray(samples, dtype=np.float32)
    if samples.dtype == np.int16:
        floats = int16_to_float(samples)
    if from_rate == to_rate or floats.size == 0:
        return floats.copy()
    return np.asarray(soxr.resample(floats, from_rate, to_rate, quality="HQ"), dtype=np.float32)


def convert(data: bytes, source: AudioFormat, target: AudioFormat) -> bytes:
    """The same audio in another format (resampled when the rates differ)."""
    if source == target:
        source.check_byte_count(len(data))
        return bytes(data)
    samples = resample(decode(data, source), source.sample_rate, target.sample_rate)
    return encode(samples, target)


def to_pcm16_24k(data: bytes, fmt: AudioFormat) -> bytes:
    """Audio in any wire format as PCM16 24 kHz (the format the simulated model thinks in)."""
    return convert(data, fmt, PCM16)


def from_pcm16_24k(pcm: bytes, fmt: AudioFormat) -> bytes:
    """PCM16 24 kHz audio in the session's wire format."""
    return convert(pcm, PCM16, fmt)


class InvalidBase64(ValueError):
    """Text that is not canonical base64 (standard alphabet, padded)."""


def b64decode_audio(text: str) -> bytes:
    """Decode the `audio` of an append event strictly: no stray characters, correct padding."""
    if not isinstance(text, str):
        raise InvalidBase64(f"expected a base64 string, got {type(text).__name__}")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidBase64(f"not valid base64 ({error}): {text[:32]!r}") from None


def b64encode_audio(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
