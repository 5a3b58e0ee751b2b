"""The HTTP APIs' simulated streams (Responses, Chat) are built as they are read (LazyEvents):
a stream's first events go out before the rest of a long answer is built, and reading the plan
whole gives the very events a stream gets."""

from __future__ import annotations

from typing import Any

import pytest

from realtime_conformance.mockserver.http_stream import PlannedStream
from realtime_conformance.rtproto.server.chat.service import ChatService
from realtime_conformance.rtproto.server.lazy_events import LazyEvents
from realtime_conformance.rtproto.server.pacing import Pacing, PlannedEvent
from realtime_conformance.rtproto.server.realtime.outbox import FIRST_BATCH, Send
from realtime_conformance.rtproto.server.responses.service import ResponsesService
from realtime_conformance.rtproto.server.responses.stream import StreamWriter

WORDS = 3_000
LONG = " ".join(f"w{k}" for k in range(WORDS))
NOW = 1_767_000_000.0


def count_emitted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A count of the Responses events written (StreamWriter.emit calls)."""
    count = [0]
    emit = StreamWriter.emit

    def counting(self: StreamWriter, event_type: str, **fields: Any) -> dict[str, Any]:
        count[0] += 1
        return emit(self, event_type, **fields)

    monkeypatch.setattr(StreamWriter, "emit", counting)
    return count


def responses_plan() -> LazyEvents:
    service = ResponsesService(1, Pacing.instant())
    stored = service.create({"model": "gpt-4.1", "input": "hi", "stream": True}, NOW, reply=LONG)
    events = stored.plan.events
    assert isinstance(events, LazyEvents)
    return events


def test_a_long_responses_stream_is_written_as_it_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emitted = count_emitted(monkeypatch)
    events = responses_plan()
    assert emitted[0] == 0
    first = [planned.event["type"] for _, planned in zip(range(5), events, strict=False)]
    assert first == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
    ]
    assert emitted[0] == 5  # written up to the first delta, not beyond
    assert len(events) == WORDS + 8 == emitted[0]  # read whole: the rest, once
    assert [p.event["sequence_number"] for p in events] == list(range(WORDS + 8))


def test_the_stream_sends_the_first_events_before_the_rest_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emitted = count_emitted(monkeypatch)
    stream = PlannedStream(responses_plan(), 5.0, done=False)
    first = [item.event["type"] for item in stream.due(5.0) if isinstance(item, Send)]
    assert len(first) == FIRST_BATCH
    assert emitted[0] <= FIRST_BATCH + 2  # the batch, one ahead, the delta being written
    deadline = stream.next_deadline()
    assert deadline is not None
    assert deadline <= 5.0  # the rest is due: the pump asks again at once


def chat_plan(seed: int) -> LazyEvents:
    body = {"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    chunks = ChatService(seed, Pacing.instant()).create(body, NOW, reply=LONG).chunks
    assert isinstance(chunks, LazyEvents)
    return chunks


def test_a_long_chat_stream_is_built_as_it_is_read() -> None:
    chunks = chat_plan(2)
    assert chunks.built == 0
    stream = PlannedStream(chunks, 5.0, done=True)
    assert len(stream.due(5.0)) == FIRST_BATCH
    assert chunks.built == FIRST_BATCH + 1  # one built ahead
    assert len(chunks) == WORDS + 2  # the role, one per word, the finish
    assert chunks == tuple(chat_plan(2))  # built on the way or at once: the same chunks


def test_lazy_events_read_as_a_sequence() -> None:
    made: list[int] = []

    def planned() -> Any:
        for k in range(10):
            made.append(k)
            yield PlannedEvent(k / 10, {"k": k})

    events = LazyEvents(planned())
    assert events[2].event == {"k": 2}
    assert made == [0, 1, 2]
    assert [p.event["k"] for p in events][:4] == [0, 1, 2, 3]
    assert events[-1].event == {"k": 9}
    assert events[8:] == [PlannedEvent(0.8, {"k": 8}), PlannedEvent(0.9, {"k": 9})]
    assert made == list(range(10))
    assert events == tuple(PlannedEvent(k / 10, {"k": k}) for k in range(10))
