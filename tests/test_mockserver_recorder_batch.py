"""A batch of sent events recorded at once (Recording.events_sent, the WebSocket transport's
hot path) gives the very lines, cap and count of recording each event on its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from realtime_conformance.mockserver.recorder import Recording


def batches() -> list[list[bytes]]:
    """Batches of deltas, one with a non-ASCII event and one past the early-line window."""
    made = []
    for batch in range(12):
        events = [
            {"type": "response.output_text.delta", "delta": f" w{batch}.{n}", "n": n}
            for n in range(1 + batch * 3)
        ]
        if batch == 5:
            events.append({"type": "x", "text": "caf\u00e9 \u2028"})
        made.append([json.dumps(e, separators=(",", ":")).encode() for e in events])
    return made


def record(recording: Recording, batched: bool) -> None:
    for index, payloads in enumerate(batches()):
        now = 0.02 * index if index < 10 else 1000.0 + index  # the last two: after 999 s
        if batched:
            recording.events_sent(now, payloads)
        else:
            for payload in payloads:
                recording.event(now, "server", payload)


@pytest.mark.parametrize("cap", [None, 500, 3_000, 6_000, 9_000, 100_000])
@pytest.mark.parametrize("to_file", [False, True])
def test_a_batch_is_recorded_as_its_events_one_by_one(
    tmp_path: Path, cap: int | None, to_file: bool
) -> None:
    one_by_one = Recording("c", 0.0, tmp_path / "a.jsonl" if to_file else None, cap_bytes=cap)
    batched = Recording("c", 0.0, tmp_path / "b.jsonl" if to_file else None, cap_bytes=cap)
    record(one_by_one, batched=False)
    record(batched, batched=True)
    one_by_one.finish()
    batched.finish()
    assert batched.lines == one_by_one.lines
    assert batched.kept_bytes == one_by_one.kept_bytes
    assert batched.dropped_lines == one_by_one.dropped_lines
    if to_file:
        assert (tmp_path / "b.jsonl").read_text() == (tmp_path / "a.jsonl").read_text()
    if cap == 500:
        assert batched.dropped_lines > 0
