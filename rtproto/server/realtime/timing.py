"""How long the simulated server takes to react, and how fast it sends audio: deterministic.

A real response is never instantaneous (shared/PROTOCOL.md §2): it has a time to first delta
and a generation rate, which is what keeps it in progress long enough to be cancelled or to
make a second `response.create` collide with it. `Timing.realistic()` carries the figures of the
2026-09 GA captures; `Timing.instant()` puts every reaction at the instant of its cause, for
tests about order alone (events due at the same instant keep their scheduling order).

`AudioDelivery` says how fast a response's audio deltas go out compared with the speed the
audio plays at: in a burst, as the real API sends it (the default); paced at playback speed;
or at any scripted rate, slower than real time too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    session_created: float  # after the handshake
    session_updated: float  # after `session.update`
    item_added: float  # `conversation.item.create` -> `conversation.item.added`
    reply: float  # other acknowledgements: committed, cleared, deleted, retrieved, truncated
    error: float  # a bad client event -> its `error`
    response_created: float  # `response.create` -> `response.created`
    first_delta: float  # `response.created` -> the first output item and its first delta
    step: float  # between consecutive bookkeeping events (`*.done`, `output_item.added`, ...)
    text_tokens_per_s: float  # text, transcript-free text and function-argument deltas
    audio_speed: float  # audio is generated this many times faster than it plays
    cancel: float  # `response.cancel` -> the first closing event
    rate_limits: float  # `response.done` -> `rate_limits.updated`
    vad: float  # the append that completes a VAD decision -> its speech_started/stopped event
    transcription_first_delta: float  # `committed` -> the first input transcription event
    transcription_step: float  # between input transcription deltas
    transcription_completed: float  # the last transcription delta -> `.completed` / `.failed`

    @classmethod
    def realistic(cls) -> Timing:
        """The delays seen in the 2026-09 GA captures (PROTOCOL.md §2; p07 for transcription)."""
        return cls(
            session_created=0.002,
            session_updated=0.26,
            item_added=0.27,
            reply=0.26,
            error=0.26,
            response_created=0.28,
            first_delta=0.2,
            step=0.001,
            text_tokens_per_s=150.0,  # p08: five deltas within ~36 ms
            audio_speed=4.0,  # UNVERIFIED: "faster than real time"; no recorded figure
            cancel=0.03,  # UNVERIFIED: no recorded figure
            rate_limits=0.04,
            vad=0.05,  # UNVERIFIED: p07 bounds it (speech_started <= 260 ms after the audio)
            transcription_first_delta=0.93,  # p07: committed 3565 ms, first delta 4495.7 ms
            transcription_step=0.0045,  # p07: six deltas from 4495.7 to 4518.0 ms
            transcription_completed=0.2,  # p07: last delta 4518.0, completed 4717.2 ms
        )

    @classmethod
    def instant(cls) -> Timing:
        """Every reaction at the instant of its cause; generation takes no time."""
        return cls(
            session_created=0.0,
            session_updated=0.0,
            item_added=0.0,
            reply=0.0,
            error=0.0,
            response_created=0.0,
            first_delta=0.0,
            step=0.0,
            text_tokens_per_s=float("inf"),
            audio_speed=float("inf"),
            cancel=0.0,
            rate_limits=0.0,
            vad=0.0,
            transcription_first_delta=0.0,
            transcription_step=0.0,
            transcription_completed=0.0,
        )

    def text_offset(self, index: int) -> float:
        """Seconds from the first delta of a text stream to its `index`-th delta."""
        return index / self.text_tokens_per_s

    def audio_offset(self, position_ms: float) -> float:
        """Seconds from the first audio of a part to the audio at `position_ms` into it."""
        return position_ms / 1000 / self.audio_speed


@dataclass(frozen=True)
class AudioDelivery:
    """How fast response audio goes out, as a multiple of the speed it plays at.

    - `AudioDelivery.burst(speed)`: faster than real time, as the real API sends it (clients
      buffer and play out). Without a speed, the session Timing's `audio_speed` (4x
      realistic; everything at once with `Timing.instant()`). The default.
    - `AudioDelivery.realtime()`: paced at playback speed, each 100 ms delta 100 ms after the
      one before, as a SIP or WebRTC leg delivers it.
    - `AudioDelivery.rate(x)`: any scripted multiple, slower than real time too (x < 1), to
      starve a client's playout buffer.

    Transcript deltas keep their place in the speech whatever the rate.
    """

    speed: float | None = None  # None: the Timing's audio_speed

    @classmethod
    def burst(cls, speed: float | None = None) -> AudioDelivery:
        if speed is not None and speed < 1:
            raise ValueError(f"a burst is at least real time (speed >= 1), not {speed}")
        return cls(speed)

    @classmethod
    def realtime(cls) -> AudioDelivery:
        return cls(1.0)

    @classmethod
    def rate(cls, speed: float) -> AudioDelivery:
        if not speed > 0:
            raise ValueError(f"a rate is a positive multiple of real time, not {speed}")
        return cls(speed)

    def offset(self, position_ms: float, timing: Timing) -> float:
        """Seconds from a part's first audio delta to the audio at `position_ms` into it."""
        if self.speed is None:
            return timing.audio_offset(position_ms)
        return position_ms / 1000 / self.speed
