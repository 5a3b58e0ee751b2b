"""The client's `trace`: every frame both ways as a JSONL transcript in the project's format
(rtproto.transcript, as the mock records), so `realtime-conformance validate` reads it.

Lines: a `handshake` meta line (URL and request headers, the key masked, so readers can tell
the dialect), one `event` line per JSON frame as sent or received (redacted with `privacy`),
a `frame` line for anything that is not a JSON object, and a `close` meta line.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import IO, Any

from realtime_conformance.refclient.privacy import redact, redacted
from realtime_conformance.rtproto.handshake import redact_header

COMPACT = (",", ":")


class TraceWriter:
    """Appends transcript lines to `path`; times are ms since the writer was made."""

    def __init__(self, path: Path, privacy: bool = False) -> None:
        self.path = path
        self.privacy = privacy
        self._started = time.monotonic()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = path.open("w", encoding="ascii")

    def _write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            return
        t_ms = round((time.monotonic() - self._started) * 1000, 1)
        self._file.write(json.dumps({"t_ms": t_ms, **record}, separators=COMPACT) + "\n")
        self._file.flush()

    def handshake(self, url: str, headers: dict[str, str]) -> None:
        shown = {name: redact_header(name, value) for name, value in headers.items()}
        self._write(
            {"dir": "meta", "meta": {"kind": "handshake", "url": url, "request_headers": shown}}
        )

    def text(self, direction: str, text: str, event: Any) -> None:
        """One text frame; `event` is its parsed JSON (None when it is not JSON)."""
        if isinstance(event, dict):
            self._write({"dir": direction, "event": redact(event) if self.privacy else event})
            return
        data = redacted(text) if self.privacy else text
        self._write({"dir": direction, "frame": {"opcode": "TEXT", "data": data}})

    def binary(self, direction: str, size: int) -> None:
        self._write({"dir": direction, "frame": {"opcode": "BINARY", "size_bytes": size}})

    def close(self, side: str, code: int | None, reason: str = "") -> None:
        self._write(
            {"dir": "meta", "meta": {"kind": "close", "from": side, "code": code, "reason": reason}}
        )

    def finish(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def trace_file(option: bool | str | Path | None, client_id: str) -> Path | None:
    """Where the `trace` option writes: nowhere (False), `realtime-trace-<client id>.jsonl` in
    the working directory (True), or the path given."""
    if option is False or option is None:
        return None
    if option is True:
        return Path.cwd() / f"realtime-trace-{client_id}.jsonl"
    return Path(option)
