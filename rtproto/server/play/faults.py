"""What the faults that send something send: a close, an abort, a duplicate, an error.

Realtime error texts follow shared/PROTOCOL.md section 4 and public reports of the real API:

- `server_error`: type `server_error`, code null, the real message naming the session;
- `session_expired`: "Your session hit the maximum duration of 60 minutes.", then close 1001
  with that text as the reason;
- `rate_limit_exceeded`: UNVERIFIED for Realtime. Shaped like the HTTP API's 429 body (type
  `tokens`, code `rate_limit_exceeded`, "Rate limit reached for ..."), the closest recorded shape.

On an HTTP stream (api responses or chat) `server_error` is the API's own mid-stream failure, as
the simulated models stream it (shared/PROTOCOL.md sections 6 and 7), and the stream ends there:
Responses `error` (the wire's nested `error` plus the SDK's flat fields) then `response.failed`
with the stream's latest Response object (none before `response.created` was sent); Chat one
`{"error": {...}}` data chunk and no `[DONE]`.
"""

from __future__ import annotations

from typing import Any

from realtime_conformance.rtproto.catalogue import Api
from realtime_conformance.rtproto.events import RealtimeError
from realtime_conformance.rtproto.scenario.spec import (
    AbortConnection,
    Drop,
    Duplicate,
    ErrorFault,
    ExpireSession,
    FaultAction,
)
from realtime_conformance.rtproto.server.play.state import ConnectionState
from realtime_conformance.rtproto.server.realtime.outbox import Abort, Close, Outgoing, Send

SESSION_EXPIRED = "Your session hit the maximum duration of 60 minutes."
GOING_AWAY = 1001
# As rtproto.server.responses.simulated_model and rtproto.server.chat.simulated_model word it (a
# test keeps them equal).
STREAM_SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
END_OF_STREAM = Close(1000, "end of stream")  # an HTTP stream ends here (the code means nothing)


def server_error(state: ConnectionState) -> RealtimeError:
    message = (
        "The server had an error while processing your request. Sorry about that! You can retry "
        "your request, or contact us through our help center at help.openai.com if the error "
        f"persists. (Please include the session ID {state.session_id} in your message.)"
    )
    return RealtimeError(None, message, type="server_error")


def rate_limit_error(state: ConnectionState) -> RealtimeError:
    message = (
        f"Rate limit reached for {state.model} in organization org-mock on tokens per min (TPM): "
        "Limit 40000, Used 40000, Requested 1200. Please try again in 1.8s. Visit "
        "https://platform.openai.com/account/rate-limits to learn more."
    )
    return RealtimeError("rate_limit_exceeded", message, type="tokens")


def session_expired() -> RealtimeError:
    return RealtimeError("session_expired", SESSION_EXPIRED)


def _error_event(state: ConnectionState, error: RealtimeError) -> Send:
    event = state.builder.error(error)
    state.observe(event)
    return Send(event)


def fault_items(
    action: FaultAction, state: ConnectionState, last_sent: dict[str, Any] | None
) -> list[Outgoing]:
    """The items a sending fault puts on the wire (none for faults that act on other events)."""
    if isinstance(action, Drop):
        return [Close(action.code, action.reason)]
    if isinstance(action, AbortConnection):
        return [Abort()]
    if isinstance(action, Duplicate):
        return [Send(last_sent)] if last_sent is not None else []
    if isinstance(action, ErrorFault):
        error = server_error(state) if action.kind == "server_error" else rate_limit_error(state)
        return [_error_event(state, error)]
    if isinstance(action, ExpireSession):
        return [_error_event(state, session_expired()), Close(GOING_AWAY, SESSION_EXPIRED)]
    return []


def _responses_failure(
    last_sent: dict[str, Any] | None, last_response: dict[str, Any] | None
) -> list[Outgoing]:
    number = last_sent.get("sequence_number") if last_sent else None
    first = number + 1 if isinstance(number, int) else 0
    details = {"type": "server_error", "code": "server_error", "message": STREAM_SERVER_ERROR,
               "param": None}  # fmt: skip
    flat = {"code": "server_error", "message": STREAM_SERVER_ERROR, "param": None}
    items: list[Outgoing] = [
        Send({"type": "error", "error": details, **flat, "sequence_number": first})
    ]
    if last_response is not None:
        error = {"code": "server_error", "message": STREAM_SERVER_ERROR}
        response = {**last_response, "status": "failed", "error": error}
        items.append(Send({"type": "response.failed", "response": response,
                           "sequence_number": first + 1}))  # fmt: skip
    return items


def stream_failure(
    api: Api, last_sent: dict[str, Any] | None, last_response: dict[str, Any] | None
) -> list[Outgoing]:
    """A `server_error` fault on an HTTP stream: the API's failure events, then the end."""
    if api == "chat":
        error = {"message": STREAM_SERVER_ERROR, "type": "server_error", "param": None,
                 "code": None}  # fmt: skip
        return [Send({"error": error}), END_OF_STREAM]
    return [*_responses_failure(last_sent, last_response), END_OF_STREAM]
