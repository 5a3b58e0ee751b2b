"""Parse client frames and build server events, with the real API's error shapes.

Parsing is where a server first judges its client, so a frame that is not an event becomes a
`RealtimeError` carrying the code and message the real API sends for it (shared/PROTOCOL.md §4).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rtproto.ids import IdFactory


@dataclass
class RealtimeError(Exception):
    """An error the server reports to the client as an `error` event; the session stays open.

    Not frozen: Python (contextlib, for one) sets `__traceback__` on exceptions it re-raises.
    """

    code: str | None
    message: str
    param: str | None = None
    type: str = "invalid_request_error"
    event_id: str | None = None  # the offending client event's id, echoed back

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def details(self) -> dict[str, Any]:
        """The `error` object of an `error` event (key order as on the wire)."""
        return {
            "type": self.type,
            "code": self.code,
            "message": self.message,
            "param": self.param,
            "event_id": self.event_id,
        }


def decode_client_frame(data: str | bytes) -> dict[str, Any]:
    """The event in one client WebSocket frame, or the RealtimeError the real server answers."""
    if isinstance(data, bytes):
        raise RealtimeError(
            "invalid_event", "Expected a text WebSocket message; binary frames are not supported."
        )
    try:
        event = json.loads(data)
    except json.JSONDecodeError as error:
        raise RealtimeError(
            "invalid_json",
            f"Invalid event: failed to parse JSON value. {error.msg} at line {error.lineno} "
            f"column {error.colno}.",
        ) from None
    if not isinstance(event, dict):
        raise RealtimeError("invalid_event", "Invalid event: expected a JSON object.")
    event_id = event.get("event_id") if isinstance(event.get("event_id"), str) else None
    if "type" not in event:
        raise RealtimeError(
            "invalid_event", "The 'type' field is missing.", "type", event_id=event_id
        )
    if not isinstance(event["type"], str):
        raise RealtimeError(
            "invalid_type", "Invalid type for 'type': expected a string.", "type", event_id=event_id
        )
    return event


def supported_values_message(value: str, supported: list[str]) -> str:
    """The real API's wording for a value outside an enum: "... 'a', 'b', and 'c'."."""
    quoted = [f"'{item}'" for item in supported]
    if len(quoted) > 2:
        listing = ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
    else:
        listing = " and ".join(quoted)
    return f"Invalid value: '{value}'. Supported values are: {listing}."


class EventBuilder:
    """Builds server events: `type` first, then a fresh `event_id`, then the fields."""

    def __init__(self, ids: IdFactory) -> None:
        self.ids = ids

    def event(self, event_type: str, **fields: Any) -> dict[str, Any]:
        return {"type": event_type, "event_id": self.ids.new("event"), **fields}

    def error(self, error: RealtimeError) -> dict[str, Any]:
        return self.event("error", error=error.details())
