"""Voice activity detection on real samples, sans-I/O and incremental, with the API's semantics.

Timeline: milliseconds of audio written to the input buffer since the session began (the
`audio_start_ms`/`audio_end_ms` of the real events count from there, across commits). Audio is
judged in fixed frames on that timeline (10 ms by default); chunk boundaries never matter.

Level to probability: a frame's level is 20*log10(RMS) of its float samples (full scale 1.0,
so a full-scale sine reads -3 dB), mapped linearly from -70 dBFS (probability 0) to -10 dBFS
(probability 1). The threshold is thus a level: 0.5 needs -40 dBFS, 0.9 needs -16 dBFS, and a
higher threshold always needs louder audio (the SDK: "A higher threshold will require louder
audio to activate the model"). Digital silence and G.711 A-law's idle code (+-8/32768,
-72 dBFS) read 0. Once speech has started it continues while the probability stays at or above
a release level 0.15 below the threshold (Silero VAD's hysteresis; at most half the threshold).

Event semantics (SDK docstrings of InputAudioBufferSpeechStartedEvent / SpeechStoppedEvent):
- `audio_start_ms` "includes the prefix_padding_ms": start of the first speech frame minus
  the padding, never before the timeline's floor (0, or the end of audio already committed).
- `audio_end_ms` "will correspond to the end of audio sent to the model, and thus includes the
  min_silence_duration_ms": the end of the frame at which the silence run reached
  `silence_duration_ms`, i.e. silence start + the duration rounded up to whole frames.
Real events agree: a GA session (server_vad, 300 ms padding, 200 ms silence; traces/realtime-ga/
sip-gateway-cpp-comment-events.jsonl) reported starts 1236 and 11956 and ends 3808 and 14720;
start + 300 and end are all multiples of 32 ms (Silero's 512-sample frame at 16 kHz), and
3808 - 224 is a frame boundary where 3808 - 200 is not. Pass `frame_ms=32` for that grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import NDArray

from realtime_conformance.rtproto.audio.codecs import int16_to_float

FLOOR_DBFS = -70.0  # probability 0 at and below
CEIL_DBFS = -10.0  # probability 1 at and above
RELEASE_GAP = 0.15
DEFAULT_FRAME_MS = 10
WIRE_FRAME_MS = 32  # the grid the real server's VAD events fall on
FULL_SCALE_SQUARED = 32768.0**2  # int16 samples: 1.0 is 32768


def frame_dbfs(frames: NDArray[np.float32]) -> NDArray[np.float64]:
    """Level of each row of `frames` in dBFS (20*log10 of the RMS; -inf clipped to -200)."""
    mean_square = np.mean(np.square(frames, dtype=np.float64), axis=-1)
    levels: NDArray[np.float64] = 10.0 * np.log10(np.maximum(mean_square, 1e-20))
    return levels


def speech_probability(dbfs: NDArray[np.float64]) -> NDArray[np.float64]:
    """The documented level-to-probability map: linear from FLOOR_DBFS to CEIL_DBFS."""
    return np.clip((dbfs - FLOOR_DBFS) / (CEIL_DBFS - FLOOR_DBFS), 0.0, 1.0)


def level_for_threshold(threshold: float) -> float:
    """The frame level (dBFS) at which `threshold` starts speech: -40 for 0.5."""
    return FLOOR_DBFS + threshold * (CEIL_DBFS - FLOOR_DBFS)


@dataclass(frozen=True)
class SpeechStarted:
    audio_start_ms: int  # includes the prefix padding
    detected_at_ms: int  # timeline position when the decision was made (end of its frame)


@dataclass(frozen=True)
class SpeechStopped:
    audio_start_ms: int  # of the speech this ends (the item holds audio_start_ms..audio_end_ms)
    audio_end_ms: int  # includes the silence duration; also when the decision was made


VadEvent = SpeechStarted | SpeechStopped


class ServerVad:
    """`server_vad` turn detection: feed decoded samples, get speech start/stop events."""

    def __init__(
        self,
        threshold: float = 0.5,
        prefix_padding_ms: int = 300,
        silence_duration_ms: int = 200,
        *,
        sample_rate: int = 24000,
        frame_ms: int = DEFAULT_FRAME_MS,
        start_ms: int = 0,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be within 0.0..1.0, not {threshold}")
        self.threshold = threshold
        self.release = threshold - min(RELEASE_GAP, threshold / 2)
        self._start_power: float = 10.0 ** (level_for_threshold(threshold) / 10.0)  # mean sq.
        self.prefix_padding_ms = prefix_padding_ms
        self.silence_duration_ms = silence_duration_ms
        self.frame_ms = frame_ms
        self.sample_rate = sample_rate
        self.restart(start_ms, sample_rate)

    def restart(
        self, at_ms: int, sample_rate: int | None = None, floor_ms: int | None = None
    ) -> None:
        """Forget any speech and partial frame; the frame grid starts again at `at_ms`.

        `floor_ms` is where uncommitted audio begins (default `at_ms`): padding may reach it.
        """
        rate = sample_rate or self.sample_rate
        if (self.frame_ms * rate) % 1000:
            raise ValueError(f"{self.frame_ms} ms is not a whole number of samples at {rate} Hz")
        self.sample_rate = rate
        self._frame_samples = self.frame_ms * rate // 1000
        self._pending = np.zeros(0, dtype=np.float32)
        self._frames_start_ms = at_ms
        self._frames_done = 0
        self.floor_ms = at_ms if floor_ms is None else floor_ms
        self._speech_start_ms: int | None = None
        self._silence_since_ms: int | None = None

    @property
    def position_ms(self) -> int:
        """End of the last whole frame judged (the timeline point events are decided at)."""
        return self._frames_start_ms + self._frames_done * self.frame_ms

    @property
    def in_speech(self) -> bool:
        return self._speech_start_ms is not None

    def set_floor(self, at_ms: int) -> None:
        """Audio before `at_ms` is committed: prefix padding must not reach back into it."""
        self.floor_ms = max(self.floor_ms, at_ms)
        if self._speech_start_ms is not None:
            self._speech_start_ms = max(self._speech_start_ms, self.floor_ms)

    def feed(self, samples: NDArray[np.float32]) -> list[VadEvent]:
        """Judge every whole frame now available; keep the rest for the next call."""
        audio = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32)])
        whole = len(audio) // self._frame_samples * self._frame_samples
        self._pending = audio[whole:]
        frames = audio[:whole].reshape(-1, self._frame_samples)
        if not self.in_speech and self._all_quiet(frames):
            self._frames_done += len(frames)  # nothing can happen: skip the per-frame loop
            return []
        probabilities = speech_probability(frame_dbfs(frames))
        if not self.in_speech and not np.any(probabilities >= self.threshold):
            self._frames_done += len(frames)
            return []
        events: list[VadEvent] = []
        for probability in probabilities.tolist():
            event = self._judge_frame(probability)
            self._frames_done += 1
            if event is not None:
                events.append(event)
        return events

    def feed_int16(self, samples: NDArray[np.int16]) -> list[VadEvent]:
        """`feed` for int16 samples (full scale 32768), as the input buffer decodes them. An
        append of whole frames outside speech, with no partial frame waiting, whose power is
        clearly below the start level is counted without converting it to float (a caller's
        silence: two numpy calls where `feed` takes six); any other goes through `feed`."""
        if self.in_speech or len(self._pending) or not self._quiet_whole_frames(samples):
            return self.feed(int16_to_float(samples))
        self._frames_done += len(samples) // self._frame_samples
        return []

    def _quiet_whole_frames(self, samples: NDArray[np.int16]) -> bool:
        """Whole frames whose loudest cannot reach the start level: the sum of squares of the
        whole append bounds every frame's (exact in float64: at most 2**30 per sample). Only a
        shortcut, looser than `_all_quiet` for appends of many frames, which then go the exact
        way."""
        if not len(samples) or len(samples) % self._frame_samples or self.threshold <= 0.0:
            return False
        wide = samples.astype(np.float64)
        frame_power_bound = float(wide @ wide) / (self._frame_samples * FULL_SCALE_SQUARED)
        return frame_power_bound < 0.99 * self._start_power

    def _all_quiet(self, frames: NDArray[np.float32]) -> bool:
        """Every frame clearly below the level that starts speech: three numpy calls on the
        frames' power (where levels and probabilities take a dozen, most of a silent append's
        cost). Only a shortcut: a frame within 1 % of that level goes the exact way."""
        if not len(frames):
            return True
        if self.threshold <= 0.0:
            return False  # every frame, silence too, starts speech
        power = np.square(frames, dtype=np.float64).sum(axis=-1).max() / frames.shape[-1]
        return bool(power < 0.99 * self._start_power)

    def _judge_frame(self, probability: float) -> VadEvent | None:
        frame_start = self.position_ms
        frame_end = frame_start + self.frame_ms
        if self._speech_start_ms is None:
            if probability < self.threshold:
                return None
            self._speech_start_ms = max(self.floor_ms, frame_start - self.prefix_padding_ms)
            self._silence_since_ms = None
            return SpeechStarted(self._speech_start_ms, frame_end)
        if probability >= self.release:
            self._silence_since_ms = None
            return None
        if self._silence_since_ms is None:
            self._silence_since_ms = frame_start
        if frame_end - self._silence_since_ms < self.silence_duration_ms:
            return None
        stopped = SpeechStopped(self._speech_start_ms, frame_end)
        self._speech_start_ms = self._silence_since_ms = None
        self.set_floor(frame_end)
        return stopped


Eagerness = Literal["low", "medium", "high", "auto"]
# The SDK documents only each eagerness's *maximum* wait (8 s, 4 s, 2 s; auto = medium). With no
# semantic model here, a turn ends after a silence in the same 4:2:1 proportion, medium taking
# the documented server_vad default of 500 ms. An approximation, not the real model.
SEMANTIC_SILENCE_MS: dict[str, int] = {"low": 1000, "medium": 500, "high": 250, "auto": 500}
SEMANTIC_MAX_TIMEOUT_MS: dict[str, int] = {"low": 8000, "medium": 4000, "high": 2000, "auto": 4000}


class SemanticVad(ServerVad):
    """`semantic_vad`, approximated as server VAD with an eagerness-dependent silence."""

    def __init__(
        self,
        eagerness: Eagerness = "auto",
        *,
        sample_rate: int = 24000,
        frame_ms: int = DEFAULT_FRAME_MS,
        start_ms: int = 0,
    ) -> None:
        if eagerness not in SEMANTIC_SILENCE_MS:
            raise ValueError(f"eagerness must be low, medium, high or auto, not {eagerness!r}")
        self.eagerness = eagerness
        self.max_timeout_ms = SEMANTIC_MAX_TIMEOUT_MS[eagerness]
        super().__init__(
            silence_duration_ms=SEMANTIC_SILENCE_MS[eagerness],
            sample_rate=sample_rate,
            frame_ms=frame_ms,
            start_ms=start_ms,
        )


def vad_from_config(
    turn_detection: dict[str, Any] | None,
    *,
    sample_rate: int = 24000,
    start_ms: int = 0,
    frame_ms: int = DEFAULT_FRAME_MS,
) -> ServerVad | None:
    """The VAD a session's `turn_detection` object asks for (None: manual turns).

    Missing server_vad fields take the values real `session.created` events show: threshold
    0.5, prefix_padding_ms 300, silence_duration_ms 200 (the SDK docstring says 500).
    """
    if not turn_detection:
        return None
    if turn_detection.get("type") == "semantic_vad":
        eagerness = cast(Eagerness, turn_detection.get("eagerness") or "auto")
        return SemanticVad(eagerness, sample_rate=sample_rate, frame_ms=frame_ms, start_ms=start_ms)
    return ServerVad(
        _or(turn_detection.get("threshold"), 0.5),
        int(_or(turn_detection.get("prefix_padding_ms"), 300)),
        int(_or(turn_detection.get("silence_duration_ms"), 200)),
        sample_rate=sample_rate,
        frame_ms=frame_ms,
        start_ms=start_ms,
    )


def _or(value: Any, default: float) -> float:
    return default if value is None else float(value)


@dataclass(frozen=True)
class IdleTimedOut:
    """`input_audio_buffer.timeout_triggered`: the silent stretch to commit."""

    audio_start_ms: int
    audio_end_ms: int


class IdleTimeout:
    """`idle_timeout_ms`: fires once when that long passes on the timeline without speech.

    The session arms it at the timeline point where the last response's audio finished playing
    ("the response.done time plus audio playback duration", SDK) and disarms it on speech.
    """

    def __init__(self, idle_timeout_ms: int) -> None:
        self.idle_timeout_ms = idle_timeout_ms
        self._armed_at: int | None = None

    def arm(self, at_ms: int) -> None:
        self._armed_at = at_ms

    def disarm(self) -> None:
        self._armed_at = None

    @property
    def deadline_ms(self) -> int | None:
        return None if self._armed_at is None else self._armed_at + self.idle_timeout_ms

    def poll(self, position_ms: float) -> IdleTimedOut | None:
        """The timeout, once, if `position_ms` has reached the deadline; else None."""
        deadline = self.deadline_ms
        if self._armed_at is None or deadline is None or position_ms < deadline:
            return None
        fired = IdleTimedOut(self._armed_at, deadline)
        self._armed_at = None
        return fired
