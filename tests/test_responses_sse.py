"""SSE framing (rtproto.sse): the Responses frames, and the incremental parser's edge cases."""

from __future__ import annotations

import pytest

from realtime_conformance.rtproto import sse
from realtime_conformance.rtproto.server.pacing import Pacing
from realtime_conformance.rtproto.server.responses.service import ResponsesService
from tests.support.apps import NOW

EVENT = {"type": "response.output_text.delta", "sequence_number": 5, "delta": "café ☕"}


def test_a_responses_frame_names_the_event_and_carries_compact_json() -> None:
    assert (
        sse.encode_event(EVENT)
        == (
            "event: response.output_text.delta\n"
            'data: {"type":"response.output_text.delta","sequence_number":5,"delta":"café ☕"}\n\n'
        ).encode()
    )


def test_a_whole_stream_survives_any_chunking() -> None:
    plan = (
        ResponsesService(1, Pacing.instant())
        .create({"model": "gpt-4.1", "input": "Ünïcödé, please: ☕"}, NOW)
        .plan
    )
    events = [planned.event for planned in plan.events]
    body = b"".join(sse.encode_event(event) for event in events)
    for size in (1, 2, 3, 7, 64, len(body)):
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        messages = sse.parse_stream(chunks)
        assert [m.event for m in messages] == [event["type"] for event in events]
        assert [m.json() for m in messages] == events


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_line_ending_is_accepted(newline: str) -> None:
    text = f"event: a{newline}data: 1{newline}{newline}data: 2{newline}{newline}"
    parser = sse.SseParser()
    messages = [m for ch in text.encode() for m in parser.feed(bytes([ch]))] + parser.close()
    assert [(m.event, m.data) for m in messages] == [("a", "1"), (None, "2")]


def test_comments_multiline_data_bom_and_a_missing_space() -> None:
    text = "\ufeff: keep-alive\n\nid: 7\ndata:first\ndata: second\nretry: 10\nevent:x\n\n"
    (message,) = sse.parse_stream([text.encode()])
    assert (message.event, message.data, message.id) == ("x", "first\nsecond", "7")


def test_an_unterminated_message_is_discarded_and_no_data_means_no_message() -> None:
    assert sse.parse_stream([b"event: lonely\n\n", b"data: cut off"]) == []


def test_the_chat_end_marker() -> None:
    (message,) = sse.parse_stream([sse.DONE_FRAME])
    assert message.is_done and message.event is None
    assert sse.encode_data({"a": 1}) == b'data: {"a":1}\n\n'
    assert sse.parse_stream([sse.encode_comment("ping")]) == []
