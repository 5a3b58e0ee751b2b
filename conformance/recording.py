"""The two-sided case recording: what the checks judge, and nothing else (pure, no I/O but load).

A recording is transcript lines (rtproto.transcript) with one more key, `wire`:

- `"openai"` (absent means openai): the mock's WebSocket / HTTP, `dir: client` = sent by the
  client under test, `dir: server` = sent by the mock;
- `"call"`: the virtual call's media WebSocket, `dir: client` = sent by the client under test
  into the call (Twilio media / mark / clear), `dir: server` = sent by the virtual call
  (connected / start / media / mark / stop);
- `"driver"`: `dir: meta` lines whose `meta.kind` is `step` (what the suite asked of the client,
  with `action`, `args`, `error`) or `report` (the client's own events: `name`, `data`).

`t_ms` is ms since the case started on one monotonic clock; None where a source gives no time
(recorded real traces). Order is kept as given: views are in recording order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from realtime_conformance.rtproto.catalogue import Api
from realtime_conformance.rtproto.transcript import (
    TranscriptLine,
    api_of_event,
    api_of_opening,
    dialect_from_handshake,
    parse_lines,
)

Wire = Literal["openai", "call", "driver"]
WIRES: tuple[Wire, ...] = ("openai", "call", "driver")
Event = dict[str, Any]


class RecordingError(ValueError):
    """A recording line that is not a record the checks can read."""


@dataclass(frozen=True)
class Entry:
    """One line of a case recording."""

    index: int  # 0-based position in the recording
    wire: Wire
    line: TranscriptLine = field(repr=False)

    @property
    def record(self) -> dict[str, Any]:
        return self.line.record

    @property
    def direction(self) -> str | None:
        return self.line.direction

    @property
    def t_ms(self) -> float | None:
        value = self.record.get("t_ms")
        return float(value) if isinstance(value, int | float) else None

    @property
    def event(self) -> Event | None:
        return self.line.event if isinstance(self.line.event, dict) else None

    @property
    def type(self) -> str | None:
        event = self.event
        value = event.get("type", event.get("event")) if event is not None else None
        return value if isinstance(value, str) else None

    @property
    def meta(self) -> dict[str, Any] | None:
        return self.line.meta

    @property
    def frame(self) -> dict[str, Any] | None:
        value = self.record.get("frame")
        return value if isinstance(value, dict) else None

    @property
    def is_partial(self) -> bool:
        return self.line.is_partial


def _wire_of(record: Mapping[str, Any], number: int) -> Wire:
    wire = record.get("wire", "openai")
    if wire not in WIRES:
        raise RecordingError(f"line {number}: unknown wire {wire!r}; expected one of {WIRES}")
    return wire  # type: ignore[no-any-return]


@dataclass(frozen=True)
class CaseRecording:
    """Every line of one case, both wires and the driver, with the views the checks need."""

    entries: tuple[Entry, ...]

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> CaseRecording:
        entries: list[Entry] = []
        for line in parse_lines(lines):
            if line.syntax_error is not None:
                raise RecordingError(f"line {line.number}: {line.syntax_error}")
            entries.append(Entry(len(entries), _wire_of(line.record, line.number), line))
        return cls(tuple(entries))

    @classmethod
    def from_dicts(cls, records: Iterable[Mapping[str, Any]]) -> CaseRecording:
        return cls.from_lines(json.dumps(dict(record)) for record in records)

    @classmethod
    def load(cls, path: Path) -> CaseRecording:
        return cls.from_lines(path.read_text(encoding="utf-8").splitlines())

    def dumps(self) -> str:
        """The recording as JSONL (one record a line, ending with a newline when not empty)."""
        return "".join(json.dumps(entry.record, separators=(",", ":")) + "\n" for entry in self)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    # --- views --------------------------------------------------------------------------------
    def on(self, wire: Wire, direction: str | None = None) -> list[Entry]:
        """Entries of one wire (and one direction), in recording order."""
        return [
            entry
            for entry in self.entries
            if entry.wire == wire and (direction is None or entry.direction == direction)
        ]

    def client_events(self) -> list[Entry]:
        """JSON events the client under test sent on the OpenAI wire."""
        return [entry for entry in self.on("openai", "client") if entry.event is not None]

    def server_events(self) -> list[Entry]:
        """Events the server (the mock, or the real API in a trace) sent on the OpenAI wire."""
        return [entry for entry in self.on("openai", "server") if entry.event is not None]

    def by_api(self) -> list[tuple[Api, Entry]]:
        """OpenAI-wire entries with the API they belong to: a WebSocket's by its handshake path
        (`/v1/responses`: the Responses WebSocket mode, else Realtime), an HTTP stream's events
        by their shape (Chat chunks, Responses `sequence_number`)."""
        found: list[tuple[Api, Entry]] = []
        socket_api: Api = "realtime"
        for entry in self.on("openai"):
            meta = entry.meta or {}
            socket_api = api_of_opening(meta) or socket_api
            api = socket_api
            if entry.event is not None and api_of_event(entry.event) != "realtime":
                api = api_of_event(entry.event)
            found.append((api, entry))
        return found

    def realtime(self) -> list[Entry]:
        """OpenAI-wire entries of Realtime connections only."""
        return [entry for api, entry in self.by_api() if api == "realtime"]

    def client_frames(self) -> list[Entry]:
        """Non-JSON data frames the client sent on the OpenAI wire (text that is not JSON,
        binary)."""
        return [entry for entry in self.on("openai", "client") if entry.frame is not None]

    def openai_meta(self, kind: str | None = None) -> list[Entry]:
        """Connection facts on the OpenAI wire: handshake, close, ping (of one `kind`)."""
        return [
            entry
            for entry in self.on("openai", "meta")
            if entry.meta is not None and (kind is None or entry.meta.get("kind") == kind)
        ]

    def handshake(self) -> dict[str, Any] | None:
        """The first recorded handshake on the OpenAI wire, or None."""
        found = self.openai_meta("handshake")
        return found[0].meta if found else None

    def handshakes(self) -> list[Entry]:
        """Every handshake on the OpenAI wire: more than one means the client reconnected."""
        return self.openai_meta("handshake")

    def closes(self) -> list[Entry]:
        return self.openai_meta("close")

    def dialect(self) -> str | None:
        """'ga' or 'beta' as the handshake says, or None when no handshake says."""
        meta = self.handshake()
        return dialect_from_handshake(meta) if meta is not None else None

    def call_sent(self) -> list[Entry]:
        """What the client under test sent into the call (media / mark / clear, or binary)."""
        return self.on("call", "client")

    def call_received(self) -> list[Entry]:
        """What the virtual call sent the client (connected / start / media / mark / stop)."""
        return self.on("call", "server")

    def call_meta(self) -> list[Entry]:
        return self.on("call", "meta")

    def driver_steps(self, action: str | None = None) -> list[Entry]:
        return self._driver("step", "action", action)

    def reports(self, name: str | None = None) -> list[Entry]:
        """The client's own reports (WebSocketMediaStarted, ...), timestamped on arrival."""
        return self._driver("report", "name", name)

    def _driver(self, kind: str, key: str, value: str | None) -> list[Entry]:
        return [
            entry
            for entry in self.on("driver")
            if entry.meta is not None
            and entry.meta.get("kind") == kind
            and (value is None or entry.meta.get(key) == value)
        ]

    def end_ms(self) -> float | None:
        """The last time stamp in the recording (the case's length), or None if untimed."""
        times = [entry.t_ms for entry in self.entries if entry.t_ms is not None]
        return max(times) if times else None
