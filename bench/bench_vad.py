"""Micro-benchmark: 20 ms frames per second one core takes through decode + server VAD.

Run: python bench/bench_vad.py [seconds-of-audio]

For each wire format it plays a caller script (speech bursts and pauses) as 20 ms frames, the
size real telephony clients send, and measures two paths:
  decode+VAD   codecs.decode then ServerVad.feed, per frame
  append       InputAudioBuffer.append of the base64 frame (base64, checks, decode, VAD, cuts)
A real-time stream is 50 frames per second, so frames/s / 50 is how many concurrent callers one
core could serve on this path alone.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.buffer import InputAudioBuffer
from realtime_conformance.rtproto.audio.codecs import b64encode_audio, decode, from_pcm16_24k
from realtime_conformance.rtproto.audio.formats import FORMATS, PCM16, AudioFormat
from realtime_conformance.rtproto.audio.vad import ServerVad

FRAME_MS = 20
REPEATS = 3


def caller_audio(seconds: float) -> bytes:
    """Speech and pauses, about half of each, lasting at least `seconds`."""
    turns = [(700 + 150 * (index % 5), 400 + 200 * (index % 3)) for index in range(1000)]
    pcm = synth.caller_script(turns, lead_in_ms=500, seed=1).pcm
    return pcm[: PCM16.bytes_for_ms(seconds * 1000)]


def best_rate(frame_count: int, run: Callable[[], None]) -> float:
    """Frames per second of the fastest of REPEATS runs."""
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return frame_count / best


def bench_format(fmt: AudioFormat, pcm: bytes) -> tuple[float, float]:
    frames = synth.chunk(from_pcm16_24k(pcm, fmt), FRAME_MS, fmt)
    texts = [b64encode_audio(frame) for frame in frames]

    def decode_and_vad() -> None:
        vad = ServerVad(sample_rate=fmt.sample_rate)
        for frame in frames:
            vad.feed(decode(frame, fmt))

    def append() -> None:
        buffer = InputAudioBuffer(fmt, ServerVad())
        for text in texts:
            buffer.append(text)

    return best_rate(len(frames), decode_and_vad), best_rate(len(frames), append)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    pcm = caller_audio(seconds)
    print(f"{seconds:.0f} s of caller audio in {FRAME_MS} ms frames, best of {REPEATS}")
    print(f"{'format':<10} {'decode+VAD frames/s':>20} {'x real time':>12} {'append frames/s':>16}")
    for fmt in FORMATS:
        vad_rate, append_rate = bench_format(fmt, pcm)
        print(
            f"{fmt.beta_name:<10} {vad_rate:>20,.0f} {vad_rate / (1000 / FRAME_MS):>12,.0f} "
            f"{append_rate:>16,.0f}"
        )


if __name__ == "__main__":
    main()
