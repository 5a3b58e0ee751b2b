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


@dataclass(frozen=True)
class ClientFrame:
    """One client text frame, decoded once: the text as received (what a transcript records),
    its JSON object when it is one, and the error the real server answers when it is no event.

    `value` is set for every JSON object, even one that is no event (no `type`): a transcript
    records such a frame as an event, and anything else as a text frame.
    """

    text: str
    value: dict[str, Any] | None = None
    error: RealtimeError | None = None

    def event(self) -> dict[str, Any]:
        """The client event, or the RealtimeError the real server answers instead."""
        if self.error is not None:
            raise self.error
        assert self.value is not None
        return self.value


def read_client_text(text: str) -> ClientFrame:
    """Decode one client text frame (one `json.loads`); never raises."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        problem = RealtimeError(
            "invalid_json",
            f"Invalid event: failed to parse JSON value. {error.msg} at line {error.lineno} "
            f"column {error.colno}.",
        )
        return ClientFrame(text, None, problem)
    if not isinstance(value, dict):
        return ClientFrame(text, None, RealtimeError("invalid_event", NOT_AN_OBJECT))
    return ClientFrame(text, value, _event_problem(value))


NOT_AN_OBJECT = "Invalid event: expected a JSON object."


def _event_problem(value: dict[str, Any]) -> RealtimeError | None:
    event_id = value.get("event_id") if isinstance(value.get("event_id"), str) else None
    if "type" not in value:
        return RealtimeError(
            "invalid_event", "The 'type' field is missing.", "type", event_id=event_id
        )
    if not isinstance(value["type"], str):
        return RealtimeError(
            "invalid_type", "Invalid type for 'type': expected a string.", "type", event_id=event_id
        )
    return None


def binary_frame_error() -> RealtimeError:
    """What the real server answers a binary frame with."""
    return RealtimeError(
        "invalid_event", "Expected a text WebSocket message; binary frames are not supported."
    )


def decode_client_frame(data: str | bytes) -> dict[str, Any]:
    """The event in one client WebSocket frame, or the RealtimeError the real server answers."""
    if isinstance(data, bytes):
        raise binary_frame_error()
    return read_client_text(data).event()


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
