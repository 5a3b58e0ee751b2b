"""A recorded transcript as a reply: its server events, in order, with their recorded times.

The recorder format is the scenario input (rtproto.transcript, shared/traces/README.md): of its
lines, the `dir: server` events are replayed exactly as recorded (ids, `sequence_number`s,
`obfuscation` and all); client events, meta lines (handshake, close, ping), non-JSON frames and
`fidelity: partial` summaries are skipped. A Chat `{"dir": "server", "done": true}` line is the
end marker: the stream's `data: [DONE]`; nothing after it is replayed. Bare event lines (no
record around them) count as server events.

`read_recording` is the only function here that touches the file system; `recording_of` reads
the lines it is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from realtime_conformance.rtproto.transcript import TranscriptLine, parse_lines

Event = dict[str, Any]


class RecordingError(Exception):
    """A transcript that cannot be replayed: the line (1-based; 0 for the file) and why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class ReplayedEvent:
    line: int  # in the transcript, for messages
    t_ms: float | None  # as recorded; None where the transcript gives no time
    event: Event


@dataclass(frozen=True)
class Recording:
    """The server side of one transcript, ready to send again."""

    events: tuple[ReplayedEvent, ...]
    done: bool = False  # a Chat `done` line ended it: send `data: [DONE]` after the events
    done_t_ms: float | None = None


def _t_ms(line: TranscriptLine) -> float | None:
    value = line.record.get("t_ms")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _is_server_event(line: TranscriptLine) -> bool:
    if line.direction not in ("server", None) or line.is_partial:
        return False
    return isinstance(line.event, dict)


def recording_of(lines: Iterable[str]) -> Recording:
    """The server events of a transcript's lines; RecordingError for a line that is not JSON."""
    events: list[ReplayedEvent] = []
    for line in parse_lines(lines):
        if line.syntax_error is not None:
            raise RecordingError(line.number, line.syntax_error)
        if line.direction == "server" and line.record.get("done") is True:
            return Recording(tuple(events), done=True, done_t_ms=_t_ms(line))
        if _is_server_event(line):
            events.append(ReplayedEvent(line.number, _t_ms(line), line.event))
    return Recording(tuple(events))


def read_recording(path: Path | str) -> Recording:
    """The recording in a transcript file; OSError when it cannot be read."""
    with Path(path).open(encoding="utf-8") as file:
        return recording_of(file)


def replay_events(path: Path | str) -> list[tuple[float | None, Event]]:
    """The server events a replay of `path` sends, in order, each with its recorded `t_ms`."""
    return [(replayed.t_ms, replayed.event) for replayed in read_recording(path).events]
