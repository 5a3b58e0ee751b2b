"""Reading a transcript for replay: which lines are replayed, with which times, and a Realtime
capture replayed by the ScenarioPlayer with its recorded gaps."""

from __future__ import annotations

import json

import pytest

from realtime_conformance.rtproto.scenario import parse_scenario, recording_of, replay_events
from realtime_conformance.rtproto.scenario.recording import RecordingError
from realtime_conformance.rtproto.server.play import ScenarioPlayer
from realtime_conformance.rtproto.server.realtime.outbox import Send
from tests.support.shared import require_shared
from tests.support.virtual_clock import BehaviourClock

P08 = ("traces", "realtime-ga", "capture-2026-09-18-p08-text-session-with-errors.jsonl")


def test_only_whole_server_events_are_replayed_with_their_recorded_times() -> None:
    replayed = replay_events(require_shared(*P08))
    # meta lines, client events, non-JSON client frames and `partial` summaries are left out
    assert [(t_ms, event["type"]) for t_ms, event in replayed][:6] == [
        (1433.9, "response.created"),
        (1630.3, "response.output_text.delta"),
        (1636.3, "response.output_text.delta"),
        (None, "response.output_text.delta"),
        (None, "response.output_text.delta"),
        (1666.1, "response.output_text.delta"),
    ]
    assert [event["type"] for _, event in replayed][6:] == ["rate_limits.updated"] + ["error"] * 4


def lines(*records: object) -> list[str]:
    return [json.dumps(record) for record in records]


def test_a_chat_done_line_ends_the_recording_and_bare_events_count() -> None:
    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [],
    }
    done = {"dir": "server", "t_ms": 7, "done": True}
    recording = recording_of([*lines(chunk, done, {"dir": "server", "event": chunk}), ""])
    assert [replayed.event for replayed in recording.events] == [chunk]
    assert (recording.done, recording.done_t_ms, recording.events[0].line) == (True, 7.0, 1)


def test_a_line_that_is_not_json_is_reported_with_its_number() -> None:
    with pytest.raises(RecordingError, match=r"^line 2: not JSON") as caught:
        recording_of([*lines({"type": "error"}), "{nope"])
    assert caught.value.line == 2


def test_a_realtime_capture_replays_with_its_recorded_gaps() -> None:
    path = require_shared(*P08)
    scenario = parse_scenario(
        "id: 9.5.1\ntitle: T\nrequirement: The client MUST cope.\ndialects: [ga]\n"
        f"on_start: [{{replay: {{file: {json.dumps(str(path))}}}}}]\n"
    )
    clock = BehaviourClock(ScenarioPlayer(scenario))
    clock.start(10.0)
    clock.run_out()
    sent = clock.sent
    assert [item.event for _, item in sent if isinstance(item, Send)] == [
        event for _, event in replay_events(path)
    ]
    offsets = [round((at - 10.0) * 1000, 1) for at, _ in sent]
    # recorded gaps; no pace (0) into and out of the two deltas the capture gives no time
    assert offsets[:8] == [0.0, 196.4, 202.4, 202.4, 202.4, 202.4, 251.9, 475.4]
