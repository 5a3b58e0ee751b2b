"""The grammar on the simulated model's own streams: what the mock sends passes the server-stream
check (a harness self-check), and the client-side rules see exactly the client bug a test plays.

The session runs sans-I/O on a virtual clock (tests/support/engine.py); client events are
recorded when delivered, server events when due, on one timeline, as the mock records them.
"""

from __future__ import annotations

from typing import Any

from realtime_conformance.conformance.checks.registry import CheckContext, Failure, run_checks
from realtime_conformance.conformance.recording import CaseRecording
from realtime_conformance.rtproto.server.realtime.outbox import Send
from realtime_conformance.rtproto.server.realtime.timing import Timing
from tests.support.engine import EngineDriver, session_update, user_text

REAL = Timing.realistic()
ALL_ORDER = [
    "order.server_stream",
    "order.session_before_use",
    "order.one_response_at_a_time",
    "order.ids_exist",
    "order.truncate_delivered_audio",
    "order.unique_event_ids",
]


class RecordedSession:
    def __init__(self, **options: Any) -> None:
        self.driver = EngineDriver(timing=REAL, **options)
        self.client: list[tuple[float, dict[str, Any]]] = []

    def send(self, event: dict[str, Any], at: float) -> None:
        self.client.append((at, event))
        self.driver.send(event, at=at)

    def recording(self) -> CaseRecording:
        self.driver.settle()
        lines = [(at, 0, "client", event) for at, event in self.client]
        lines += [
            (at, 1, "server", item.event) for at, item in self.driver.sent if isinstance(item, Send)
        ]
        lines.sort(key=lambda line: (line[0], line[1]))
        return CaseRecording.from_dicts(
            {"t_ms": round(at * 1000, 1), "dir": side, "event": event}
            for at, _, side, event in lines
        )


def judge(session: RecordedSession) -> list[Failure]:
    return run_checks(CheckContext("sim", "simulated", session.recording()), ALL_ORDER)


def test_text_and_audio_turns_pass() -> None:
    s = RecordedSession()
    s.send(session_update(output_modalities=["text"]), at=0.1)
    s.send(user_text("Hello"), at=0.2)
    s.send({"type": "response.create"}, at=0.3)
    s.send(session_update(output_modalities=["audio"]), at=10.0)
    s.send(user_text("And now aloud"), at=10.1)
    s.send({"type": "response.create"}, at=10.2)
    recording = s.recording()
    types = [entry.type for entry in recording.server_events()]
    assert "response.output_text.delta" in types and "response.output_audio.delta" in types
    assert judge(s) == []


def cancelled_story(audio_end_ms: int) -> RecordedSession:
    """An audio answer cancelled after 0.9 s, then truncated at `audio_end_ms`."""
    s = RecordedSession()
    s.send(user_text("Tell me a long story"), at=0.1)
    s.send({"type": "response.create"}, at=0.2)
    s.send({"type": "response.cancel"}, at=0.9)
    s.driver.advance(1.0)
    [added] = s.driver.of_type("response.output_item.added")
    assert s.driver.of_type("response.output_audio.delta"), "no audio before the cancel"
    truncate = {"item_id": added["item"]["id"], "content_index": 0, "audio_end_ms": audio_end_ms}
    s.send({"type": "conversation.item.truncate", **truncate}, at=1.1)
    return s


def test_a_cancelled_response_and_a_truncate_within_its_audio_pass() -> None:
    s = cancelled_story(audio_end_ms=0)
    done = [e.event or {} for e in s.recording().server_events() if e.type == "response.done"]
    assert done and done[0]["response"]["status"] == "cancelled"
    assert judge(s) == []


def test_truncating_past_the_audio_the_mock_sent_is_caught() -> None:
    [failure] = judge(cancelled_story(audio_end_ms=60_000))
    assert failure.check == "order.truncate_delivered_audio"
    assert "is already shorter than 60000ms" in failure.actual


def test_a_second_response_create_is_the_clients_breach_alone() -> None:
    s = RecordedSession()
    s.send(user_text("Hello there"), at=0.1)
    s.send({"type": "response.create"}, at=1.0)
    s.send({"type": "response.create"}, at=1.1)
    failures = judge(s)
    assert [failure.check for failure in failures] == ["order.one_response_at_a_time"]
