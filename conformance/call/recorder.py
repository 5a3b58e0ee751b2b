"""The call wire's half of a case recording: every frame both ways, on the case's clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

WIRE = "call"


def frame_of(data: bytes | str) -> dict[str, Any]:
    """A frame that is not a JSON object, by opcode and size (as the mock records them)."""
    if isinstance(data, bytes):
        return {"opcode": "BINARY", "size_bytes": len(data)}
    return {"opcode": "TEXT", "size_bytes": len(data.encode("utf-8", "replace"))}


class CallRecorder:
    """Records lines `{"t_ms", "dir", "wire": "call", "event"|"frame"|"meta"}`.

    `t_ms` is ms since `clock_origin` (a `clock()` reading: the case start), to 0.1 ms.
    """

    def __init__(self, clock_origin: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock_origin = clock_origin
        self.clock = clock
        self.lines: list[dict[str, Any]] = []

    def now_ms(self) -> float:
        return round((self.clock() - self.clock_origin) * 1000, 1)

    def at(self, t_ms: float) -> float:
        """The clock reading at `t_ms` on this recording's timeline."""
        return self.clock_origin + t_ms / 1000

    def _line(self, direction: str, key: str, value: Any) -> float:
        t_ms = self.now_ms()
        self.lines.append({"t_ms": t_ms, "dir": direction, "wire": WIRE, key: value})
        return t_ms

    def event(self, direction: str, event: dict[str, Any]) -> float:
        return self._line(direction, "event", event)

    def frame(self, direction: str, data: bytes | str) -> float:
        return self._line(direction, "frame", frame_of(data))

    def meta(self, fields: dict[str, Any]) -> float:
        return self._line("meta", "meta", fields)
