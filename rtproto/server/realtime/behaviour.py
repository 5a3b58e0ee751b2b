"""The contract between the driver (mockserver) and what plays the server's part."""

from __future__ import annotations

from typing import Any, Protocol

from realtime_conformance.rtproto.events import RealtimeError
from realtime_conformance.rtproto.server.realtime.outbox import Outgoing


class Behaviour(Protocol):
    """Plays the server's side of one Realtime connection.

    The driver calls `start` once after the handshake, `on_client_event` for every decoded
    client event (GA-shaped), `on_frame_error` for a frame that could not be decoded, and
    `on_client_closed` when the client goes away. After each call, and whenever the time from
    `next_deadline` arrives, it sends what `due(now)` returns, in order. `now` is seconds on a
    monotonic clock; tests drive it by hand. `due` may hand out part of what is due (a long
    reply, in batches): `next_deadline` then is not later than `now`, and the driver calls again.
    """

    def start(self, now: float) -> None: ...

    def on_client_event(self, event: dict[str, Any], now: float) -> None: ...

    def on_frame_error(self, error: RealtimeError, now: float) -> None: ...

    def on_client_closed(self, now: float) -> None: ...

    def due(self, now: float) -> list[Outgoing]: ...

    def next_deadline(self) -> float | None: ...
