"""The transcript of one connection: every frame both ways, timestamped, in the format of
rtproto.transcript (shared/traces/README.md), kept in memory and written to a file.

Lines are pure ASCII (non-ASCII escaped) because readers split on `str.splitlines()`, which
also breaks at U+2028 and other separators that JSON may carry unescaped.

The lines kept in memory stop at `cap_bytes` (ServerOptions.transcript_cap_bytes): the first
line past it is replaced by a `transcript_truncated` meta line stating the cap, and the rest
goes to the file only, so one client sending megabytes of rejected frames cannot fill memory.

On the hot path a line kept in memory is stored as what it is made of (time, direction, the JSON
as sent, copied into one growing buffer of payloads) and written out as a line when `lines` is
read: a sent event costs a tuple and a copy, not a rounded time, an escape check and a formatted
copy, nor a payload object kept alive per line. The cap stays exact: while the kept lines'
upper bound (`LINE_OVERHEAD` each, plus the payload) is under it nothing is counted; past that,
the pending lines are written out and each further line is counted as before.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import IO, Any

from realtime_conformance.rtproto.transcript import TranscriptLine, parse_lines

MAX_TEXT_RECORDED = 64 * 1024  # non-JSON text frames longer than this are recorded by size
COMPACT = (",", ":")
CAP_NOTE = "the in-memory transcript reached its cap; later lines are only in the --record file"


# The most a line adds to its payload, newline included: {"t_ms":T,"dir":"server","event":}
# (34 characters) with T up to 24 characters (a float's repr). Only an upper bound: the cap is
# checked exactly. Within 999 s of the start T, a time rounded to 0.1 ms, is at most 9 characters
# (sign, six digits, point, one decimal: repr is the shortest spelling that reads back, and that
# one does), so those lines' bound is tighter: a transcript near the cap is then not formatted
# line by line before it is read.
LINE_OVERHEAD = 64
EARLY_LINE_OVERHEAD = 48
EARLY_S = 999.0
# now, direction, key, where the payload's JSON lies in the payload store (start, end), more
Pending = tuple[float, str, str, int, int, str]

_NOT_LINE_SAFE = re.compile(r"[^\x00-\x7f]|[\r\n]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in "\r\n":  # in JSON text, only ever whitespace between tokens
        return " "
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # outside the BMP: a surrogate pair, as JSON writes it
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def line_safe(json_text: str) -> str:
    """JSON text as sent, made to stand on one ASCII line without re-encoding it: non-ASCII
    characters (which valid JSON holds only inside strings) become `\\u` escapes of themselves,
    line breaks (only ever whitespace between tokens) spaces. Key order, spacing and number
    spelling stay as sent, and the value is the same."""
    if json_text.isascii() and "\n" not in json_text and "\r" not in json_text:
        return json_text
    return _NOT_LINE_SAFE.sub(_escape, json_text)


def text_frame(data: str) -> dict[str, Any]:
    if len(data) > MAX_TEXT_RECORDED:
        return {"opcode": "TEXT", "size_bytes": len(data.encode("utf-8", "replace"))}
    return {"opcode": "TEXT", "data": data}


def binary_frame(data: bytes) -> dict[str, Any]:
    return {"opcode": "BINARY", "size_bytes": len(data)}


class Recording:
    """One connection's transcript. Times are ms on the monotonic clock since the handshake."""

    def __init__(
        self,
        connection_id: str,
        started_at: float,
        path: Path | None,
        keep_lines: bool = True,
        cap_bytes: int | None = None,
    ) -> None:
        self.connection_id = connection_id
        self.started_at = started_at
        self.path = path
        self._lines: list[str] = []
        self._pending: list[Pending] = []  # kept lines not yet written out (ASCII payloads)
        # The pending lines' payloads, end to end: one growing buffer rather than one object
        # kept per line (peak RSS of 150 duplex sessions 770 -> 350 MB, CPU unchanged:
        # bench/README.md).
        self._payloads = bytearray()
        self._kept_bytes = 0  # of `_lines`, newlines counted
        self._bound = 0  # an upper bound of the bytes of `_lines` and `_pending`
        self.dropped_lines = 0  # lines past the cap: written to the file only
        self._keep_lines = keep_lines
        self._cap_bytes = cap_bytes
        self._file: IO[str] | None = path.open("w", encoding="ascii") if path else None

    @property
    def lines(self) -> list[str]:
        """The lines kept in memory (the list itself: it grows as the connection goes on)."""
        self._write_out()
        return self._lines

    @property
    def kept_bytes(self) -> int:
        """The bytes of `lines`, newlines counted."""
        self._write_out()
        return self._kept_bytes

    def _t_ms(self, now: float) -> float:
        return round((now - self.started_at) * 1000, 1)

    def _line(self, now: float, direction: str, key: str, payload: str | bytes, more: str) -> str:
        text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
        return f'{{"t_ms":{self._t_ms(now)},"dir":"{direction}","{key}":{line_safe(text)}{more}}}'

    def _write(
        self, now: float, direction: str, key: str, payload: str | bytes, more: str = ""
    ) -> None:
        """One line: `payload` is JSON (text, or UTF-8 bytes) that `line_safe` makes ASCII."""
        if self._file is None and not self._keep_lines:
            return  # nowhere to put it
        if self._file is None and self.dropped_lines:
            self.dropped_lines += 1  # past the cap, with no file: counted, never formatted
            return
        if self._file is None:
            early = -EARLY_S < now - self.started_at < EARLY_S
            size = len(payload) + len(more) + (EARLY_LINE_OVERHEAD if early else LINE_OVERHEAD)
            room = self._cap_bytes is None or self._bound + size <= self._cap_bytes
            if room and payload.isascii():  # its line is no longer than the bound says
                store = self._payloads
                start = len(store)
                store += payload if isinstance(payload, bytes) else payload.encode("ascii")
                self._pending.append((now, direction, key, start, len(store), more))
                self._bound += size
                return
        self._put(now, self._line(now, direction, key, payload, more))

    def _write_out(self) -> None:
        """The pending lines as lines (all within the cap: the bound said so)."""
        if self._pending:
            pending, self._pending = self._pending, []
            store, self._payloads = self._payloads, bytearray()
            for now, direction, key, start, end, more in pending:
                line = self._line(now, direction, key, store[start:end].decode("ascii"), more)
                self._lines.append(line)
                self._kept_bytes += len(line) + 1
        self._bound = self._kept_bytes

    def _put(self, now: float, line: str) -> None:
        if self._keep_lines:
            self._keep(now, line)
        if self._file is not None:
            self._file.write(line + "\n")

    def _keep(self, now: float, line: str) -> None:
        """Keep a line in memory, up to the cap; the first line past it is replaced by a meta
        line saying so (lines are ASCII: characters are bytes)."""
        if self.dropped_lines:
            self.dropped_lines += 1
            return
        self._write_out()
        if self._cap_bytes is not None and self._kept_bytes + len(line) + 1 > self._cap_bytes:
            self.dropped_lines = 1
            marker = {
                "kind": "transcript_truncated",
                "cap_bytes": self._cap_bytes,
                "note": CAP_NOTE,
            }
            meta = json.dumps(marker, separators=COMPACT)
            line = f'{{"t_ms":{self._t_ms(now)},"dir":"meta","meta":{meta}}}'
        self._lines.append(line)
        self._kept_bytes += len(line) + 1
        self._bound = self._kept_bytes

    def meta(self, now: float, fields: dict[str, Any]) -> None:
        """A fact about the connection (handshake, close, ping), in the `meta` object."""
        self._write(now, "meta", "meta", json.dumps(fields, separators=COMPACT))

    def event(
        self, now: float, direction: str, json_text: str | bytes, sse_event: str | None = None
    ) -> None:
        """An event as it went over the wire: `json_text` is its JSON as sent (or received), a
        valid JSON object (text, or its UTF-8 bytes); `sse_event` the `event:` name of its
        Server-Sent Events frame."""
        more = "" if sse_event is None else f',"sse_event":{json.dumps(sse_event)}'
        self._write(now, direction, "event", json_text, more)

    def events_sent(self, now: float, payloads: list[bytes]) -> None:
        """Events sent at once (a batch written in one go), as `event` records each: on the
        hot path, while the batch fits under the cap's bound, one tuple per event."""
        if self._file is None and self._keep_lines and not self.dropped_lines:
            early = -EARLY_S < now - self.started_at < EARLY_S
            overhead = EARLY_LINE_OVERHEAD if early else LINE_OVERHEAD
            size = sum(map(len, payloads)) + overhead * len(payloads)
            room = self._cap_bytes is None or self._bound + size <= self._cap_bytes
            if room and all(payload.isascii() for payload in payloads):
                store, pending = self._payloads, self._pending
                for payload in payloads:
                    start = len(store)
                    store += payload
                    pending.append((now, "server", "event", start, len(store), ""))
                self._bound += size
                return
        for payload in payloads:
            self._write(now, "server", "event", payload)

    def done(self, now: float) -> None:
        """The Chat stream's closing `data: [DONE]` (a marker, not an event)."""
        self._write(now, "server", "done", "true")

    def frame(self, now: float, direction: str, frame: dict[str, Any]) -> None:
        """A data frame that is not a JSON object (non-JSON text, binary)."""
        self._write(now, direction, "frame", json.dumps(frame, separators=COMPACT))

    def close(
        self, now: float, side: str, code: int | None, reason: str = "", note: str | None = None
    ) -> None:
        fields: dict[str, Any] = {"kind": "close", "from": side, "code": code, "reason": reason}
        if note:
            fields["note"] = note
        self.meta(now, fields)

    def finish(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def transcript(self) -> list[TranscriptLine]:
        """The in-memory lines, parsed as any transcript reader parses them."""
        return list(parse_lines(self.lines))

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]
