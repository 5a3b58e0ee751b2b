"""The carrier's playout model on synthetic call-wire recordings: exact arithmetic."""

from __future__ import annotations

from typing import Any

import pytest

from realtime_conformance.conformance.call.playout import CarrierPlayout, playout_of_records
from realtime_conformance.rtproto.telephony import pcm16, twilio

SID = "MZtest"
START = {"t_ms": 0.0, "dir": "server", "wire": "call",
         "event": twilio.CallSide(SID, "CAtest", "ACtest").start()}  # fmt: skip


def twilio_call(*records: dict[str, Any]) -> list[dict[str, Any]]:
    return [START, *records]


def media(t_ms: float, ms: int = 20) -> dict[str, Any]:
    payload = bytes(twilio.AUDIO_FORMAT.bytes_for_ms(ms))
    return {"t_ms": t_ms, "dir": "client", "wire": "call",
            "event": twilio.bridge_media(SID, payload)}  # fmt: skip


def mark(t_ms: float, name: str) -> dict[str, Any]:
    return {"t_ms": t_ms, "dir": "client", "wire": "call", "event": twilio.bridge_mark(SID, name)}


def clear(t_ms: float) -> dict[str, Any]:
    return {"t_ms": t_ms, "dir": "client", "wire": "call", "event": twilio.bridge_clear(SID)}


def test_real_time_frames_play_back_to_back_without_gaps() -> None:
    playout = playout_of_records(twilio_call(*(media(20.0 * k) for k in range(5))))
    assert [(f.start_ms, f.end_ms) for f in playout.frames] == [
        (0.0, 20.0), (20.0, 40.0), (40.0, 60.0), (60.0, 80.0), (80.0, 100.0)
    ]  # fmt: skip
    assert playout.gaps() == []
    assert playout.heard_ms() == 100.0
    assert playout.max_backlog_ms() == 20.0


def test_a_burst_queues_and_builds_a_backlog() -> None:
    playout = playout_of_records([START, media(0.0), media(1.0), media(2.0), media(3.0)])
    assert [f.start_ms for f in playout.frames] == [0.0, 20.0, 40.0, 60.0]
    assert [queued for _, queued in playout.backlog] == [20.0, 39.0, 58.0, 77.0]
    assert playout.heard_ms(until_ms=50.0) == 50.0


def test_a_late_frame_leaves_a_gap_an_underrun() -> None:
    playout = playout_of_records([START, media(0.0), media(20.0), media(65.0)])
    gaps = playout.gaps()
    assert [(g.start_ms, g.end_ms, g.after_clear) for g in gaps] == [(40.0, 65.0, False)]
    assert playout.gaps(min_ms=25.0) == []


def test_clear_cuts_the_playing_frame_and_drops_the_queue() -> None:
    records = [media(0.0), media(0.0), media(0.0), media(0.0), clear(30.0), media(50.0)]
    playout = playout_of_records(twilio_call(*records))
    frames = playout.frames
    assert (frames[0].end_ms, frames[0].dropped) == (20.0, False)
    assert (frames[1].start_ms, frames[1].end_ms, frames[1].heard_ms) == (20.0, 30.0, 10.0)
    assert frames[2].dropped and frames[3].dropped and frames[2].heard_ms == 0.0
    assert frames[4].start_ms == 50.0  # the buffer was empty again after the clear
    assert playout.heard_ms() == 50.0
    assert [(g.start_ms, g.end_ms, g.after_clear) for g in playout.gaps()] == [(30.0, 50.0, True)]


def test_marks_echo_when_the_audio_before_them_has_played() -> None:
    records = [media(0.0), media(0.0), mark(1.0, "a"), mark(60.0, "idle"), media(61.0)]
    playout = playout_of_records(twilio_call(*records))
    assert [(m.name, m.echoed_ms, m.by_clear) for m in playout.marks] == [
        ("a", 40.0, False),
        ("idle", 60.0, False),
    ]


def test_malformed_messages_count_for_nothing_as_at_the_live_call() -> None:
    wrong_sid = {**media(0.0), "event": twilio.bridge_media("MZother", bytes(160))}
    odd = {"t_ms": 0.0, "dir": "client", "wire": "call", "event": {"event": "media"}}
    binary = {"t_ms": 0.0, "dir": "client", "wire": "call",
              "frame": {"opcode": "BINARY", "size_bytes": 160}}  # fmt: skip
    assert playout_of_records(twilio_call(wrong_sid, odd, binary, media(5.0))).heard_ms() == 20.0


def test_a_recording_without_the_calls_start_is_refused() -> None:
    with pytest.raises(ValueError, match="no `start`"):
        playout_of_records([media(0.0)])


def test_clear_echoes_pending_marks_at_once() -> None:
    records = [media(0.0), media(0.0), media(0.0), mark(2.0, "end"), clear(25.0)]
    (end,) = playout_of_records(twilio_call(*records)).marks
    assert (end.echoed_ms, end.by_clear) == (25.0, True)


def test_live_use_takes_each_due_mark_once() -> None:
    model = CarrierPlayout()
    model.frame(0.0, 20.0)
    model.mark(1.0, "first")
    model.frame(2.0, 20.0)
    model.mark(3.0, "second")
    assert model.next_echo_ms() == 20.0
    assert model.due_marks(19.9) == []
    assert [m.name for m in model.due_marks(20.0)] == ["first"]
    assert model.due_marks(30.0) == []
    assert [m.name for m in model.clear(30.0)] == ["second"]
    assert model.next_echo_ms() is None


def test_raw_pcm16_binary_frames_count_by_size() -> None:
    frame = {"opcode": "BINARY", "size_bytes": pcm16.FRAME_BYTES}
    records: list[dict[str, Any]] = [
        {"t_ms": 0.0, "dir": "server", "wire": "call", "event": pcm16.start()},
        {"t_ms": 0.0, "dir": "client", "wire": "call", "frame": frame},
        {"t_ms": 0.0, "dir": "client", "wire": "call", "frame": frame},
        {"t_ms": 5.0, "dir": "server", "wire": "call", "frame": frame},  # the caller's audio
        {"t_ms": 5.0, "dir": "client", "event": {"type": "x"}},  # the OpenAI wire
        {"t_ms": 10.0, "dir": "client", "wire": "call", "event": pcm16.clear()},
    ]
    playout = playout_of_records(records)
    assert [(f.start_ms, f.end_ms, f.dropped) for f in playout.frames] == [
        (0.0, 10.0, False), (20.0, 20.0, True)
    ]  # fmt: skip
