"""What a behaviour asks the driver to do, and the timeline that holds it until it is due."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Send:
    """Send one event (GA-shaped; the driver translates for beta connections)."""

    event: dict[str, Any]


@dataclass(frozen=True)
class SendRaw:
    """Send a frame exactly as given: a malformed event, a duplicate, a binary frame."""

    data: str | bytes


@dataclass(frozen=True)
class Close:
    """Close the WebSocket with a close frame."""

    code: int
    reason: str = ""


@dataclass(frozen=True)
class Abort:
    """Drop the TCP connection without a close frame."""


@dataclass(frozen=True)
class Note:
    """Record a fact in the transcript as a meta line, never sent: what a scripted player saw
    that the wire does not show (which rule took a client event, a VAD turn it detected), so
    that judging the client is a function of the transcript alone (conformance.checks)."""

    meta: dict[str, Any]


Outgoing = Send | SendRaw | Close | Abort | Note


# A heap entry: (due time, scheduling order, item, tag). A plain tuple, so the heap compares
# entries in C; the order is unique, so the comparison never reaches the item.
_Entry = tuple[float, int, Outgoing, str | None]
Feed = Iterator[tuple[float, Outgoing]]  # (due time, item), in non-decreasing time order
FEED_BATCH = 256  # a lazy reply's items per `due` call: ~1 ms of building them
FIRST_BATCH = 4  # in the first call after `feed`; doubling from there up to FEED_BATCH


class Timeline:
    """Outgoing items ordered by due time, then by scheduling order; cancellable by tag.

    Times are seconds on the driver's monotonic clock. Items scheduled for the same instant
    come out in the order they were scheduled, which is what keeps event order exact.

    A reply can be fed lazily (`feed`): its items are built as they fall due, one ahead (for
    `next_deadline`), so the first event of a long reply goes out before the rest is built.
    Only the latest feed is ever lazy: anything scheduled or cancelled (and `settle`, which a
    behaviour calls before it builds anything else) first pulls the rest of it onto the heap,
    so items are built in the order they would have been built whole, and a feed's items come
    after everything scheduled before it, at equal times too. One `due` call hands out at most
    `FEED_BATCH` of a feed's items (`FIRST_BATCH` in the first); the rest stays due.
    """

    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._counter = itertools.count()
        self._feed: Feed | None = None
        self._feed_tag: str | None = None
        self._head: tuple[float, Outgoing] | None = None  # the feed's next item, built
        self._batch = FIRST_BATCH

    def schedule(self, at: float, item: Outgoing, tag: str | None = None) -> None:
        if self._head is not None:
            self.settle()
        heapq.heappush(self._heap, (at, next(self._counter), item, tag))

    def feed(self, items: Feed, tag: str | None = None) -> None:
        """Items built as they fall due (after everything scheduled before)."""
        self.settle()
        self._feed, self._feed_tag, self._batch = items, tag, FIRST_BATCH
        self._advance()

    def settle(self) -> None:
        """Build the rest of the lazy feed onto the heap."""
        while self._head is not None:
            at, item = self._head
            self._advance()
            heapq.heappush(self._heap, (at, next(self._counter), item, self._feed_tag))

    def _advance(self) -> None:
        feed = self._feed
        self._head = next(feed, None) if feed is not None else None
        if self._head is None:
            self._feed = None

    def cancel(self, tag: str) -> list[Outgoing]:
        """Remove and return every pending item with this tag (e.g. a cancelled response's)."""
        self.settle()
        removed = [entry[2] for entry in self._heap if entry[3] == tag]
        self._heap = [entry for entry in self._heap if entry[3] != tag]
        heapq.heapify(self._heap)
        return removed

    def due(self, now: float) -> list[Outgoing]:
        items: list[Outgoing] = []
        heap, pop = self._heap, heapq.heappop
        budget, self._batch = self._batch, min(2 * self._batch, FEED_BATCH)
        while True:
            head = self._head
            limit = now if head is None or head[0] > now else head[0]
            while heap and heap[0][0] <= limit:
                items.append(pop(heap)[2])
            if head is None or head[0] > now or budget <= 0:
                return items
            budget -= 1
            self._advance()
            items.append(head[1])

    def next_deadline(self) -> float | None:
        heap, head = self._heap, self._head
        if head is None:
            return heap[0][0] if heap else None
        return min(heap[0][0], head[0]) if heap else head[0]

    def __len__(self) -> int:
        """Pending items known so far (a feed counts for one: its head)."""
        return len(self._heap) + (self._head is not None)
