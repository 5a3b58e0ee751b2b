"""A WAV file as the far end of a call: the caller's audio read from one file, what the caller
heard written to another (silence where nothing played, so the file keeps the call's timing).

Both files are mono 16-bit PCM; the source may be at any rate (resampled to the unit's format),
the sink is written at the unit format's rate.
"""

from __future__ import annotations

import time
import wave
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

import numpy as np

from realtime_conformance.refclient.media.base import FRAME_MS
from realtime_conformance.refclient.media.memory import paced_frames
from realtime_conformance.rtproto.audio.codecs import decode_int16, encode, resample
from realtime_conformance.rtproto.audio.formats import PCM16, AudioFormat

SAMPLE_WIDTH = 2  # 16-bit


def read_wav(path: Path, fmt: AudioFormat) -> bytes:
    """A mono 16-bit WAV's samples in `fmt` (resampled to its rate)."""
    with wave.open(str(path), "rb") as source:
        if source.getnchannels() != 1 or source.getsampwidth() != SAMPLE_WIDTH:
            raise ValueError(f"{path}: expected mono 16-bit PCM, got {source.getnchannels()} "
                             f"channel(s) of {8 * source.getsampwidth()} bits")  # fmt: skip
        rate, pcm = source.getframerate(), source.readframes(source.getnframes())
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.int16)
    return encode(resample(samples, rate, fmt.sample_rate), fmt)


class WavUnit:
    def __init__(
        self,
        source: Path | None = None,
        sink: Path | None = None,
        audio_format: AudioFormat = PCM16,
        *,
        custom_parameters: Mapping[str, str] | None = None,
        realtime: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source, self.sink, self.audio_format = source, sink, audio_format
        self.tag = (sink or source or Path("wav")).name
        self.custom_parameters = dict(custom_parameters or {})
        self.realtime, self.clock = realtime, clock
        self.clears = 0
        self._writer: wave.Wave_write | None = None
        self._caller = b""
        self._next_start: float | None = None  # when the frame after the last written is due

    async def open(self) -> None:
        if self.source is not None and not self._caller:
            self._caller = read_wav(self.source, self.audio_format)
        if self.sink is not None and self._writer is None:
            self._writer = wave.open(str(self.sink), "wb")  # noqa: SIM115 (closed by close())
            self._writer.setnchannels(1)
            self._writer.setsampwidth(SAMPLE_WIDTH)
            self._writer.setframerate(self.audio_format.sample_rate)

    async def send_frame(self, frame: bytes) -> None:
        if self._writer is None:
            return
        now = self.clock()
        if self._next_start is not None and now - self._next_start >= FRAME_MS / 1000:
            gap_ms = (now - self._next_start) * 1000  # nothing played: the caller heard silence
            self._writer.writeframes(bytes(PCM16.bytes_per_sample * self._samples(gap_ms)))
        self._writer.writeframes(decode_int16(frame, self.audio_format).astype("<i2").tobytes())
        start = now if self._next_start is None else max(now, self._next_start)
        self._next_start = start + self.audio_format.duration_ms(len(frame)) / 1000

    def _samples(self, ms: float) -> int:
        return self.audio_format.samples_for_ms(ms)

    async def clear(self) -> None:
        self.clears += 1  # frames are written as they play: nothing is queued to drop

    async def caller_frames(self) -> AsyncIterator[bytes]:
        async for frame in paced_frames(self._caller, self.audio_format, realtime=self.realtime):
            yield frame

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
