"""When a response's events are due, worked out without building them.

A response's events are built lazily, as they fall due (`outbox.Timeline.feed`), but some of
their times are needed at `response.create`: when `response.done` is due (`ResponseRun.active`,
the idle timer) and when each audio delta goes out (the conversation's `AudioTrack`, for a
truncation's bounds). This is the same arithmetic as the steps' own (`response.ResponseRun`),
operation for operation, so the times are equal to the last bit (tests/test_realtime_lazy_
response.py compares them with the built steps').
"""

from __future__ import annotations

from realtime_conformance.rtproto.server.realtime.response_output import (
    AUDIO_CHUNK_MS,
    OutputItem,
)
from realtime_conformance.rtproto.server.realtime.timing import AudioDelivery, Timing


def delta_positions(item: OutputItem) -> list[tuple[float, int, int]]:
    """(place in the speech in ms, 1 for audio / 0 for transcript, index) of an audio item's
    deltas, in the order they go out."""
    order = [(item.token_starts_ms[k], 0, k) for k in range(len(item.tokens))]
    order += [(j * AUDIO_CHUNK_MS, 1, j) for j in range(len(item.chunks))]
    return sorted(order)


def last_delta_at(item: OutputItem, start: float, timing: Timing, delivery: AudioDelivery) -> float:
    """When the item's last delta is due (its opening's time, `start`, when it has none)."""
    if item.audio:
        positions = [position for position, _, _ in delta_positions(item)]
        return start + delivery.offset(positions[-1], timing) if positions else start
    return start + timing.text_offset(len(item.tokens) - 1) if item.tokens else start


def audio_sent(
    item: OutputItem, start: float, timing: Timing, delivery: AudioDelivery
) -> list[tuple[float, float]]:
    """(when, the item's audio ms sent once it is out) of each audio delta."""
    sent = [min((j + 1) * AUDIO_CHUNK_MS, item.audio_ms) for j in range(len(item.chunks))]
    return [(start + delivery.offset(j * AUDIO_CHUNK_MS, timing), ms) for j, ms in enumerate(sent)]
