"""What the faults that send something send: a close, an abort, a duplicate, an error.

Error texts follow shared/PROTOCOL.md section 4 and public reports of the real API:

- `server_error`: type `server_error`, code null, the real message naming the session;
- `session_expired`: "Your session hit the maximum duration of 60 minutes.", then close 1001
  with that text as the reason;
- `rate_limit_exceeded`: UNVERIFIED for Realtime. Shaped like the HTTP API's 429 body (type
  `tokens`, code `rate_limit_exceeded`, "Rate limit reached for ..."), the closest recorded shape.
"""

from __future__ import annotations

from typing import Any

from rtproto.events import RealtimeError
from rtproto.realtime.outbox import Abort, Close, Outgoing, Send
from rtproto.scenario.model import (
    AbortConnection,
    Drop,
    Duplicate,
    ErrorFault,
    ExpireSession,
    FaultAction,
)
from rtproto.scenario.state import ConnectionState

SESSION_EXPIRED = "Your session hit the maximum duration of 60 minutes."
GOING_AWAY = 1001


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
