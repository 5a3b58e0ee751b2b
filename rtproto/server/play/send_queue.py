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

A reply can also be fed lazily (`feed`): its items are built as they fall due, one ahead (for
`next_deadline`), so the first event of a 50,000-event reply goes out without building the other
49,999 first and a reply holds one event in memory, not all of them. Only the latest reply is
ever lazy: anything else scheduled (and `settle`, which the sender calls before it builds
anything else) first pulls the rest of the feed onto the timeline. Items are therefore built in
the order they were before (ids, state) and sent in the same order (the feed's items come after
everything already on the timeline, at equal times too). One `due` call hands out at most
`FEED_BATCH` of a lazy reply's items (the first call `FIRST_BATCH`, doubling from there); the
rest stays due (`next_deadline` is not later than `now`), so a driver sends the first events of
an unpaced reply while later ones are not yet built, and other connections get their turn in
between.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
from collections.abc import Callable
from typing import Any

__all__ = ["FEED_BATCH", "FIRST_BATCH", "Feed", "SendQueue", "malformed"]

from realtime_conformance.rtproto.server.realtime.outbox import (
    FEED_BATCH,
    FIRST_BATCH,
    Abort,
    Close,
    Feed,
    Outgoing,
    Send,
    SendRaw,
    Timeline,
)

Event = dict[str, Any]
Action = Callable[[float, list[Outgoing]], None]  # (when, the items going out) -> None
SentHook = Callable[[Event, float, list[Outgoing]], None]


def malformed(event: Event) -> str:
    """The event's JSON text cut in half: what a truncated or corrupted frame looks like."""
    text = json.dumps(event)
    return text[: len(text) // 2]


class SendQueue:
    def __init__(self, on_sent: SentHook | None) -> None:
        """`on_sent` is told of each event sent (None: nothing needs to be)."""
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
        self._feed: Feed | None = None
        self._batch = FIRST_BATCH  # of the feed's items, in the next `due` call
        self._batch_left = FEED_BATCH  # of the feed's items, in this `due` call
        self._head: tuple[float, Outgoing] | None = None  # the feed's next item, built
        self._armed = 0  # faults armed so far (one that bends the stream ends a hot loop)

    def schedule(self, at: float, item: Outgoing) -> None:
        if not self.closed:
            self.settle()
            self.timeline.schedule(at, item)

    def feed(self, items: Feed) -> None:
        """A reply's items, built as they fall due (after anything scheduled before)."""
        if self.closed:
            return
        self.settle()
        self._feed, self._batch = items, FIRST_BATCH
        self._advance()

    def settle(self) -> None:
        """Build the rest of the lazy reply onto the timeline (before anything else is built)."""
        while self._head is not None:
            at, item = self._head
            self._advance()
            self.timeline.schedule(at, item)

    def _advance(self) -> None:
        feed = self._feed
        self._head = next(feed, None) if feed is not None else None
        if self._head is None:
            self._feed = None

    def at(self, when: float, action: Action) -> None:
        self.settle()
        heapq.heappush(self._actions, (when, next(self._order), action))

    def malform_next(self) -> None:
        self._malform += 1
        self._armed += 1

    def duplicate_next(self) -> None:
        self._duplicate += 1
        self._armed += 1

    def reorder_next(self, count: int) -> None:
        self._reorder_size = count
        self._armed += 1

    def stall(self, now: float, ms: int) -> None:
        self._armed += 1
        until = now + ms / 1000
        if self._stall_until is None or until > self._stall_until:
            self._stall_until = until
            self.at(until, self._release)

    def close(self) -> None:
        """Nothing more goes out: the connection is closed (by us or by the client)."""
        self.closed = True
        self.timeline = Timeline()
        self._actions, self._stalled, self._reordering = [], [], []
        self._feed = self._head = None

    def due(self, now: float) -> list[Outgoing]:
        out: list[Outgoing] = []
        self._batch_left, self._batch = self._batch, min(2 * self._batch, FEED_BATCH)
        while self._actions and self._actions[0][0] <= now and not self.closed:
            when, _, action = heapq.heappop(self._actions)
            self._drain(when, out)
            action(when, out)
        self._drain(now, out)
        if self._reordering and self._idle() and self._stall_until is None:
            self._flush_reordering(out)
        return out

    def next_deadline(self) -> float | None:
        if not self._actions and not self._reordering and not self.timeline:
            return None if self._head is None else self._head[0]  # the common case, quickly
        times = [self.timeline.next_deadline(), self._actions[0][0] if self._actions else None]
        if self._head is not None:
            times.append(self._head[0])
        if self._reordering and self._idle():
            times.append(self._reordering[-1][0])
        return min((t for t in times if t is not None), default=None)

    def _idle(self) -> bool:
        """Nothing scheduled to go out (held items aside)."""
        return not self.timeline and self._head is None

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
        """Push what is due by `until`, in time order: the timeline's items, and the feed's,
        which come after them at equal times (scheduled later). A fault fired as they go out
        settles the feed first (it builds its own events after the reply's)."""
        while not self.closed:
            head = self._head
            limit = until if head is None or head[0] > until else head[0]
            timeline = self.timeline
            if timeline and timeline.next_deadline() <= limit:  # type: ignore[operator]
                for item in timeline.due(limit):
                    self.push(item, until, out)
                continue
            if head is None or head[0] > until or self._batch_left <= 0:
                return
            if type(head[1]) is Send and not self._bending():  # the common case, without push
                self._drain_feed(until, out)
                continue
            self._batch_left -= 1
            self._advance()
            self.push(head[1], until, out)

    def _drain_feed(self, until: float, out: list[Outgoing]) -> None:
        """The hot loop: the feed's events due by `until` (and before the timeline's next
        item) while no fault bends the stream; it stops at anything else, or once a fault fired
        as an event went out armed one (`_armed`), closed the queue or settled the feed."""
        on_sent, armed, feed = self._on_sent, self._armed, self._feed
        left, head = self._batch_left, self._head
        limit, scheduled = until, self.timeline.next_deadline()
        if scheduled is not None and scheduled <= until:  # its items go first at equal times
            limit = math.nextafter(scheduled, -math.inf)
        while head is not None and head[0] <= limit and left > 0 and type(head[1]) is Send:
            left -= 1
            self._head = after = next(feed, None)  # type: ignore[arg-type]
            if after is None:
                self._feed = None
            event = head[1].event
            out.append(head[1])
            self.last_sent = event
            if on_sent is not None:
                self._batch_left = left
                on_sent(event, until, out)
                if self._armed != armed or self.closed:
                    return
            head = self._head
        self._batch_left = left

    def _bending(self) -> bool:
        """Whether a fault acts on the next events (stall, reorder, malform, duplicate)."""
        return bool(
            self._stall_until is not None
            or self._reorder_size
            or self._reordering
            or self._malform
            or self._duplicate
        )

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
            if self._on_sent is not None:
                self._on_sent(item.event, when, out)
