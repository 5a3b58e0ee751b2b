"""Parse client frames and build server events, with the real API's error shapes.

Parsing is where a server first judges its client, so a frame that is not an event becomes a
`RealtimeError` carrying the code and message the real API sends for it (shared/PROTOCOL.md §4).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from realtime_conformance.rtproto.ids import IdFactory

# Limits on client JSON, checked by `decode_json` before anything reads or echoes a value. The real
# API's limits are not documented: these are this mock's (UNVERIFIED), far above any real event.
MAX_JSON_DEPTH = 64  # objects/arrays inside each other; jsonschema recurses ~10 frames a level
MAX_INT_DIGITS = 64  # Python refuses to convert more than 4,300 digits (ValueError)


class JsonInputError(ValueError):
    """Client JSON that cannot be read safely: not JSON, too deep, a number too large, or a
    string that is no Unicode text (a lone surrogate escape such as "\\ud800")."""


def decode_json(data: str | bytes) -> Any:
    """The JSON value of client input (a frame or a request body), within the limits above.

    The one decoder of client input for every API; raises JsonInputError, never RecursionError,
    ValueError from int(), or a value that fails later when it is encoded as UTF-8.
    """
    try:
        text = data.decode(json.detect_encoding(data)) if isinstance(data, bytes) else data
        value = json.loads(
            text, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constant
        )
    except json.JSONDecodeError as error:
        raise JsonInputError(f"{error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise JsonInputError(f"Nesting deeper than {MAX_JSON_DEPTH} levels") from None
    except (UnicodeDecodeError, LookupError):
        raise JsonInputError("The text is not valid UTF-8") from None
    _check_value(value)
    return value


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise JsonInputError(f"An integer of more than {MAX_INT_DIGITS} digits")
    return int(digits)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonInputError(f"A number out of range ({text[:20]})")
    return value


def _no_constant(name: str) -> Any:
    raise JsonInputError(f"{name} is not JSON")


def _check_value(value: Any) -> None:
    """Depth and string validity, walked without recursion (keys are strings too)."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                raise JsonInputError(f"Nesting deeper than {MAX_JSON_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


def _check_text(text: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonInputError("A string holding a lone surrogate (not Unicode text)") from None


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
        value = decode_json(text)
    except JsonInputError as error:
        problem = RealtimeError("invalid_json", f"{INVALID_JSON_PREFIX} {error}.")
        return ClientFrame(text, None, problem)
    if not isinstance(value, dict):
        return ClientFrame(text, None, RealtimeError("invalid_event", NOT_AN_OBJECT))
    return ClientFrame(text, value, _event_problem(value))


NOT_AN_OBJECT = "Invalid event: expected a JSON object."
# The wording of a parse failure; what follows it (the JSON error, or which limit) is this mock's.
INVALID_JSON_PREFIX = "Invalid event: failed to parse JSON value."


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
