"""A stream's planned events, built as they are first read.

The HTTP APIs' simulated models (rtproto.server.responses, rtproto.server.chat) write a
response as a generator of `PlannedEvent`s; `LazyEvents` keeps what has been built, so a stream
that sends the events as they fall due builds each one just before it goes out (the first event
of a long answer without the rest), while anything that needs the whole plan (the terminal
Response object, a non-streaming answer, a resumed stream, the WebSocket mode's lane) reads it as
a sequence and builds the rest then. Each request's model draws from its own seeded Simulation
and nothing else, so when the events are built does not change what they are.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import overload

from realtime_conformance.rtproto.server.pacing import PlannedEvent


class LazyEvents(Sequence[PlannedEvent]):
    def __init__(self, events: Iterator[PlannedEvent]) -> None:
        self._built: list[PlannedEvent] = []
        self._rest: Iterator[PlannedEvent] | None = events

    @property
    def built(self) -> int:
        """How many events have been built so far."""
        return len(self._built)

    def _build_to(self, count: int) -> None:
        """Build until `count` events exist or the plan ends."""
        while len(self._built) < count and self._rest is not None:
            planned = next(self._rest, None)
            if planned is None:
                self._rest = None
            else:
                self._built.append(planned)

    def __iter__(self) -> Iterator[PlannedEvent]:
        index = 0
        while True:
            self._build_to(index + 1)
            if index >= len(self._built):
                return
            yield self._built[index]
            index += 1

    def __len__(self) -> int:
        self._build_to(sys.maxsize)  # the whole plan
        return len(self._built)

    def __eq__(self, other: object) -> bool:
        """Equal to the same events, lazy or a tuple (what plans held before)."""
        if isinstance(other, LazyEvents | tuple):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    @overload
    def __getitem__(self, index: int) -> PlannedEvent: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[PlannedEvent]: ...

    def __getitem__(self, index: int | slice) -> PlannedEvent | Sequence[PlannedEvent]:
        whole = isinstance(index, slice) or index < 0
        self._build_to(sys.maxsize if whole else index + 1)  # type: ignore[operator]
        return self._built[index]
