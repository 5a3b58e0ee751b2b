"""Media timing at the virtual call: what the caller heard of the model's audio, and when.

All figures come from the recording: the OpenAI wire says when each audio delta arrived and
when the server heard the caller start speaking (`speech_started`); the call wire, through the
carrier's playout model (conformance.call.playout), says when the caller heard each frame.
Every bound is in the requirement text with its reason; cases may override them. A delay is
judged less the harness's own lateness over the same stretch, or the mock's lateness with the
model's audio then, whichever is more (harness_clock.py).

Evidence for the bounds: Twilio conference jitter buffers are perceived as latency above
~250 ms (Twilio, "Conference Jitter Buffer Controls", 2020); sending small chunks too
irregularly made the OpenAI Agents SDK's Twilio example choppy (openai-agents-python #1906 and
PR #1926); counting audio queued to Twilio instead of played leaves unheard content in the
model's conversation (review of twilio-agent-connect-python PR #118); the real API rejects a
truncation past its audio: "Audio content of N ms is already shorter than M ms".
"""

from __future__ import annotations

from collections.abc import Iterator

from realtime_conformance.conformance.checks.media_timeline import (
    ItemAudio,
    Timeline,
    openai_events,
    timeline_of,
)
from realtime_conformance.conformance.checks.registry import BoundCheck, Violation, check

NO_CALL = Violation(
    ("the client bridges the call: connects to the virtual call and plays audio into it",),
    "no call: nothing was recorded on the call wire",
)


def timeline(bound: BoundCheck) -> Timeline:
    return bound.ctx.once("media_timeline", timeline_of)


def _silence_at(line: Timeline, item: ItemAudio, t_ms: float) -> float:
    """When the caller stopped hearing `item` after `t_ms` (t_ms when nothing more played)."""
    ends = [f.end_ms for f in line.frames_of(item) if not f.dropped and f.end_ms > t_ms]
    return max([t_ms, *ends])


def _barge_ins(line: Timeline, playing_min_ms: float) -> Iterator[tuple[float, ItemAudio]]:
    for t_ms in line.speech_started:
        item = line.playing_at(t_ms, playing_min_ms)
        if item is not None:
            yield t_ms, item


@check(
    "media.clear_on_barge_in",
    "media",
    "MUST",
    "When the caller starts speaking (input_audio_buffer.speech_started) while model audio is "
    "still playing or queued at the call (more than {playing_min_ms:g} ms not yet heard), the "
    "caller MUST stop hearing it within {clear_ms:g} ms: send clear to the call (or stop "
    "sending). Speech continuing longer is heard as the agent talking over the caller "
    "(carriers perceive ~250 ms as latency); clients without clear play on for 1-3 s.",
    tolerances={"clear_ms": 400, "playing_min_ms": 100},
)
def clear_on_barge_in(bound: BoundCheck) -> Iterator[Violation]:
    line = timeline(bound)
    if line.playout is None:
        yield NO_CALL
        return
    for t_ms, item in _barge_ins(line, bound.tolerance["playing_min_ms"]):
        silence_at = _silence_at(line, item, t_ms)
        latency = silence_at - t_ms
        bound.measure("silence_after_speech_started_ms", latency)
        if line.harness.excuse(latency, t_ms, silence_at) > bound.tolerance["clear_ms"]:
            clears = [c - t_ms for c in line.playout.clears_ms if c >= t_ms]
            how = f"clear came {clears[0]:.0f} ms after it" if clears else "no clear was sent"
            yield Violation(
                (
                    f"clear sent into the call within {bound.tolerance['clear_ms']:g} ms",
                    f"item {item.item_id}'s audio ending at the call within that time",
                ),
                f"the caller heard {latency:.0f} ms more of item {item.item_id} after "
                f"speech_started ({how})",
                t_ms,
                {"silence_after_speech_started_ms": latency},
            )


