"""Client events on their way out: checked against schemas/ before anything is sent.

The application writes GA-shaped events; they are validated as GA (so an error names the field
as the caller wrote it), translated for a beta connection with rtproto.dialects.to_beta, and
validated again as beta. Nothing invalid goes on the wire.
"""

from __future__ import annotations

import base64
from functools import cache
from typing import Any

from realtime_conformance.rtproto.dialects import to_beta
from realtime_conformance.rtproto.validation import EventValidator, Problem


class ClientEventError(ValueError):
    """A client event that the schemas reject; `problems` names each field."""

    def __init__(self, event_type: Any, problems: list[Problem]) -> None:
        self.problems = problems
        details = "; ".join(str(problem) for problem in problems)
        super().__init__(f"invalid {event_type} (nothing was sent): {details}")


@cache
def validator() -> EventValidator:
    """One validator per process: building jsonschema validators is the expensive part."""
    return EventValidator()


def check(event: dict[str, Any], dialect: str) -> None:
    """Raise ClientEventError unless `event` is a valid client event of `dialect`."""
    problems = validator().validate(event, "realtime", dialect)
    if problems:
        raise ClientEventError(event.get("type"), problems)


def build(event_type: str, parameters: Any) -> dict[str, Any]:
    """The event a method sends: its parameters, with `type` first (given or implied)."""
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise TypeError(f"{event_type} parameters must be a dict, not {type(parameters).__name__}")
    given = parameters.get("type", event_type)
    if given != event_type:
        raise ValueError(f"this method sends {event_type!r}, not {given!r}")
    return {"type": event_type, **{k: v for k, v in parameters.items() if k != "type"}}


def for_wire(event: dict[str, Any], dialect: str) -> list[dict[str, Any]]:
    """The events to send for a GA event: itself (GA) or its checked beta translation."""
    check(event, "ga")
    if dialect == "ga":
        return [event]
    translated = to_beta(event)
    for beta_event in translated:
        check(beta_event, "beta")
    return translated


def base64_text(audio: bytes) -> str:
    return base64.b64encode(audio).decode("ascii")


def base64_size(text: str) -> int:
    """The decoded size of base64 `text`, without decoding it."""
    return len(text) * 3 // 4 - text.count("=", -2)
