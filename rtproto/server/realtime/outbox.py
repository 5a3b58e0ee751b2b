"""What a behaviour asks the driver to do, and the timeline that holds it until it is due."""

from __future__ import annotations

import heapq
import itertools
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


class Timeline:
    """Outgoing items ordered by due time, then by scheduling order; cancellable by tag.

    Times are seconds on the driver's monotonic clock. Items scheduled for the same instant
    come out in the order they were scheduled, which is what keeps event order exact.
    """

    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._counter = itertools.count()

    def schedule(self, at: float, item: Outgoing, tag: str | None = None) -> None:
        heapq.heappush(self._heap, (at, next(self._counter), item, tag))

    def cancel(self, tag: str) -> list[Outgoing]:
        """Remove and return every pending item with this tag (e.g. a cancelled response's)."""
        removed = [entry[2] for entry in self._heap if entry[3] == tag]
        self._heap = [entry for entry in self._heap if entry[3] != tag]
        heapq.heapify(self._heap)
        return removed

    def due(self, now: float) -> list[Outgoing]:
        items = []
        heap, pop = self._heap, heapq.heappop
        while heap and heap[0][0] <= now:
            items.append(pop(heap)[2])
        return items

    def next_deadline(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)
