"""The SSE parser reads the real recorded Chat streams byte for byte; the encoder writes the same
framing."""

from __future__ import annotations

import json

import pytest

from realtime_conformance.rtproto import sse
from tests.support.shared import shared_dir
from tests.support.streams import chat_frames, trace_events

CHAT = shared_dir() / "traces" / "chat"
RECORDINGS = sorted(path.stem for path in CHAT.glob("*.sse")) if CHAT.exists() else []


def test_the_recordings_are_there() -> None:
    from tests.support.shared import require_shared

    require_shared("traces", "chat")
    assert len(RECORDINGS) >= 10


@pytest.mark.parametrize("name", RECORDINGS)
def test_a_recorded_stream_parses_into_its_chunks_then_done(name: str) -> None:
    raw = (CHAT / f"{name}.sse").read_bytes()
    messages = sse.parse_stream([raw[i : i + 97] for i in range(0, len(raw), 97)])
    assert messages[-1].is_done
    assert [json.loads(m.data) for m in messages[:-1]] == trace_events(CHAT / f"{name}.jsonl")


def frames(body: bytes) -> list[bytes]:
    return body.split(b"\n\n")


@pytest.mark.parametrize("name", RECORDINGS)
def test_the_encoder_writes_the_recorded_framing(name: str) -> None:
    """Frame for frame the same bytes, but for how small floats are spelled (Python writes
    `-3.4121115e-06` and `-3.3809047e-05` where the server wrote `-3.4121115e-6` and
    `-0.000033809047`)."""
    raw = frames((CHAT / f"{name}.sse").read_bytes())
    mine = frames(chat_frames(trace_events(CHAT / f"{name}.jsonl")))
    assert len(mine) == len(raw) and mine[-2:] == raw[-2:] == [b"data: [DONE]", b""]
    for ours, theirs in zip(mine[:-2], raw[:-2], strict=True):
        assert ours.startswith(b"data: {") and theirs.startswith(b"data: {")
        assert json.loads(ours[6:]) == json.loads(theirs[6:])
        if b"e-" not in theirs + ours:
            assert ours == theirs
