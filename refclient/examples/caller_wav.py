"""Write a caller WAV for the voice agent example: speech-like turns with pauses between them.

    python -m realtime_conformance.refclient.examples.caller_wav in.wav \\
        [--turns 3] [--speech-ms 1500] [--pause-ms 4000]

The audio is rtproto.audio.synth's deterministic voiced bursts (mono PCM16 at 24 kHz, -20 dBFS),
loud enough for server VAD, so any machine can make a caller without a speech synthesizer.
"""

from __future__ import annotations

import argparse
import wave
from pathlib import Path

from realtime_conformance.rtproto.audio.formats import PCM16
from realtime_conformance.rtproto.audio.synth import CallerScript, caller_script

LEAD_IN_MS = 500


def script(turns: int, speech_ms: int, pause_ms: int, seed: int = 0) -> CallerScript:
    """`turns` bursts of speech, each followed by `pause_ms` of silence (the model's turn)."""
    return caller_script([(speech_ms, pause_ms)] * turns, lead_in_ms=LEAD_IN_MS, seed=seed)


def write_wav(path: Path, pcm: bytes) -> None:
    """Mono 16-bit PCM at 24 kHz."""
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(PCM16.bytes_per_sample)
        writer.setframerate(PCM16.sample_rate)
        writer.writeframes(pcm)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the WAV to write")
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--speech-ms", type=int, default=1500, help="each turn's speech")
    parser.add_argument("--pause-ms", type=int, default=4000, help="silence after each turn")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    made = script(args.turns, args.speech_ms, args.pause_ms, args.seed)
    write_wav(args.out, made.pcm)
    spans = ", ".join(f"{b.start_ms}-{b.end_ms}" for b in made.bursts)
    print(f"{args.out}: {made.duration_ms / 1000:.1f} s, speech at {spans} ms")


if __name__ == "__main__":
    main()
