"""How a Responses stream is written: numbered, timed events, and the output items they build.

Every event gets the next `sequence_number` (from 0, rising by 1) and the time it is due, in
seconds after the request arrived; the HTTP and WebSocket drivers send each event when it is due.
`Output` announces items (`response.output_item.added`) and completes them
(`response.output_item.done`), keeping the finished items for the terminal Response object.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Generator, Iterator
from typing import Any

from realtime_conformance.rtproto.server.pacing import Pacing, PlannedEvent
from realtime_conformance.rtproto.server.simulation import Simulation

__all__ = [
    "ItemWriting",
    "Output",
    "Pacing",
    "PlannedEvent",
    "Steps",
    "StreamWriter",
    "written",
]


class StreamWriter:
    """Numbers and times the events of one response.

    Emitted events wait in `ready` until the response's generator hands them out (`flush`):
    the writing code is plain calls, and only loops of deltas are generators (`Output.deltas`
    yields after each), so a long answer is built as its events are taken (LazyEvents)."""

    def __init__(self, sim: Simulation, pacing: Pacing, *, obfuscate: bool) -> None:
        self.sim = sim
        self.pacing = pacing
        self.obfuscate = obfuscate
        self.ready: deque[PlannedEvent] = deque()
        self.count = 0  # events emitted so far: the next sequence_number
        self.clock = 0.0

    def wait(self, seconds: float) -> None:
        self.clock += seconds

    def emit(self, event_type: str, **fields: Any) -> dict[str, Any]:
        event = {"type": event_type, "sequence_number": self.count, **copy.deepcopy(fields)}
        self.count += 1
        self.ready.append(PlannedEvent(round(self.clock, 6), event))
        return event

    def flush(self) -> Iterator[PlannedEvent]:
        """The events emitted since the last flush, in order."""
        ready = self.ready
        while ready:
            yield ready.popleft()

    def delta(self, event_type: str, delta: str, **fields: Any) -> dict[str, Any]:
        """A delta event, a token's time after the previous event, padded like the real ones."""
        self.wait(self.pacing.token_s)
        padding = {"obfuscation": self.sim.obfuscation(delta)} if self.obfuscate else {}
        return self.emit(event_type, **fields, delta=delta, **padding)


Steps = Generator[None, None, Any]  # writing code that yields after each delta
ItemWriting = Generator[None, None, dict[str, Any]]  # an item's: returns the finished item


def written(steps: Steps, writer: StreamWriter) -> Iterator[PlannedEvent]:
    """The events `steps` emit, handed out as they are written."""
    for _ in steps:
        yield from writer.flush()
    yield from writer.flush()


class Output:
    """The output items of one response, announced and completed in order."""

    def __init__(self, writer: StreamWriter) -> None:
        self.writer = writer
        self.items: list[dict[str, Any]] = []
        self.tokens = 0  # output tokens generated so far (text, arguments, code)

    @property
    def sim(self) -> Simulation:
        return self.writer.sim

    def add(self, item: dict[str, Any]) -> int:
        """Announce an item; returns its output_index."""
        index = len(self.items)
        self.writer.emit("response.output_item.added", output_index=index, item=item)
        return index

    def done(self, index: int, item: dict[str, Any]) -> dict[str, Any]:
        self.writer.emit("response.output_item.done", output_index=index, item=item)
        self.items.append(copy.deepcopy(item))
        return item

    def deltas(self, event_type: str, pieces: list[str], **fields: Any) -> Steps:
        """One delta per piece, yielding after each."""
        for piece in pieces:
            self.writer.delta(event_type, piece, **fields)
            yield
        self.tokens += len(pieces)
