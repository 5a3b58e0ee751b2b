"""Server-Sent Events framing for the Responses and Chat Completions streams, in both directions.

The two APIs frame their streams differently (shared/PROTOCOL.md §6, §7):

- Responses: `event: <type>` + `data: <json>` per event, and no end marker: the stream ends after
  its one terminal event.
- Chat Completions: `data: <json>` per chunk (no `event:` line), ending with `data: [DONE]`.

JSON is written compactly, as the real API writes it. `SseParser` is the incremental reader the
reference client and the tests use: bytes in, whole messages out, following the WHATWG
event-stream rules (any line ending, `:` comments, multi-line `data`, one optional space after the
colon, a message dispatched at a blank line, an unterminated message discarded at the end).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

DONE = "[DONE]"
DONE_FRAME = b"data: [DONE]\n\n"
BOM = "\ufeff"


def dumps(payload: Any) -> str:
    """Compact JSON, non-ASCII kept as is: what the real API puts in a `data:` line."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class OutgoingFrame:
    """One frame to write: its `event:` name (None for a `data:`-only frame) and the text of
    its `data:` line, the JSON as sent, which is what a transcript records of it."""

    data: str
    event: str | None = None

    def encode(self) -> bytes:
        head = "" if self.event is None else f"event: {self.event}\n"
        return f"{head}data: {self.data}\n\n".encode()


def event_frame(event: dict[str, Any]) -> OutgoingFrame:
    """One Responses frame: `event: <type>` then `data: <json>`."""
    return OutgoingFrame(dumps(event), event["type"])


def data_frame(payload: dict[str, Any]) -> OutgoingFrame:
    """One Chat Completions frame (a chunk, or a mid-stream `{"error": ...}`): `data:` only."""
    return OutgoingFrame(dumps(payload))


def encode_event(event: dict[str, Any]) -> bytes:
    """One Responses frame's bytes."""
    return event_frame(event).encode()


def encode_data(payload: dict[str, Any]) -> bytes:
    """One Chat Completions frame's bytes."""
    return data_frame(payload).encode()


def encode_raw_data(text: str) -> bytes:
    """Text written as it is, one `data:` line per line of it (a malformed frame, `[DONE]`)."""
    return "".join(f"data: {line}\n" for line in text.split("\n")).encode() + b"\n"


def encode_comment(text: str = "") -> bytes:
    """A comment line, which clients ignore: a keep-alive."""
    return f": {text}\n\n".encode()


@dataclass(frozen=True)
class SseMessage:
    """One dispatched message: its `event:` name (None when absent) and its joined `data:`."""

    data: str
    event: str | None = None
    id: str | None = None

    @property
    def is_done(self) -> bool:
        return self.data == DONE

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class _Pending:
    data: list[str] = field(default_factory=list)
    event: str | None = None
    id: str | None = None

    def message(self) -> SseMessage | None:
        if not self.data:
            return None  # a message with no data line is not dispatched
        return SseMessage("\n".join(self.data), self.event, self.id)


class SseParser:
    """Incremental event-stream reader: `feed` bytes as they arrive, get whole messages back."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._buffer = ""
        self._pending = _Pending()
        self._started = False
        self._after_cr = False  # the last chunk ended in "\r": a "\n" starting the next is its pair

    def feed(self, chunk: bytes) -> list[SseMessage]:
        text = self._decoder.decode(chunk)
        if not self._started and text:
            self._started = True
            text = text.removeprefix(BOM)
        if not text:
            return []
        if self._after_cr and text.startswith("\n"):
            text = text[1:]
        self._after_cr = text.endswith("\r")
        self._buffer += text
        return self._take_lines()

    def close(self) -> list[SseMessage]:
        """End of stream: a message without its closing blank line is discarded (WHATWG)."""
        self._buffer += self._decoder.decode(b"", final=True)
        messages = self._take_lines()
        self._buffer, self._pending = "", _Pending()
        return messages

    def _take_lines(self) -> list[SseMessage]:
        messages = []
        lines = self._buffer.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self._buffer = lines.pop()  # the unterminated rest
        for line in lines:
            message = self._line(line)
            if message is not None:
                messages.append(message)
        return messages

    def _line(self, line: str) -> SseMessage | None:
        if not line:
            message, self._pending = self._pending.message(), _Pending()
            return message
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._pending.data.append(value)
        elif name == "event":
            self._pending.event = value
        elif name == "id" and "\0" not in value:
            self._pending.id = value
        return None  # `retry` and unknown fields are ignored


def parse_stream(chunks: Iterable[bytes]) -> list[SseMessage]:
    """Every message of a complete stream given in chunks."""
    parser = SseParser()
    messages = [message for chunk in chunks for message in parser.feed(chunk)]
    return messages + parser.close()
