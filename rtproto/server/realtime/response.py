"""One response in flight: its events on the timeline, and how it ends when cancelled.

A response's events are fed to the timeline at `response.create`, tagged with the response id,
and built as they fall due (PROTOCOL.md §2 order: created -> per item: output_item.added,
conversation.item.added, content_part.added, deltas, *.done, content_part.done,
conversation.item.done, output_item.done -> response.done -> rate_limits.updated); the session
settles the feed (builds the rest) before it builds anything else, so ids and state are those of
building the response whole at `response.create` (rtproto.server.realtime.outbox.Timeline). The
times needed at once (when `response.done` is due, when the audio goes out) are worked out
without building the events (response_times). A cancel drops whatever is still
pending, works out from the rest what the client has received, and sends the closing events
for that: the open item's `*.done` events with the content so far, then `response.done`
(cancelled, with the reason: `client_cancelled` for `response.cancel`, `turn_detected` for a
VAD barge-in). The conversation is updated to match: unsent items are taken out, cut ones keep
what was sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.server.realtime.conversation import (
    AudioTrack,
    Conversation,
    Entry,
)
from realtime_conformance.rtproto.server.realtime.outbox import Feed, Send, Timeline
from realtime_conformance.rtproto.server.realtime.response_events import (
    Event,
    ResponseEvents,
    ResponseSettings,
    response_resource,
)
from realtime_conformance.rtproto.server.realtime.response_output import (
    AUDIO_CHUNK_MS,
    ItemStatus,
    OutputItem,
    item_dict,
)
from realtime_conformance.rtproto.server.realtime.response_times import (
    audio_sent,
    delta_positions,
    last_delta_at,
)
from realtime_conformance.rtproto.server.realtime.timing import AudioDelivery, Timing
from realtime_conformance.rtproto.server.realtime.usage import RateLimits, Usage, audio_tokens

CANCELLED = {"type": "cancelled", "reason": "client_cancelled"}
TURN_DETECTED = {"type": "cancelled", "reason": "turn_detected"}
OUT_OF_TOKENS = {"type": "incomplete", "reason": "max_output_tokens"}


@dataclass(frozen=True)
class Step:
    at: float
    event: Event
    kind: str  # created | open | delta | audio | close | done | rate
    index: int = -1  # the output item it belongs to
    text: str = ""  # a text, transcript or argument piece
    audio_ms: float = 0.0  # the item's audio sent once this delta is out


@dataclass
class Progress:
    """What the client has received of one output item."""

    opened: bool = False
    part_open: bool = False
    text: str = ""
    pieces: int = 0
    sent: list[tuple[float, float]] = field(default_factory=list)  # audio (time, total ms)
    closed: int = 0

    def fold(self, step: Step) -> None:
        event_type = step.event["type"]
        self.opened |= event_type == "response.output_item.added"
        self.part_open |= event_type == "response.content_part.added"
        if step.kind == "delta":
            self.text += step.text
            self.pieces += 1
        elif step.kind == "audio":
            self.sent.append((step.at, step.audio_ms))
        elif step.kind == "close":
            self.closed += 1


@dataclass
class RunContext:
    """What a response shares with its session."""

    timeline: Timeline
    timing: Timing
    rate_limits: RateLimits
    conversation: Conversation | None  # None for an out-of-band response
    delivery: AudioDelivery = field(default_factory=AudioDelivery.burst)


def text_step(item: OutputItem, k: int, at: float, events: ResponseEvents) -> Step:
    token = item.tokens[k]
    return Step(at, events.text_delta(item, token), "delta", item.index, token)


def delta_steps(
    item: OutputItem, start: float, context: RunContext, events: ResponseEvents
) -> Iterator[Step]:
    """An item's deltas, built as they are taken; audio and transcript interleaved by their
    place in the speech."""
    timing = context.timing
    if not item.audio:
        for k in range(len(item.tokens)):
            yield text_step(item, k, start + timing.text_offset(k), events)
        return
    for position, is_audio, k in delta_positions(item):
        at = start + context.delivery.offset(position, timing)
        if is_audio:
            sent = min((k + 1) * AUDIO_CHUNK_MS, item.audio_ms)
            event = events.audio_delta(item, item.chunks[k])
            yield Step(at, event, "audio", item.index, audio_ms=sent)
        else:
            yield text_step(item, k, at, events)


class ResponseRun:
    def __init__(
        self,
        *,
        response_id: str,
        settings: ResponseSettings,
        output: tuple[list[OutputItem], bool],
        events: ResponseEvents,
        input_usage: Usage,
        context: RunContext,
    ) -> None:
        self.response_id = response_id
        self.settings = settings
        self.items, self.cut = output
        self.events = events
        self.input_usage = input_usage
        self.context = context
        self.steps: list[Step] = []
        self.done_at = float("inf")
        self.audio_ms = sum(item.audio_ms for item in self.items)  # what the client gets to play
        self.cancelled = False
        self.previous: list[str | None] = []

    @property
    def in_conversation(self) -> bool:
        return self.context.conversation is not None

    def active(self, now: float) -> bool:
        """Until its `response.done` is out (a cancelled one too, while it closes)."""
        return now < self.done_at

    def cancellable(self, now: float) -> bool:
        return self.active(now) and not self.cancelled

    def played_out_at(self) -> float:
        """When the client will have played the audio: `response.done` plus its duration (SDK,
        `idle_timeout_ms`: "the response.done time plus audio playback duration")."""
        return self.done_at + self.audio_ms / 1000

    def response_object(
        self, status: str, details: Any, output: list[Event], usage: Usage | None
    ) -> dict[str, Any]:
        usage_dict = usage.as_dict() if usage else None
        return response_resource(
            self.response_id, self.settings, status, details, output, usage_dict
        )

    def final_status(self, item: OutputItem) -> ItemStatus:
        return "incomplete" if item.cut else "completed"

    def output_usage(self, pieces: int, audio_ms: float) -> Usage:
        return Usage(
            self.input_usage.input_text,
            self.input_usage.input_audio,
            pieces,
            audio_tokens(audio_ms),
        )

    # --- running to the end ---------------------------------------------------------------

    def start(self, now: float) -> None:
        """Feed the response's events to the timeline, built as they fall due; its items go
        into the conversation now (their times are known without building the events)."""
        conversation = self.context.conversation
        last = conversation.last_id() if conversation else None
        self.previous = [last, *(item.item_id for item in self.items[:-1])]
        starts = self._item_starts(now)
        self.context.timeline.feed(self._sends(self._planned_steps(now, starts)), self.response_id)
        if conversation is not None:
            for item, start in zip(self.items, starts, strict=True):
                conversation.insert(self._entry(item, start))

    def _sends(self, steps: Iterator[Step]) -> Feed:
        for step in steps:
            self.steps.append(step)  # what a cancel reads back
            yield step.at, Send(step.event)

    def _item_starts(self, now: float) -> list[float]:
        """When each item opens; sets `done_at` (the arithmetic of `_planned_steps`)."""
        timing, delivery = self.context.timing, self.context.delivery
        at, starts = now + timing.response_created + timing.first_delta, []
        for item in self.items:
            starts.append(at)
            end = last_delta_at(item, at, timing, delivery)
            for _ in range(self.events.closing_count(item, item.kind == "message")):
                end += timing.step
            at = end + timing.step
        self.done_at = at
        return starts

    def final_item(self, item: OutputItem) -> Event:
        text, is_message = "".join(item.tokens), item.kind == "message"
        return item_dict(item, self.final_status(item), text, is_message)

    def _item_steps(self, item: OutputItem, start: float) -> Iterator[Step]:
        timing, previous = self.context.timing, self.previous[item.index]
        at = start
        for event in self.events.opening(item, previous):
            yield Step(start, event, "open", item.index)
        for step in delta_steps(item, start, self.context, self.events):
            at = step.at
            yield step
        text, status = "".join(item.tokens), self.final_status(item)
        closing = self.events.closing(item, text, status, previous, item.kind == "message")
        for event in closing:
            at += timing.step
            yield Step(at, event, "close", item.index)

    def _planned_steps(self, now: float, starts: list[float]) -> Iterator[Step]:
        """Every event of the response with its due time, in order, built one by one."""
        timing = self.context.timing
        created = self.events.created(self.response_object("in_progress", None, [], None))
        yield Step(now + timing.response_created, created, "created")
        for item, start in zip(self.items, starts, strict=True):
            yield from self._item_steps(item, start)
        pieces = sum(len(item.tokens) for item in self.items)
        usage = self.output_usage(pieces, sum(item.audio_ms for item in self.items))
        output = [self.final_item(item) for item in self.items]
        status, details = ("incomplete", OUT_OF_TOKENS) if self.cut else ("completed", None)
        done = self.events.done(self.response_object(status, details, output, usage))
        limits = self.events.rate_limits(self.context.rate_limits.spend(usage.total))
        yield Step(self.done_at, done, "done")
        yield Step(self.done_at + timing.rate_limits, limits, "rate")

    def _entry(self, item: OutputItem, start: float) -> Entry:
        body = self.final_item(item)
        if not item.audio:
            return Entry(body)
        sent = audio_sent(item, start, self.context.timing, self.context.delivery)
        return Entry(body, AudioTrack(sent, list(item.words)))

    # --- cancelled midway -----------------------------------------------------------------

    def cancel(
        self, now: float, details: dict[str, str] = CANCELLED, not_before: float = 0.0
    ) -> None:
        """End the response now: close what the client has, drop the rest. The closing events
        go out no earlier than `not_before` (after the speech_started of a barge-in)."""
        self.cancelled = True
        removed = self.context.timeline.cancel(self.response_id)
        removed_ids = {out.event["event_id"] for out in removed if isinstance(out, Send)}
        delivered = [step for step in self.steps if step.event["event_id"] not in removed_ids]
        progress = [Progress() for _ in self.items]
        for step in delivered:
            if step.index >= 0:
                progress[step.index].fold(step)
        events = [] if any(s.kind == "created" for s in delivered) else [self.steps[0].event]
        output: list[Event] = []
        for item, got in zip(self.items, progress, strict=True):
            events += self._close_cut_item(item, got, output)
        pieces = sum(got.pieces for got in progress)
        self.audio_ms = sum(got.sent[-1][1] for got in progress if got.sent)
        usage = self.output_usage(pieces, self.audio_ms)
        done = self.response_object("cancelled", dict(details), output, usage)
        events.append(self.events.done(done))
        self._schedule_closing(events, usage, max(now + self.context.timing.cancel, not_before))

    def _close_cut_item(self, item: OutputItem, got: Progress, output: list[Event]) -> list[Event]:
        conversation = self.context.conversation
        if not got.opened:
            if conversation is not None:
                conversation.discard(item.item_id)
            return []
        previous = self.previous[item.index]
        closing = self.events.closing(item, got.text, "incomplete", previous, got.part_open)
        status = self.final_status(item) if got.closed == len(closing) else "incomplete"
        body = item_dict(item, status, got.text, got.part_open)
        output.append(body)
        if conversation is not None:
            conversation.replace(body)
            entry = conversation.get(item.item_id)
            if entry is not None and entry.audio is not None:
                entry.audio.sent = list(got.sent)
        return closing[got.closed :]

    def _schedule_closing(self, events: list[Event], usage: Usage, at: float) -> None:
        timing, timeline = self.context.timing, self.context.timeline
        planned = next(step for step in self.steps if step.kind == "done").event
        self.context.rate_limits.refund(planned["response"]["usage"]["total_tokens"] - usage.total)
        for event in events:
            timeline.schedule(at, Send(event), self.response_id)
            at += timing.step
        self.done_at = at - timing.step
        limits = self.events.rate_limits(self.context.rate_limits.entries())
        timeline.schedule(self.done_at + timing.rate_limits, Send(limits), self.response_id)
