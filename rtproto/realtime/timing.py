"""How long the simulated server takes to react: deterministic delays, in seconds.

A real response is never instantaneous (shared/PROTOCOL.md §2): it has a time to first delta
and a generation rate, which is what keeps it in progress long enough to be cancelled or to
make a second `response.create` collide with it. `Timing.realistic()` carries the figures of the
2026-09 GA capture; `Timing.instant()` puts every reaction at the instant of its cause, for
tests about order alone (events due at the same instant keep their scheduling order).
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

    @classmethod
    def realistic(cls) -> Timing:
        """The delays seen in the 2026-09 GA capture (gpt-realtime-mini, PROTOCOL.md §2)."""
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
        )

    def text_offset(self, index: int) -> float:
        """Seconds from the first delta of a text stream to its `index`-th delta."""
        return index / self.text_tokens_per_s

    def audio_offset(self, position_ms: float) -> float:
        """Seconds from the first audio of a part to the audio at `position_ms` into it."""
        return position_ms / 1000 / self.audio_speed
