"""A hand-driven clock for the sans-I/O objects that schedule what they send (a Realtime
`Behaviour`, a scenario's HTTP stream, a Responses WebSocket session): the one loop every
driver runs, written once for the tests.

    clock = VirtualClock(player, now=0.0)
    player.start(clock.now)
    clock.advance(1.0)                      # everything due up to t=1, deadline by deadline
    clock.deliver(1.0, lambda now: player.on_client_event(event, now))
    clock.run_out()                         # until nothing is pending
    clock.sent                              # [(t, Outgoing), ...] in the order they came due
    clock.notes                             # [(t, Note), ...]: recorded, never sent

A driver calls `due(now)` with the time it woke up, never earlier than what it already did, so
the clock never goes back: a deadline already past is collected at the current time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from realtime_conformance.rtproto.server.realtime.behaviour import Behaviour
from realtime_conformance.rtproto.server.realtime.outbox import Note, Outgoing, Send


class Scheduled(Protocol):
    """What the clock drives: something that says when it next has work and hands it over."""

    def next_deadline(self) -> float | None: ...

    def due(self, now: float) -> Sequence[Outgoing]: ...


S = TypeVar("S", bound=Scheduled)
Timed = list[tuple[float, Outgoing]]


@dataclass
class VirtualClock(Generic[S]):
    """One scheduled subject, the current virtual time, and everything it sent, timed.
    `on_item` sees each item as it comes due (to validate it on the way out, say)."""

    subject: S
    now: float = 0.0
    sent: Timed = field(default_factory=list)
    notes: list[tuple[float, Note]] = field(default_factory=list)
    on_item: Callable[[Outgoing], None] | None = None

    def collect(self) -> Timed:
        """What is due at the current time (also when no deadline says so: drivers do). Notes
        are kept apart in `notes`: a driver records them and never sends them."""
        due = self.subject.due(self.now)
        self.notes += [(self.now, item) for item in due if isinstance(item, Note)]
        got: Timed = [(self.now, item) for item in due if not isinstance(item, Note)]
        if self.on_item is not None:
            for _, item in got:
                self.on_item(item)
        self.sent += got
        return got

    def advance(self, until: float = math.inf) -> Timed:
        """Run to `until`, stopping at every deadline on the way; returns what came due."""
        got: Timed = []
        while (deadline := self.subject.next_deadline()) is not None and deadline <= until:
            self.now = max(self.now, deadline)
            got += self.collect()
        if until != math.inf and until > self.now:
            self.now = until
            got += self.collect()
        return got

    def run_out(self) -> Timed:
        """Deadline by deadline until nothing is pending (the subject must come to rest)."""
        return self.advance()

    def step(self) -> bool:
        """Advance to the next deadline only; False when nothing is pending."""
        deadline = self.subject.next_deadline()
        if deadline is None:
            return False
        self.advance(max(self.now, deadline))
        return True

    def deliver(self, at: float | None, give: Callable[[float], object]) -> Timed:
        """Run to `at` (now if None), hand the subject an input there (`give(now)`), and
        collect what that made due at once."""
        self.advance(self.now if at is None else at)
        give(self.now)
        return self.collect()


B = TypeVar("B", bound=Behaviour)


class BehaviourClock(VirtualClock[B]):
    """A virtual clock over a Realtime `Behaviour` (a ScenarioPlayer, a RealtimeSession, ...),
    with its inputs as methods."""

    def start(self, at: float | None = None) -> Timed:
        return self.deliver(at, self.subject.start)

    def send(self, event: dict[str, Any], at: float | None = None) -> Timed:
        return self.deliver(at, lambda now: self.subject.on_client_event(event, now))


def events(sent: Sequence[tuple[float, Outgoing]]) -> list[dict[str, Any]]:
    """The events among timed items (Send only)."""
    return [item.event for _, item in sent if isinstance(item, Send)]


def kinds(sent: Sequence[tuple[float, Outgoing]]) -> list[object]:
    """Each item as its event type, or the item itself when it is not a Send (Close, ...)."""
    return [item.event["type"] if isinstance(item, Send) else item for _, item in sent]
