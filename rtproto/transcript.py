"""The transcript format: one JSON object per line, as recorded by the mock and as vendors log.

A line is either a bare event (`{"type": ...}`, or a Chat chunk with `"object"`), or a record
`{"dir": "client"|"server"|"meta", "event": {...}, "t_ms": ..., ...}` (see
shared/traces/README.md for every key). Records without an `event` (handshake and close facts,
non-JSON frames, the Chat `[DONE]` marker) describe the connection, not an event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.catalogue import Api
from realtime_conformance.rtproto.handshake import Dialect, HandshakeRequest, dialect_of


@dataclass(frozen=True)
class TranscriptLine:
    """One line of a transcript, parsed."""

    number: int
    record: dict[str, Any] = field(repr=False)
    event: Any = None  # the event object, or None when the line carries no event
    direction: str | None = None  # "client", "server", "meta", or None when not stated
    syntax_error: str | None = None

    @property
    def fidelity(self) -> str | None:
        value = self.record.get("fidelity")
        return value if isinstance(value, str) else None

    @property
    def is_partial(self) -> bool:
        """A summarised frame: `event` holds only some fields, so no schema can judge it."""
        return self.fidelity == "partial"

    @property
    def expected_invalid(self) -> bool:
        return self.record.get("expected_invalid") is True

    @property
    def meta(self) -> dict[str, Any] | None:
        value = self.record.get("meta")
        return value if isinstance(value, dict) else None


def _is_record(value: dict[str, Any]) -> bool:
    return "dir" in value and "type" not in value and "object" not in value


def parse_line(number: int, text: str) -> TranscriptLine | None:
    """Parse one line; None for a blank line."""
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return TranscriptLine(
            number, {}, syntax_error=f"not JSON ({error.msg} at column {error.colno})"
        )
    if not isinstance(value, dict):
        return TranscriptLine(number, {}, syntax_error="not a JSON object")
    if _is_record(value):
        return TranscriptLine(number, value, value.get("event"), value.get("dir"))
    return TranscriptLine(number, {"event": value}, value, None)


def parse_lines(lines: Iterable[str]) -> Iterator[TranscriptLine]:
    for number, text in enumerate(lines, start=1):
        line = parse_line(number, text)
        if line is not None:
            yield line


def api_of_event(event: dict[str, Any]) -> Api:
    """Which API an event belongs to, from its shape alone.

    Chat chunks are the only events keyed by `object`; Responses stream events always carry a
    `sequence_number`; Realtime events never do.
    """
    if event.get("object") == "chat.completion.chunk" or "choices" in event:
        return "chat"
    if "sequence_number" in event:
        return "responses"
    return "realtime"


def api_of_path(path: Any) -> Api:
    """The API of a WebSocket by its handshake's path: the Responses WebSocket mode, or
    Realtime."""
    if isinstance(path, str) and path.rstrip("/").endswith("/responses"):
        return "responses"
    return "realtime"


def api_of_opening(meta: dict[str, Any]) -> Api | None:
    """The API of the connection a meta line opens, by its path: a WebSocket's `handshake`, or
    the `http_request` the mock records for the Responses WebSocket mode's upgrade; None for
    any other line."""
    if meta.get("kind") not in ("handshake", "http_request"):
        return None
    return api_of_path(meta.get("path"))


def dialect_from_handshake(meta: dict[str, Any]) -> Dialect | None:
    """'beta' or 'ga' by the handshake rules (`rtproto.handshake.dialect_of`) applied to the
    recorded request headers; None when the line is no handshake or records no headers."""
    if meta.get("kind") != "handshake":
        return None
    headers = meta.get("request_headers")
    if not isinstance(headers, dict):
        return None
    pairs = [(str(name), str(value)) for name, value in headers.items()]
    return dialect_of(HandshakeRequest.from_pairs(str(meta.get("path", "")), {}, pairs))
