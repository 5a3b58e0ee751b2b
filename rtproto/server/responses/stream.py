"""How a Responses stream is written: numbered, timed events, and the output items they build.

Every event gets the next `sequence_number` (from 0, rising by 1) and the time it is due, in
seconds after the request arrived; the HTTP and WebSocket drivers send each event when it is due.
`Output` announces items (`response.output_item.added`) and completes them
(`response.output_item.done`), keeping the finished items for the terminal Response object.
"""

from __future__ import annotations

import copy
from typing import Any

from realtime_conformance.rtproto.server.pacing import Pacing, PlannedEvent
from realtime_conformance.rtproto.server.simulation import Simulation

__all__ = ["Output", "Pacing", "PlannedEvent", "StreamWriter"]


class StreamWriter:
    """Numbers and times the events of one response."""

    def __init__(self, sim: Simulation, pacing: Pacing, *, obfuscate: bool) -> None:
        self.sim = sim
        self.pacing = pacing
        self.obfuscate = obfuscate
        self.events: list[PlannedEvent] = []
        self.clock = 0.0

    def wait(self, seconds: float) -> None:
        self.clock += seconds

    def emit(self, event_type: str, **fields: Any) -> dict[str, Any]:
        event = {"type": event_type, "sequence_number": len(self.events), **copy.deepcopy(fields)}
        self.events.append(PlannedEvent(round(self.clock, 6), event))
        return event

    def delta(self, event_type: str, delta: str, **fields: Any) -> dict[str, Any]:
        """A delta event, a token's time after the previous event, padded like the real ones."""
        self.wait(self.pacing.token_s)
        padding = {"obfuscation": self.sim.obfuscation(delta)} if self.obfuscate else {}
        return self.emit(event_type, **fields, delta=delta, **padding)


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

    def deltas(self, event_type: str, pieces: list[str], **fields: Any) -> None:
        for piece in pieces:
            self.writer.delta(event_type, piece, **fields)
        self.tokens += len(pieces)
