"""Input audio transcription: what a committed user turn is heard to say, and its events.

When `audio.input.transcription` is set, every commit of the input buffer (by the client, by
VAD or by the idle timeout) is transcribed asynchronously ("Transcription runs asynchronously
with Response creation", SDK), with the shapes and delays of capture p07:
`conversation.item.input_audio_transcription.delta` per token-like piece ("Hello", " from",
..., "."), each with an `obfuscation` padding it to 16 characters, then `.completed` with the
`transcript` and `usage`.

What is heard in a committed stretch of the input timeline:
1. The caller transcript (`SessionOptions.caller_transcript`, filled by the harness, which knows
   what its caller said and when): the words whose middle lies in the stretch.
2. Else, if the audio holds speech (10 ms frames at or above -40 dBFS, server VAD's default
   threshold), made-up words (Faker, seeded per session), one per 350 ms of speech.
3. Else (silent audio, e.g. an idle-timeout commit) the transcription fails: `.failed` with
   `{type: "transcription_error", code: "audio_unintelligible"}`. With
   `SessionOptions.transcription_fails` every transcription fails that way.

Usage by model: `whisper-1` bills by duration (`{"type": "duration", "seconds"}`); the others by
tokens, as p07's gpt-4o-mini-transcribe does (16 audio tokens for 1.7 s of audio; output at
about four characters a token; the prompt as input text tokens). `gpt-4o-transcribe-diarize`
sends `.segment` events (one per run of one speaker; times in seconds from the item's start)
in place of deltas. UNVERIFIED beyond p07: the failure trigger and its error, the duration
billing of whisper-1 here, the diarize events and segment ids (`seg_0001`, as the schema
example).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from faker import Faker

from realtime_conformance.rtproto import wire
from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.buffer import CommittedAudio
from realtime_conformance.rtproto.audio.codecs import decode
from realtime_conformance.rtproto.audio.synth import TimedWord
from realtime_conformance.rtproto.audio.vad import frame_dbfs, level_for_threshold
from realtime_conformance.rtproto.events import EventBuilder
from realtime_conformance.rtproto.ids import RandomText
from realtime_conformance.rtproto.server.realtime.outbox import Send, Timeline
from realtime_conformance.rtproto.server.realtime.simulated_model import tokens_of
from realtime_conformance.rtproto.server.realtime.timing import Timing
from realtime_conformance.rtproto.server.realtime.usage import text_tokens

PREFIX = "conversation.item.input_audio_transcription."
DIARIZE_MODEL = "gpt-4o-transcribe-diarize"
DURATION_MODELS = frozenset({"whisper-1"})
P07_AUDIO_TOKENS_PER_MS = 16 / 1700
SPEECH_LEVEL_DBFS = level_for_threshold(0.5)
FRAME_MS = 10
UNINTELLIGIBLE = {
    "type": "transcription_error",
    "code": "audio_unintelligible",
    "message": "Audio could not be transcribed.",
    "param": None,
}


@dataclass(frozen=True)
class SpokenLine:
    """Words the caller says, timed on the session's input audio timeline, and who says them."""

    words: tuple[TimedWord, ...]
    speaker: str = "A"

    @classmethod
    def timed(
        cls,
        text: str,
        start_ms: int,
        *,
        ms_per_word: int = synth.DEFAULT_MS_PER_WORD,
        speaker: str = "A",
    ) -> SpokenLine:
        """`text` said from `start_ms`, one word per `ms_per_word` (synth.words_with_timing)."""
        return cls(tuple(synth.words_with_timing(text, ms_per_word, start_ms)), speaker)


@dataclass(frozen=True)
class Hearing:
    """What a committed stretch holds: scripted words (with speakers) and its speech time."""

    words: list[tuple[str, TimedWord]]
    speech_ms: float

    @property
    def scripted_text(self) -> str | None:
        return " ".join(word.text for _, word in self.words) if self.words else None


