"""The sending side of one Realtime connection or one HTTP stream: replies on a SendQueue, and
faults.

- Replies are serialized like the real server's: a reply starts `delay_ms` after its event, but
  never before the previous reply has finished; its events are `pace_ms` apart, except between
  the events of a replay with `timing: recorded`, which keep the transcript's `t_ms` gaps.
- Replies are built lazily, item by item as they fall due (SendQueue.feed): a reply's first event
  goes out without the rest being built. Anything else the sender builds (another reply, an
  error answer, a fault's events) first settles the lazy one, so ids, state and order are those
  of building each reply whole when it is scheduled.
- Literal events are completed as their API sends them (rtproto.server.play.stamps); replayed
  events go out exactly as recorded (a copy each time), and so do the simulated model's
  (rtproto.server.play.simulated), timed by its own plan unless paced.
- Faults fire at a time, or after the nth event of a type, received or sent (rtproto.scenario.
  wire acts on the events themselves).
"""

from __future__ import annotations

import copy
import itertools
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from realtime_conformance.rtproto.scenario.expressions import Resolver
from realtime_conformance.rtproto.scenario.names import event_name
from realtime_conformance.rtproto.scenario.recording import Recording
from realtime_conformance.rtproto.scenario.spec import (
    Duplicate,
    ErrorFault,
    EventStep,
    Fault,
    Malform,
    RawStep,
    Reorder,
    ReplayStep,
    Scenario,
    SimulateStep,
    Stall,
    Step,
    TemplateStep,
    WaitStep,
)
from realtime_conformance.rtproto.scenario.steps import expand_step, reply_resolver
from realtime_conformance.rtproto.server.play.faults import fault_items, stream_failure
from realtime_conformance.rtproto.server.play.send_queue import Feed, SendQueue
from realtime_conformance.rtproto.server.play.simulated import simulated_stream
from realtime_conformance.rtproto.server.play.stamps import Stamper
from realtime_conformance.rtproto.server.play.state import ConnectionState, TemplateContext
from realtime_conformance.rtproto.server.play.templates import generate
from realtime_conformance.rtproto.server.realtime.outbox import Outgoing, Send, SendRaw
from realtime_conformance.rtproto.sse import DONE

Event = dict[str, Any]
Timed = tuple[float | None, Outgoing]  # (the gap in ms before it, or None: pace_ms), the item


def _replayed(recording: Recording) -> list[tuple[float | None, Event | None]]:
    """(t_ms, event) of each replayed event; the `done` marker as a None event."""
    timed: list[tuple[float | None, Event | None]] = [
        (replayed.t_ms, replayed.event) for replayed in recording.events
    ]
    if recording.done:
        timed.append((recording.done_t_ms, None))
    return timed


def _gaps(times: list[float | None], recorded: bool) -> list[float | None]:
    """The recorded gap before each event (None where it is not known, or not wanted)."""
    gaps: list[float | None] = [None]
    for before, after in itertools.pairwise(times):
        if recorded and before is not None and after is not None:
            gaps.append(max(after - before, 0.0))  # a transcript's clock may step back
        else:
            gaps.append(None)
    return gaps


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


