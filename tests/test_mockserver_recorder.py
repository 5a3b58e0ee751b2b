"""The in-memory transcript, written out when read, is line for line what writing each line at
once gives (the --record file's path), cap included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from realtime_conformance.mockserver.recorder import Recording


def write_some(recording: Recording) -> None:
    """A connection's worth of lines: meta, events as text and as bytes, non-ASCII, a frame,
    an SSE event, a close, Chat's [DONE]."""
    recording.meta(0.0001, {"kind": "handshake", "path": "/v1/realtime"})
    for index in range(40):
        now = 0.01 * index
        event = {"type": "response.output_text.delta", "delta": f" word{index}", "n": index}
        recording.event(now, "server", json.dumps(event, separators=(",", ":")).encode())
        recording.event(now + 0.001, "client", '{"type":"response.create"}')
    recording.event(0.5, "server", '{"type":"x","text":"caf\u00e9 \u2028 \U0001f600"}')
    recording.event(0.6, "server", b'{"type":"y"}', sse_event="y")
    recording.frame(0.7, "client", {"opcode": "TEXT", "data": "not json\n"})
    recording.event(0.8, "server", '{"type":"z","delta":"\u00fcber"}'.encode())
    recording.close(0.9, "server", 1000, "bye")
    recording.done(1.0)


@pytest.mark.parametrize("cap", [None, 300, 1_000, 2_500, 5_000, 100_000])
def test_lines_kept_in_memory_are_those_written_at_once(tmp_path: Path, cap: int | None) -> None:
    at_once = Recording("c", 0.0, tmp_path / "t.jsonl", cap_bytes=cap)  # a file: written at once
    deferred = Recording("c", 0.0, None, cap_bytes=cap)
    write_some(at_once)
    write_some(deferred)
    at_once.finish()
    assert deferred.lines == at_once.lines
    assert deferred.kept_bytes == at_once.kept_bytes == sum(len(x) + 1 for x in at_once.lines)
    assert deferred.dropped_lines == at_once.dropped_lines
    assert all(line.isascii() for line in deferred.lines)
    if cap is None:
        assert deferred.lines == (tmp_path / "t.jsonl").read_text().splitlines()
    else:
        assert deferred.kept_bytes - len(deferred.lines[-1]) - 1 <= cap


def test_reading_midway_then_writing_on_keeps_every_line_in_order() -> None:
    recording = Recording("c", 0.0, None, cap_bytes=4_000)
    reference = Recording("c", 0.0, None)
    for index in range(60):
        for target in (recording, reference):
            target.event(index / 100, "server", f'{{"type":"e","n":{index}}}')
        if index % 7 == 0:
            assert len(recording.lines) == index + 1  # read: written out so far
    assert recording.lines == reference.lines
    assert [json.loads(line)["event"]["n"] for line in recording.lines] == list(range(60))


def test_without_memory_or_file_nothing_is_kept() -> None:
    recording = Recording("c", 0.0, None, keep_lines=False)
    write_some(recording)
    assert recording.lines == []
    assert recording.kept_bytes == 0