def speech_ms(committed: CommittedAudio) -> float:
    """Milliseconds of 10 ms frames loud enough for server VAD's default threshold."""
    samples = decode(committed.audio, committed.fmt)
    size = committed.fmt.sample_rate * FRAME_MS // 1000
    frames = samples[: len(samples) // size * size].reshape(-1, size)
    return float(np.count_nonzero(frame_dbfs(frames) >= SPEECH_LEVEL_DBFS) * FRAME_MS)


def hear(script: Sequence[SpokenLine], committed: CommittedAudio) -> Hearing:
    start, end = committed.audio_start_ms, committed.audio_end_ms
    words = [
        (line.speaker, word)
        for line in script
        for word in line.words
        if start <= (word.start_ms + word.end_ms) / 2 < end
    ]
    words.sort(key=lambda pair: pair[1].start_ms)
    return Hearing(words, speech_ms(committed))


def usage_of(model: str | None, duration_ms: float, transcript: str, prompt: str) -> dict[str, Any]:
    if model in DURATION_MODELS:
        return {"type": "duration", "seconds": round(duration_ms / 1000, 3)}
    audio, prompt_tokens = round(duration_ms * P07_AUDIO_TOKENS_PER_MS), text_tokens(prompt)
    output = text_tokens(transcript)
    return {
        "type": "tokens",
        "total_tokens": audio + prompt_tokens + output,
        "input_tokens": audio + prompt_tokens,
        "input_token_details": {"text_tokens": prompt_tokens, "audio_tokens": audio},
        "output_tokens": output,
    }


class Transcriber:
    """Schedules the input transcription events of one session's committed turns."""

    def __init__(
        self,
        build: EventBuilder,
        timeline: Timeline,
        timing: Timing,
        *,
        seed: int | str,
        always_fail: bool = False,
    ) -> None:
        self.build, self.timeline, self.timing = build, timeline, timing
        self.always_fail = always_fail
        self.faker = Faker()
        self.faker.seed_instance(f"transcripts:{seed}")
        self.obfuscation = RandomText(f"transcription-obfuscation:{seed}")
        self.segments = 0

    def transcribe(
        self,
        item_id: str,
        committed: CommittedAudio,
        hearing: Hearing,
        settings: dict[str, Any],
        at: float,
    ) -> str | None:
        """Schedule the events from `committed` time `at`; the transcript, or None if failed."""
        at += self.timing.transcription_first_delta
        if self.always_fail or not (hearing.words or hearing.speech_ms):
            self._send(at, "failed", item_id, error=dict(UNINTELLIGIBLE))
            return None
        transcript = hearing.scripted_text or self._made_up(hearing.speech_ms)
        model = settings.get("model")
        if model == DIARIZE_MODEL:
            at = self._segments(item_id, committed, hearing, transcript, at)
        else:
            at = self._deltas(item_id, transcript, at)
        usage = usage_of(model, committed.duration_ms, transcript, settings.get("prompt") or "")
        at += self.timing.transcription_completed
        self._send(at, "completed", item_id, transcript=transcript, usage=usage)
        return transcript

    def _made_up(self, spoken_ms: float) -> str:
        count = max(1, round(spoken_ms / synth.DEFAULT_MS_PER_WORD))
        return str(self.faker.sentence(nb_words=count, variable_nb_words=False))

    def _send(self, at: float, suffix: str, item_id: str, **fields: Any) -> None:
        event = self.build.event(PREFIX + suffix, item_id=item_id, content_index=0, **fields)
        self.timeline.schedule(at, Send(event))

    def _deltas(self, item_id: str, transcript: str, at: float) -> float:
        """One delta per token-like piece; returns when the last one goes out."""
        for index, piece in enumerate(tokens_of(transcript)):
            at += self.timing.transcription_step if index else 0.0
            obfuscation = wire.obfuscation(piece, self.obfuscation)
            self._send(at, "delta", item_id, delta=piece, obfuscation=obfuscation)
        return at

    def _segments(
        self, item_id: str, committed: CommittedAudio, hearing: Hearing, text: str, at: float
    ) -> float:
        """One segment per run of one speaker's words; returns when the last one goes out."""
        origin, duration = committed.audio_start_ms, committed.duration_ms
        runs = speaker_runs(hearing.words) or [("A", origin, origin + duration, text)]
        for index, (speaker, start, end, words) in enumerate(runs):
            at += self.timing.transcription_step if index else 0.0
            self.segments += 1
            self._send(
                at,
                "segment",
                item_id,
                id=f"seg_{self.segments:04d}",
                speaker=speaker,
                start=round(max(start - origin, 0.0) / 1000, 3),
                end=round(min(end - origin, duration) / 1000, 3),
                text=words,
            )
        return at


def speaker_runs(words: list[tuple[str, TimedWord]]) -> list[tuple[str, float, float, str]]:
    """(speaker, start ms, end ms, text) for each run of words by one speaker."""
    runs: list[tuple[str, float, float, str]] = []
    for speaker, word in words:
        if runs and runs[-1][0] == speaker:
            last = runs[-1]
            runs[-1] = (speaker, last[1], float(word.end_ms), f"{last[3]} {word.text}")
        else:
            runs.append((speaker, float(word.start_ms), float(word.end_ms), word.text))
    return runs