@check(
    "media.truncate_on_barge_in",
    "media",
    "MUST",
    "When the caller interrupts an item that was not fully heard (more than {playing_min_ms:g} "
    "ms received but unheard at speech_started), the client MUST send "
    "conversation.item.truncate for it (or delete it) within {truncate_within_ms:g} ms: "
    "otherwise the model's conversation holds words the caller never heard.",
    tolerances={"truncate_within_ms": 1000, "playing_min_ms": 100},
)
def truncate_on_barge_in(bound: BoundCheck) -> Iterator[Violation]:
    line = timeline(bound)
    if line.playout is None:
        yield NO_CALL
        return
    edits = openai_events(bound.recording, "client", "conversation.item.truncate")
    edits += openai_events(bound.recording, "client", "conversation.item.delete")
    within = bound.tolerance["truncate_within_ms"]
    for t_ms, item in _barge_ins(line, bound.tolerance["playing_min_ms"]):
        of_item = [e.t_ms or 0.0 for e in edits if (e.event or {}).get("item_id") == item.item_id]
        if any(t < t_ms for t in of_item):
            continue  # already cut (clear_media_buffer, an earlier barge-in): nothing to undo
        times = [t - t_ms for t in of_item if t >= t_ms]
        if not times or line.harness.excuse(times[0], t_ms, t_ms + times[0]) > within:
            late = f"it came {times[0]:.0f} ms after speech_started" if times else "timeout"
            yield Violation(
                (
                    f"conversation.item.truncate of item {item.item_id} within {within:g} ms",
                    f"conversation.item.delete of item {item.item_id} within {within:g} ms",
                ),
                f"no truncate or delete of the interrupted item {item.item_id} in time ({late})",
                t_ms,
            )


def _truncate_expected(heard: float, over: float, under: float, item_id: str) -> tuple[str, ...]:
    if heard <= 0:
        return (
            f"audio_end_ms 0 (none of item {item_id} was heard; up to {over:g} tolerated)",
            f"conversation.item.delete of item {item_id} instead",
        )
    low = max(0.0, heard - under)
    return (f"{low:.0f} <= audio_end_ms <= {heard + over:.0f} (heard: {heard:.0f} ms)",)


@check(
    "media.truncate_at_heard_audio",
    "media",
    "MUST",
    "conversation.item.truncate MUST set audio_end_ms to the audio of that item the caller "
    "actually heard, within +{over_ms:g} / -{under_ms:g} ms (a carrier's jitter buffer, "
    "60-200 ms, hides what is playing from the client; mark echoes lag by up to one chunk); "
    "an item queued but never heard is truncated to 0 or deleted. Audio received but not heard "
    "is not heard; the call clock is not the audio played.",
    tolerances={"over_ms": 250, "under_ms": 500},
)
def truncate_at_heard_audio(bound: BoundCheck) -> Iterator[Violation]:
    line = timeline(bound)
    if line.playout is None:
        yield NO_CALL
        return
    over, under = bound.tolerance["over_ms"], bound.tolerance["under_ms"]
    for entry in openai_events(bound.recording, "client", "conversation.item.truncate"):
        event, t_ms = entry.event or {}, entry.t_ms or 0.0
        item = line.item(event.get("item_id"))
        end = event.get("audio_end_ms")
        if item is None or not isinstance(end, int | float):
            continue  # order.truncate_delivered_audio and the payload check judge those
        heard, received = line.heard_ms(item, t_ms), item.received_ms(t_ms)
        bound.measure("truncate_error_ms", end - heard)
        if not heard - under <= end <= heard + over:
            yield Violation(
                _truncate_expected(heard, over, under, item.item_id),
                f"audio_end_ms {end}; the caller had heard {heard:.0f} ms of item "
                f"{item.item_id} ({received:.0f} ms received)",
                t_ms,
                {"heard_ms": heard, "received_ms": received, "audio_end_ms": float(end)},
            )


@check(
    "media.first_audio_latency",
    "media",
    "MUST",
    "The caller MUST hear the start of each model audio item within {first_audio_ms:g} ms of "
    "its first audio delta on the OpenAI wire: a bridge forwards audio as it arrives (a "
    "pre-buffer of ~100 ms and a carrier jitter buffer fit well within); later is dead air "
    "before every answer. The mock's own lateness with the audio after that first delta (a "
    "pre-buffer waiting for it) is excused.",
    tolerances={"first_audio_ms": 500},
)
def first_audio_latency(bound: BoundCheck) -> Iterator[Violation]:
    line = timeline(bound)
    if line.playout is None:
        yield NO_CALL
        return
    limit = bound.tolerance["first_audio_ms"]
    for item in line.items:
        heard = [f.start_ms for f in line.frames_of(item) if not f.dropped]
        interrupted = any(item.first_ms <= t <= item.first_ms + limit for t in line.speech_started)
        if heard:
            latency = heard[0] - item.first_ms
            bound.measure("first_audio_ms", latency)
            late = max(
                line.harness.between(item.first_ms, heard[0]),
                item.mock_lateness().between(item.first_ms, heard[0]),
            )
            if latency - late <= limit:
                continue
            actual = f"the caller first heard item {item.item_id} {latency:.0f} ms after it"
        elif interrupted or line.end_ms < item.first_ms + limit:
            continue
        else:
            actual = f"timeout: the caller never heard item {item.item_id}"
        yield Violation(
            (f"the caller hears item {item.item_id} within {limit:g} ms of its first delta",),
            actual,
            item.first_ms,
        )
