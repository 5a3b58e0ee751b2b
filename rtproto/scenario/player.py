"""`ScenarioPlayer`: plays a scenario as the server's side of one Realtime connection.

It implements the `Behaviour` protocol (rtproto/realtime/behaviour.py), sans-I/O: the driver
hands it client events with the time and sends what `due(now)` returns.

- Each client event is matched against the rules, first match wins. A rule answers `times`
  events (`always`, `once`, N). With `ordered: true` the rules with a finite `times` must match in
  the listed order, while `always` rules match at any point.
- Replies are serialized like the real server's: a reply starts `delay_ms` after its event, but
  never before the previous reply has finished; its events are `pace_ms` apart.
- A client event no rule takes is recorded in `unmatched` with every rule's description (and,
  with `answer_unmatched`, answered with an `error` event).
- Faults fire at a time, or after the nth event of a type, received or sent (rtproto.scenario.
  wire acts on the events themselves).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from functools import partial
from typing import Any

from rtproto.events import RealtimeError
from rtproto.ids import IdFactory
from rtproto.realtime.outbox import Outgoing, Send, SendRaw
from rtproto.scenario.expressions import Expression, Resolver
from rtproto.scenario.faults import fault_items
from rtproto.scenario.matchers import MISSING, lookup, match_all
from rtproto.scenario.model import (
    Duplicate,
    EventStep,
    Fault,
    Malform,
    RawStep,
    Reorder,
    Rule,
    Scenario,
    Stall,
    Step,
    TemplateStep,
    WaitStep,
)
from rtproto.scenario.state import (
    DEFAULT_EPOCH_S,
    DEFAULT_MODEL,
    ConnectionState,
    TemplateContext,
)
from rtproto.scenario.templates import expand
from rtproto.scenario.wire import Wire

Event = dict[str, Any]
UNMATCHED_CODE = "mock_unexpected_event"  # not a real API code: only the mock sends it


@dataclass(frozen=True)
class Unmatched:
    """A client event no rule took, with what every rule expected at that moment."""

    event: Event
    expected: tuple[str, ...]
    at: float

    def __str__(self) -> str:
        listing = "; ".join(self.expected) or "nothing (the scenario has no rules)"
        return f"unexpected client event {self.event.get('type')!r}; expected one of: {listing}"


class ScenarioPlayer:
    def __init__(
        self,
        scenario: Scenario,
        seed: int = 0,
        *,
        answer_unmatched: bool = False,
        model: str = DEFAULT_MODEL,
        epoch_s: int = DEFAULT_EPOCH_S,
    ) -> None:
        self.scenario = scenario
        self.answer_unmatched = answer_unmatched
        noise = random.Random(f"obfuscation-{seed}")
        self.state = ConnectionState(IdFactory(seed), noise, model=model, epoch_s=epoch_s)
        self.wire = Wire(self._sent)
        self.unmatched: list[Unmatched] = []
        self.frame_errors: list[RealtimeError] = []
        self.problems: list[str] = []  # expressions that found nothing
        self._uses = [0] * len(scenario.rules)
        self._busy_until = 0.0
        self._received: Counter[str] = Counter()
        self._sent_count: Counter[str] = Counter()
        self._fired: set[int] = set()

    # --- Behaviour --------------------------------------------------------------------------

    def start(self, now: float) -> None:
        self._busy_until = now
        for fault in self.scenario.faults:
            if fault.at_ms is not None:
                self.wire.at(now + fault.at_ms / 1000, partial(self._fire, fault))
        pace = self.scenario.pace_ms
        self._reply(self.scenario.on_start, None, now, delay_ms=0, pace_ms=pace, where="on_start")

    def on_client_event(self, event: Event, now: float) -> None:
        if self.wire.closed:
            return
        event_type = str(event.get("type"))
        self._count(self._received, event_type, now, None)
        if event_type in self.scenario.ignore:
            return
        rule = self._match(event)
        if rule is None:
            self._unmatched(event, now)
            return
        self._uses[rule.index] += 1
        delay = self.scenario.delay_ms if rule.delay_ms is None else rule.delay_ms
        pace = self.scenario.pace_ms if rule.pace_ms is None else rule.pace_ms
        self._reply(rule.reply, event, now, delay_ms=delay, pace_ms=pace, where=rule.label)

    def on_frame_error(self, error: RealtimeError, now: float) -> None:
        """Answer as the real server does: an `error` event, the session stays open."""
        self.frame_errors.append(error)
        self._send_now([self.state.builder.error(error)], now)

    def on_client_closed(self, now: float) -> None:
        self.wire.close()

    def due(self, now: float) -> list[Outgoing]:
        return self.wire.due(now)

    def next_deadline(self) -> float | None:
        return self.wire.next_deadline()

    # --- what the harness reads -------------------------------------------------------------

    def unmet(self) -> list[str]:
        """Rules with a finite `times` that matched fewer events than that."""
        return [
            rule.describe(f"matched {self._uses[rule.index]}")
            for rule in self.scenario.rules
            if rule.limit is not None and self._uses[rule.index] < rule.limit
        ]

    def expectations(self) -> tuple[str, ...]:
        """Every rule's description, with where it stands now."""
        current, resolve = self._current(), Resolver(self._lookup_last)
        return tuple(
            rule.describe(self._standing(rule, current), resolve) for rule in self.scenario.rules
        )

    # --- matching ---------------------------------------------------------------------------

    def _available(self, rule: Rule) -> bool:
        return rule.limit is None or self._uses[rule.index] < rule.limit

    def _current(self) -> Rule | None:
        """In ordered mode: the rule the sequence is waiting for."""
        if not self.scenario.ordered:
            return None
        sequence = (rule for rule in self.scenario.rules if rule.limit is not None)
        return next((rule for rule in sequence if self._available(rule)), None)

    def _standing(self, rule: Rule, current: Rule | None) -> str:
        if not self._available(rule):
            return "used up"
        if not self.scenario.ordered or rule.limit is None:
            return ""
        return "next in order" if rule is current else "later in order"

    def _match(self, event: Event) -> Rule | None:
        resolve = Resolver(self._lookup_last)

        def fits(rule: Rule) -> bool:
            return self._available(rule) and match_all(rule.when, event, resolve)

        if not self.scenario.ordered:
            return next((rule for rule in self.scenario.rules if fits(rule)), None)
        current = self._current()
        if current is not None and fits(current):
            return current
        return next((r for r in self.scenario.rules if r.limit is None and fits(r)), None)

    def _lookup_last(self, expression: Expression) -> Any:
        return self.state.recall(expression.argument) if expression.root == "last" else MISSING

    def _unmatched(self, event: Event, now: float) -> None:
        record = Unmatched(event, self.expectations(), now)
        self.unmatched.append(record)
        if self.answer_unmatched:
            message = f"Scenario {self.scenario.id}: {record}."
            error = RealtimeError(UNMATCHED_CODE, message, event_id=_event_id(event))
            self._send_now([self.state.builder.error(error)], now)

    # --- replies ----------------------------------------------------------------------------

    def _reply(
        self, steps: tuple[Step, ...], event: Event | None, now: float, *, delay_ms: int,
        pace_ms: int, where: str,
    ) -> None:  # fmt: skip
        ctx = TemplateContext(self.state, event)
        resolve = Resolver(partial(self._lookup, event, {}))
        start = max(now + delay_ms / 1000, self._busy_until)
        offset_ms, sent = 0, 0
        for step in steps:
            if isinstance(step, WaitStep):
                offset_ms += step.ms
                continue
            for item in self._items(step, ctx, resolve):
                offset_ms += pace_ms if sent else 0
                sent += 1
                self.wire.schedule(start + offset_ms / 1000, item)
        if sent:
            # The next reply starts one gap after this one's last event, and no sooner.
            self._busy_until = start + (offset_ms + pace_ms) / 1000
        self.problems += [f"{where}: {text} found nothing" for text in resolve.missing]

    def _send_now(self, events: list[Event], now: float) -> None:
        """Events built by the player itself (error answers), timed like a reply."""
        start = max(now + self.scenario.delay_ms / 1000, self._busy_until)
        for event in events:
            self.state.observe(event)
            self.wire.schedule(start, Send(event))
        self._busy_until = start + self.scenario.pace_ms / 1000

    def _lookup(self, event: Event | None, ids: dict[str, str], expression: Expression) -> Any:
        if expression.root == "event":
            return lookup(event, expression.argument) if event is not None else MISSING
        if expression.root == "last":
            return self.state.recall(expression.argument)
        if expression.argument not in ids:
            ids[expression.argument] = self.state.ids.new(expression.argument)
        return ids[expression.argument]

    def _items(self, step: Step, ctx: TemplateContext, resolve: Resolver) -> list[Outgoing]:
        if isinstance(step, RawStep):
            text = resolve(step.text)
            return [SendRaw(text if isinstance(text, str) else json.dumps(text))]
        if isinstance(step, EventStep):
            body = resolve(step.event)
            head = {"type": body.pop("type"), "event_id": body.pop("event_id", None)}
            events = [{**head, "event_id": head["event_id"] or self.state.ids.new("event"), **body}]
        elif isinstance(step, TemplateStep):
            events = expand(step.name, ctx, resolve(step.params))
        else:
            return []  # a WaitStep only moves time; _reply handles it
        for event in events:
            self.state.observe(event)
        return [Send(event) for event in events]

    # --- faults -----------------------------------------------------------------------------

    def _count(
        self, counter: Counter[str], event_type: str, when: float, out: list[Outgoing] | None
    ) -> None:
        counter[event_type] += 1
        for fault in self.scenario.faults:
            due = fault.after == event_type and counter[event_type] == fault.nth
            if due and fault.index not in self._fired:
                self._fire(fault, when, out)

    def _sent(self, event: Event, when: float, out: list[Outgoing]) -> None:
        self._count(self._sent_count, str(event.get("type")), when, out)

    def _fire(self, fault: Fault, when: float, out: list[Outgoing] | None) -> None:
        """Arm a fault that acts on coming events, or send what it sends: inline when fired
        while events go out (`out`), else scheduled for `when`."""
        self._fired.add(fault.index)
        action = fault.action
        if isinstance(action, Malform):
            self.wire.malform_next()
        elif isinstance(action, Duplicate) and action.which == "next":
            self.wire.duplicate_next()
        elif isinstance(action, Reorder):
            self.wire.reorder_next(action.count)
        elif isinstance(action, Stall):
            self.wire.stall(when, action.ms)
        else:
            for item in fault_items(action, self.state, self.wire.last_sent):
                if out is None:
                    self.wire.schedule(when, item)
                else:
                    self.wire.push(item, when, out)


def _event_id(event: Event) -> str | None:
    value = event.get("event_id")
    return value if isinstance(value, str) else None
