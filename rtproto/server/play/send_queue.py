"""The outgoing side of one scripted connection: a Timeline, and the faults that bend it.

Replies are scheduled on a `Timeline`; what comes due passes through here on its way out, which
is where the faults that act on "the next event" work, in the order events are actually sent:

- malform: the next event goes out as invalid JSON (its text cut in half);
- duplicate next: the next event goes out twice (same `event_id`);
- reorder N: the next N events go out in reverse order (held until the Nth is due, until
  nothing else is pending, or until an item that is not an event must go out: a raw frame,
  Chat's `[DONE]`, a close or an abort sends the held events first);
- stall (a fault's `delay_ms`): a stalled link; events due before it ends are held, then sent
  together;
- after a Close or an Abort nothing more is sent.

Timed actions (faults at a time, the end of a stall) run in time order with the events, so an
event due before an action is sent before it.
"""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Callable
from typing import Any

from rtproto.server.realtime.outbox import Abort, Close, Outgoing, Send, SendRaw, Timeline

Event = dict[str, Any]
Action = Callable[[float, list[Outgoing]], None]  # (when, the items going out) -> None
SentHook = Callable[[Event, float, list[Outgoing]], None]


def malformed(event: Event) -> str:
    """The event's JSON text cut in half: what a truncated or corrupted frame looks like."""
    text = json.dumps(event)
    return text[: len(text) // 2]


class SendQueue:
    def __init__(self, on_sent: SentHook) -> None:
        self.timeline = Timeline()
        self.closed = False
        self.last_sent: Event | None = None
        self._on_sent = on_sent
        self._actions: list[tuple[float, int, Action]] = []
        self._order = itertools.count()
        self._malform = self._duplicate = self._reorder_size = 0
        self._reordering: list[tuple[float, Send]] = []
        self._stall_until: float | None = None
        self._stalled: list[Outgoing] = []

    def schedule(self, at: float, item: Outgoing) -> None:
        if not self.closed:
            self.timeline.schedule(at, item)

    def at(self, when: float, action: Action) -> None:
        heapq.heappush(self._actions, (when, next(self._order), action))

    def malform_next(self) -> None:
        self._malform += 1

    def duplicate_next(self) -> None:
        self._duplicate += 1

    def reorder_next(self, count: int) -> None:
        self._reorder_size = count

    def stall(self, now: float, ms: int) -> None:
        until = now + ms / 1000
        if self._stall_until is None or until > self._stall_until:
            self._stall_until = until
            self.at(until, self._release)

    def close(self) -> None:
        """Nothing more goes out: the connection is closed (by us or by the client)."""
        self.closed = True
        self.timeline = Timeline()
        self._actions, self._stalled, self._reordering = [], [], []

    def due(self, now: float) -> list[Outgoing]:
        out: list[Outgoing] = []
        while self._actions and self._actions[0][0] <= now and not self.closed:
            when, _, action = heapq.heappop(self._actions)
            self._drain(when, out)
            action(when, out)
        self._drain(now, out)
        if self._reordering and not self.timeline and self._stall_until is None:
            self._flush_reordering(out)
        return out

    def next_deadline(self) -> float | None:
        times = [self.timeline.next_deadline(), self._actions[0][0] if self._actions else None]
        if self._reordering and not self.timeline:
            times.append(self._reordering[-1][0])
        return min((t for t in times if t is not None), default=None)

    def push(self, item: Outgoing, when: float, out: list[Outgoing]) -> None:
        """Send `item` now (at `when`), through whatever faults are armed."""
        if self.closed:
            return
        if self._stall_until is not None and when < self._stall_until:
            self._stalled.append(item)
        elif isinstance(item, Send) and self._reorder_size:
            self._reordering.append((when, item))
            if len(self._reordering) >= self._reorder_size:
                self._flush_reordering(out)
        else:
            if self._reordering:
                self._flush_reordering(out)
            self._emit(item, when, out)

    def _drain(self, until: float, out: list[Outgoing]) -> None:
        for item in self.timeline.due(until):
            self.push(item, until, out)

    def _release(self, when: float, out: list[Outgoing]) -> None:
        if self._stall_until is None or when < self._stall_until:
            return  # a longer stall took over
        self._stall_until = None
        held, self._stalled = self._stalled, []
        for item in held:
            self.push(item, when, out)

    def _flush_reordering(self, out: list[Outgoing]) -> None:
        held, self._reordering, self._reorder_size = self._reordering, [], 0
        for when, item in reversed(held):
            self._emit(item, when, out)

    def _emit(self, item: Outgoing, when: float, out: list[Outgoing]) -> None:
        if isinstance(item, Send) and self._malform:
            self._malform -= 1
            out.append(SendRaw(malformed(item.event)))
        else:
            out.append(item)
        if isinstance(item, Close | Abort):
            self.close()
            return
        if isinstance(item, Send):
            self.last_sent = item.event
            if self._duplicate:
                self._duplicate -= 1
                out.append(item)
            self._on_sent(item.event, when, out)
