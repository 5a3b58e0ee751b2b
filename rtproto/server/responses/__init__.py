"""The Responses API, sans-I/O (shared/PROTOCOL.md §6): request validation, the simulated model,
stored responses, and the WebSocket mode's session.

Entry points for the drivers:

- `ResponsesService.create(body, now)` for `POST /v1/responses`: a StoredResponse whose
  `plan.events` are the SSE stream (each `PlannedEvent.at` seconds after the request; frame with
  `rtproto.sse.encode_event`) and whose `first_answer()` is the JSON answer; raises ApiError.
- `ResponsesService.retrieve(id, now)` and `.resume(id, starting_after, now)` for
  `GET /v1/responses/{id}` (JSON, or `?stream=true&starting_after=N`).
- `ResponsesSocketSession` for the WebSocket mode at `GET /v1/responses`: `on_message`, `due`,
  `next_deadline`, like the Realtime behaviours.
"""

from realtime_conformance.rtproto.server.responses.service import ResponsesService
from realtime_conformance.rtproto.server.responses.socket import (
    ResponsesSocketSession,
    SocketLimits,
)
from realtime_conformance.rtproto.server.responses.store import ResponseStore, StoredResponse

__all__ = [
    "ResponseStore",
    "ResponsesService",
    "ResponsesSocketSession",
    "SocketLimits",
    "StoredResponse",
]
