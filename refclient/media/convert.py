"""Audio converted as it streams: one chunk at a time, with no chunk-edge clicks and ~2 ms delay.

The one-shot `rtproto.audio.codecs.convert` treats every chunk as a whole signal, so 20 ms
chunks would click at 50 Hz; soxr's streaming resampler holds back up to 180 ms in bursts (see
the bridge tests), which breaks real-time pacing. The telephony ratios are integers (24 kHz <->
8 kHz), so a causal polyphase filter is enough: zero-stuff by `up`, a windowed-sinc low-pass
(cut at 0.9 of the lower Nyquist) whose state carries across chunks, keep every `down`-th.
"""

from __future__ import annotations

from math import gcd

import numpy as np
from numpy.typing import NDArray

from realtime_conformance.rtproto.audio.codecs import decode, encode
from realtime_conformance.rtproto.audio.formats import AudioFormat

TAPS = 97  # at the higher rate: 48 samples of delay (2 ms at 24 kHz)
KAISER_BETA = 8.0
CUTOFF_SHARE = 0.9


class StreamResampler:
    """A causal streaming resampler between two rates whose ratio is up/down."""

    def __init__(self, from_rate: int, to_rate: int) -> None:
        divisor = gcd(from_rate, to_rate)
        self.up, self.down = to_rate // divisor, from_rate // divisor
        nyquist_share = CUTOFF_SHARE * min(1 / self.up, 1 / self.down)
        offsets = np.arange(TAPS) - (TAPS - 1) / 2
        taps = nyquist_share * np.sinc(nyquist_share * offsets) * np.kaiser(TAPS, KAISER_BETA)
        self._taps = (taps * (self.up / taps.sum())).astype(np.float64)
        self._history = np.zeros(TAPS - 1, dtype=np.float64)
        self._phase = 0  # samples (at the high rate) produced since the last kept one

    def process(self, samples: NDArray[np.float32]) -> NDArray[np.float32]:
        stuffed = np.zeros(len(samples) * self.up, dtype=np.float64)
        stuffed[:: self.up] = samples
        signal = np.concatenate([self._history, stuffed])
        filtered = np.convolve(signal, self._taps, mode="valid")
        self._history = signal[len(signal) - (TAPS - 1) :]
        first = (-self._phase) % self.down
        self._phase = (self._phase + len(filtered)) % self.down
        return filtered[first :: self.down].astype(np.float32)


class StreamConverter:
    """Bytes in one wire format to another, chunk by chunk (`reset` after a clear)."""

    def __init__(self, source: AudioFormat, target: AudioFormat) -> None:
        self.source, self.target = source, target
        self.reset()

    def reset(self) -> None:
        rates = (self.source.sample_rate, self.target.sample_rate)
        self._resampler = StreamResampler(*rates) if rates[0] != rates[1] else None

    def convert(self, data: bytes) -> bytes:
        if self.source == self.target:
            self.source.check_byte_count(len(data))
            return bytes(data)
        samples = decode(data, self.source)
        if self._resampler is not None:
            samples = self._resampler.process(samples)
        return encode(samples, self.target)
