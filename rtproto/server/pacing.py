"""When simulated events are due: the stream plans of both HTTP APIs and their pacing.

A plan holds every event of a response with its due time in seconds after the request arrived;
the drivers (HTTP, WebSocket) send each when it falls due. Nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PlannedEvent:
    """One event of a stream and when it is due (seconds after the stream started)."""

    at: float
    event: dict[str, Any]


@dataclass(frozen=True)
class Pacing:
    """How long a simulated response takes; the defaults are of the order of the real API's."""

    first_output_s: float = 0.25  # response.in_progress -> first output item
    token_s: float = 0.012  # between two deltas
    tool_s: float = 0.3  # a hosted tool's work (searching, interpreting, generating)
    queue_s: float = 0.5  # background: queued -> in_progress

    @classmethod
    def instant(cls) -> Pacing:
        """Every event due at once: for tests about order, not timing."""
        return cls(0.0, 0.0, 0.0, 0.0)
