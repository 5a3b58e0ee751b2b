"""The client's `statistics`: frames, bytes and audio ms both ways, and response latencies.

Latencies are measured on the monotonic clock from the client's own frames: `response.create`
sent -> `response.created` received (creation), and `response.created` -> the first text or
audio delta of that response (first delta).
"""

from __future__ import annotations

import statistics as stats
from dataclasses import dataclass, field
from typing import Any

FIRST_DELTA_TYPES = frozenset(
    {
        "response.output_audio.delta",
        "response.output_text.delta",
        "response.output_audio_transcript.delta",
    }
)


@dataclass
class Direction:
    frames: int = 0
    bytes: int = 0
    audio_ms: float = 0.0


def summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "mean_ms": round(stats.fmean(values), 1),
        "median_ms": round(stats.median(values), 1),
        "max_ms": round(max(values), 1),
    }


@dataclass
class Statistics:
    sent: Direction = field(default_factory=Direction)
    received: Direction = field(default_factory=Direction)
    creation_ms: list[float] = field(default_factory=list)
    first_delta_ms: list[float] = field(default_factory=list)
    _create_sent_at: list[float] = field(default_factory=list, repr=False)
    _created_at: dict[str, float] = field(default_factory=dict, repr=False)

    def frame(self, direction: str, size: int) -> None:
        side = self.sent if direction == "client" else self.received
        side.frames += 1
        side.bytes += size

    def audio(self, direction: str, ms: float) -> None:
        (self.sent if direction == "client" else self.received).audio_ms += ms

    def client_event(self, event: dict[str, Any], now: float) -> None:
        if event.get("type") == "response.create":
            self._create_sent_at.append(now)

    def server_event(self, event: dict[str, Any], now: float) -> None:
        kind = event.get("type")
        if kind == "response.created" and self._create_sent_at:
            self.creation_ms.append((now - self._create_sent_at.pop(0)) * 1000)
        if kind == "response.created":
            response = event.get("response")
            if isinstance(response, dict) and isinstance(response.get("id"), str):
                self._created_at[response["id"]] = now
        elif kind in FIRST_DELTA_TYPES:
            started = self._created_at.pop(str(event.get("response_id")), None)
            if started is not None:
                self.first_delta_ms.append((now - started) * 1000)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": vars(self.sent).copy(),
            "received": vars(self.received).copy(),
            "response_created_latency": summary(self.creation_ms),
            "first_delta_latency": summary(self.first_delta_ms),
        }