class ReplySender:
    def __init__(
        self, scenario: Scenario, state: ConnectionState, request: Event | None = None
    ) -> None:
        self.scenario = scenario
        self.api = scenario.api
        self.state = state
        self.stamper = Stamper(scenario.api, state, request)
        self._counting = any(fault.after is not None for fault in scenario.faults)
        # What a sent event is needed for: counts for a fault `after` it, and (Responses, Chat)
        # the latest Response object for a stream failure; on a Realtime connection without
        # such faults nothing, so the hot loop calls nothing.
        wanted = self._counting or self.api != "realtime"
        self.queue = SendQueue(self._sent if wanted else None)
        self.last_due = 0.0  # when the last reply's last item is due (its start if none)
        self._problems: list[str] = []  # expressions that found nothing
        self.last_response: Event | None = None  # Responses: the latest Response object sent
        self._busy_until = 0.0
        self._received: Counter[str] = Counter()
        self._sent_count: Counter[str] = Counter()
        self._fired: set[int] = set()

    def arm(self, now: float) -> None:
        """The connection or stream starts: replies from now on, timed faults from now."""
        self._busy_until = now
        for fault in self.scenario.faults:
            if fault.at_ms is not None:
                self.queue.at(now + fault.at_ms / 1000, partial(self._fire, fault))

    def received(self, event: Event, now: float) -> None:
        if self._counting:
            self._count(self._received, event_name(event, self.api), now, None)

    @property
    def problems(self) -> list[str]:
        """Expressions that found nothing, in the replies scheduled so far."""
        self.queue.settle()
        return self._problems

    def reply(
        self, steps: tuple[Step, ...], event: Event | None, now: float, *, delay_ms: int,
        pace_ms: int, where: str,
    ) -> None:  # fmt: skip
        """Schedule a reply: its items are built as they fall due."""
        self.queue.settle()  # the previous reply is built first
        start = max(now + delay_ms / 1000, self._busy_until)
        self.last_due = start
        self.queue.feed(self._items(steps, event, start, pace_ms, where))

    def reply_whole(
        self, steps: tuple[Step, ...], event: Event | None, now: float, *, delay_ms: int,
        pace_ms: int, where: str,
    ) -> float:  # fmt: skip
        """Schedule a reply built at once; returns when its last item is due."""
        self.reply(steps, event, now, delay_ms=delay_ms, pace_ms=pace_ms, where=where)
        self.queue.settle()
        return self.last_due

    def _items(
        self, steps: tuple[Step, ...], event: Event | None, start: float, pace_ms: int, where: str
    ) -> Feed:
        """A reply's items with their due times, built one by one."""
        ctx = TemplateContext(self.state, event)
        resolve = reply_resolver(event, self.state.recall, self.state.ids.new)
        handlers = ReplySteps(self, ctx, resolve)
        offset_ms, sent = 0.0, 0
        observe, seen = self.state.observe, self.stamper.seen  # what _built does, inlined
        stamp = self.api != "realtime"  # a Realtime event carries no count for the stamper
        for step in steps:
            for piece in expand_step(step, handlers):
                if isinstance(piece, Pause):
                    offset_ms += piece.ms
                elif isinstance(piece, Events):  # a template's: built here, as each is taken
                    for made in piece.events:
                        offset_ms += pace_ms if sent else 0
                        sent += 1
                        observe(made)
                        if stamp:
                            seen(made)
                        yield start + offset_ms / 1000, Send(made)
                else:
                    gap, item = piece
                    offset_ms += (pace_ms if gap is None else gap) if sent else 0
                    sent += 1
                    yield start + offset_ms / 1000, item
        self.last_due = start + offset_ms / 1000
        if sent:
            # The next reply starts one gap after this one's last event, and no sooner.
            self._busy_until = start + (offset_ms + pace_ms) / 1000
        self._problems += [f"{where}: {text} found nothing" for text in resolve.missing]

    def send_now(self, events: list[Event], now: float) -> None:
        """Events built by the player itself (error answers), timed like a reply."""
        self.queue.settle()
        start = max(now + self.scenario.delay_ms / 1000, self._busy_until)
        for event in events:
            self._built(event)
            self.queue.schedule(start, Send(event))
        self._busy_until = start + self.scenario.pace_ms / 1000

    # --- building items ---------------------------------------------------------------------

    def _built(self, event: Event) -> Event:
        self.state.observe(event)
        self.stamper.seen(event)
        return event

    def _replay(self, recording: Recording, timed_as_recorded: bool) -> list[Timed]:
        timed = _replayed(recording)
        gaps = _gaps([t_ms for t_ms, _ in timed], timed_as_recorded)
        return [
            (gap, SendRaw(DONE) if event is None else Send(self._built(copy.deepcopy(event))))
            for gap, (_, event) in zip(gaps, timed, strict=True)
        ]

    # --- faults -----------------------------------------------------------------------------

    def _count(
        self, counter: Counter[str], name: str, when: float, out: list[Outgoing] | None
    ) -> None:
        counter[name] += 1
        for fault in self.scenario.faults:
            due = fault.after == name and counter[name] == fault.nth
            if due and fault.index not in self._fired:
                self._fire(fault, when, out)

    def _sent(self, event: Event, when: float, out: list[Outgoing]) -> None:
        if isinstance(event.get("response"), dict):
            self.last_response = event["response"]
        if self._counting:  # only a fault `after` an event reads the counts
            self._count(self._sent_count, event_name(event, self.api), when, out)

    def _fire(self, fault: Fault, when: float, out: list[Outgoing] | None) -> None:
        """Arm a fault that acts on coming events, or send what it sends: inline when fired
        while events go out (`out`), else scheduled for `when`."""
        self.queue.settle()  # the reply's events are built before the fault's
        self._fired.add(fault.index)
        action = fault.action
        if isinstance(action, Malform):
            self.queue.malform_next()
        elif isinstance(action, Duplicate) and action.which == "next":
            self.queue.duplicate_next()
        elif isinstance(action, Reorder):
            self.queue.reorder_next(action.count)
        elif isinstance(action, Stall):
            self.queue.stall(when, action.ms)
        else:
            for item in self._fault_items(fault):
                if out is None:
                    self.queue.schedule(when, item)
                else:
                    self.queue.push(item, when, out)

    def _fault_items(self, fault: Fault) -> list[Outgoing]:
        if self.api == "realtime" or not isinstance(fault.action, ErrorFault):
            return fault_items(fault.action, self.state, self.queue.last_sent)
        items = stream_failure(self.api, self.queue.last_sent, self.last_response)
        for item in items:
            if isinstance(item, Send):
                self._built(item.event)
        return items


@dataclass(frozen=True)
class Pause:
    """A `wait_ms` step: extra time before the reply's next item."""

    ms: float


@dataclass(frozen=True)
class Events:
    """A template's events, each `pace_ms` after the one before, built as they are taken."""

    events: Iterator[Event]


Piece = Timed | Pause | Events


class ReplySteps:
    """What each kind of step sends in one reply (rtproto.scenario.steps.StepHandlers)."""

    def __init__(self, sender: ReplySender, ctx: TemplateContext, resolve: Resolver) -> None:
        self.sender, self.ctx, self.resolve = sender, ctx, resolve

    def template(self, step: TemplateStep) -> list[Piece]:
        return [Events(generate(step.name, self.ctx, self.resolve(step.params)))]

    def event(self, step: EventStep) -> list[Piece]:
        event = self.sender.stamper.literal(self.resolve(step.event))
        return [(None, Send(self.sender._built(event)))]

    def raw(self, step: RawStep) -> list[Piece]:
        text = self.resolve(step.text)
        return [(None, SendRaw(text if isinstance(text, str) else json.dumps(text)))]

    def wait(self, step: WaitStep) -> list[Piece]:
        return [Pause(step.ms)]

    def replay(self, step: ReplayStep) -> list[Piece]:
        return list(self.sender._replay(step.recording, step.timing == "recorded"))

    def simulate(self, step: SimulateStep) -> list[Piece]:
        sender, text = self.sender, self.resolve(step.text)
        seed, request = sender.state.ids.new("sim"), self.ctx.event or {}
        stream = simulated_stream(sender.api, request, _text(text), seed, sender.state.epoch_s)
        return list(sender._replay(stream, step.timing == "planned"))
