"""The caller's audio of a scenario (`caller:`), and the VAD turns it should produce.

`caller_audio(scenario)` is what a test client, or the harness's virtual caller, appends: the
audio in the caller's format, cut into `chunk_ms` chunks on the caller's timeline (ms from its
first sample). Append chunk k when its last sample has been "spoken", `end_ms` after the caller
starts, for real time:

    audio = caller_audio(scenario)
    for chunk in audio.chunks:                        # at start + chunk.end_ms / 1000
        client.send(chunk.append_event())
    audio.expected                                    # the VAD turns it should produce

A script's expected turns are worked out from the script and the VAD settings (`vad:`, else
server_vad's defaults) as rtproto.audio.vad counts, to within one 10 ms frame:

- bursts whose silence between them is shorter than `silence_duration_ms` (rounded up to whole
  frames) are one turn;
- speech_started.audio_start_ms = the turn's first burst start - prefix_padding_ms, but never
  before 0 or the end of the previous turn (audio already committed);
- speech_stopped.audio_end_ms = its last burst end + silence_duration_ms (whole frames); None
  when the caller's audio ends before that much silence follows.

A WAV has no script: its expected turns are what the same VAD finds in it, in the caller's
format, so `expect_vad: auto` then checks that the client delivered the file intact and in time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.codecs import (
    b64encode_audio,
    decode,
    encode,
    from_pcm16_24k,
    resample,
)
from realtime_conformance.rtproto.audio.formats import AudioFormat
from realtime_conformance.rtproto.audio.synth import Span
from realtime_conformance.rtproto.audio.vad import DEFAULT_FRAME_MS, ServerVad, SpeechStarted
from realtime_conformance.rtproto.scenario.spec import (
    BurstScript,
    Caller,
    ExpectedTurn,
    Scenario,
    VadSettings,
    WavFile,
)

FRAME_MS = DEFAULT_FRAME_MS  # the player's VAD frame: outcomes hold to within one
CACHED_CALLERS = 32


@dataclass(frozen=True)
class CallerChunk:
    """One `input_audio_buffer.append` worth of caller audio, in the caller's format."""

    start_ms: float  # on the caller's timeline
    end_ms: float
    audio: bytes

    def append_event(self) -> dict[str, Any]:
        return {"type": "input_audio_buffer.append", "audio": b64encode_audio(self.audio)}


@dataclass(frozen=True)
class CallerAudio:
    fmt: AudioFormat
    chunk_ms: int
    audio: bytes  # the whole of it, in `fmt`
    speech: tuple[Span, ...]  # where the caller speaks (a script's bursts; () for a WAV)
    expected: tuple[ExpectedTurn, ...]  # the VAD turns the audio should produce
    vad: VadSettings  # the settings `expected` was worked out with

    @property
    def duration_ms(self) -> float:
        return self.fmt.duration_ms(len(self.audio))

    @property
    def chunks(self) -> tuple[CallerChunk, ...]:
        pieces = synth.chunk(self.audio, self.chunk_ms, self.fmt)
        chunks, at = [], 0.0
        for piece in pieces:
            end = at + self.fmt.duration_ms(len(piece))
            chunks.append(CallerChunk(at, end, piece))
            at = end
        return tuple(chunks)


def caller_audio(scenario: Scenario) -> CallerAudio:
    """The caller's audio of `scenario` (which must have `caller:`) and its expected turns."""
    if scenario.caller is None:
        raise ValueError(f"scenario {scenario.id} has no caller")
    return _caller_audio(scenario.caller, scenario.vad or VadSettings())


@lru_cache(maxsize=CACHED_CALLERS)
def _caller_audio(caller: Caller, vad: VadSettings) -> CallerAudio:
    source, fmt = caller.source, caller.fmt
    if isinstance(source, BurstScript):
        script = synth.caller_script(
            source.turns(), lead_in_ms=source.lead_ms, seed=source.seed,
            level_dbfs=source.level_dbfs,
        )  # fmt: skip
        audio = from_pcm16_24k(script.pcm, fmt)
        expected = expected_turns(script.bursts, source.duration_ms, vad)
        return CallerAudio(fmt, caller.chunk_ms, audio, script.bursts, expected, vad)
    audio = wav_in_format(source, fmt)
    return CallerAudio(fmt, caller.chunk_ms, audio, (), detected_turns(audio, fmt, vad), vad)


def wav_in_format(wav: WavFile, fmt: AudioFormat) -> bytes:
    """The WAV's samples resampled to the format's rate and encoded in it."""
    samples = np.frombuffer(wav.pcm, dtype="<i2").astype(np.int16)
    return encode(resample(samples, wav.rate, fmt.sample_rate), fmt)


# --- the expected turns ---------------------------------------------------------------------


def whole_frames(ms: int, frame_ms: int = FRAME_MS) -> int:
    """`ms` rounded up to whole frames: how long a silence the VAD actually waits."""
    return math.ceil(ms / frame_ms) * frame_ms


def expected_turns(
    bursts: tuple[Span, ...], duration_ms: int, vad: VadSettings
) -> tuple[ExpectedTurn, ...]:
    """The turns the bursts make (see the module docstring for the rules)."""
    silence = whole_frames(vad.silence_duration_ms)
    turns: list[ExpectedTurn] = []
    floor, first = 0, None
    for index, burst in enumerate(bursts):
        first = burst.start_ms if first is None else first
        after = bursts[index + 1].start_ms if index + 1 < len(bursts) else None
        if after is not None and after - burst.end_ms < silence:
            continue  # too short a pause: the next burst goes on with this turn
        start = max(floor, first - vad.prefix_padding_ms)
        end = burst.end_ms + silence
        ends = after is not None or end <= duration_ms
        turns.append(ExpectedTurn(start, end if ends else None, Span(first, burst.end_ms)))
        floor, first = end, None
    return tuple(turns)


def server_vad(vad: VadSettings, sample_rate: int) -> ServerVad:
    return ServerVad(
        vad.threshold, vad.prefix_padding_ms, vad.silence_duration_ms,
        sample_rate=sample_rate, frame_ms=FRAME_MS,
    )  # fmt: skip


def detected_turns(audio: bytes, fmt: AudioFormat, vad: VadSettings) -> tuple[ExpectedTurn, ...]:
    """The turns the VAD finds in `audio` (a turn still going at its end: audio_end_ms None)."""
    turns: list[ExpectedTurn] = []
    started: int | None = None
    for event in server_vad(vad, fmt.sample_rate).feed(decode(audio, fmt)):
        if isinstance(event, SpeechStarted):
            started = event.audio_start_ms
        else:
            turns.append(ExpectedTurn(event.audio_start_ms, event.audio_end_ms))
            started = None
    if started is not None:
        turns.append(ExpectedTurn(started, None))
    return tuple(turns)
