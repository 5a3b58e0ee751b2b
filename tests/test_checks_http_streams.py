"""The Responses and Chat stream grammar: a well-formed stream passes, each breach is named."""

from __future__ import annotations

from typing import Any

from tests.support.recordings import RecordingBuilder, judge

RESPONSES, CHAT = ["order.responses_stream"], ["order.chat_stream"]


def responses(*types: str, skip: int | None = None) -> RecordingBuilder:
    b = RecordingBuilder(handshake=False)
    for number, kind in enumerate(types):
        if number == skip:
            continue
        event: dict[str, Any] = {"type": kind, "sequence_number": number}
        if kind == "response.output_item.added":
            event["item"] = {"id": "msg_1", "type": "message"}
        elif kind.startswith("response.output_text"):
            event["item_id"] = "msg_1"
        b.line("server", "event", event)
    return b


TEXT = (
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.completed",
)


def test_a_well_formed_responses_stream_passes() -> None:
    assert judge(responses(*TEXT), RESPONSES) == []
    assert judge(responses(*TEXT, *TEXT), RESPONSES) == []  # two streams, one after the other


def test_responses_stream_breaches_are_named() -> None:
    [gap] = judge(responses(*TEXT, skip=1), RESPONSES)
    assert gap.actual == "sequence_number 2" and gap.expected == ("sequence_number 1",)
    early = ("response.created", "response.output_text.delta", "response.completed")
    [orphan] = judge(responses(*early), RESPONSES)
    assert orphan.actual == "response.output_text.delta for item msg_1, never added"
    [unended] = judge(responses(*TEXT[:-1]), RESPONSES)
    assert unended.actual == "the stream ended without a terminal event"
    [after] = judge(responses(*TEXT, "response.output_text.delta"), RESPONSES)
    assert after.actual == "response.output_text.delta after the stream's terminal event"


def chat(*chunks: dict[str, Any], done: bool = True) -> RecordingBuilder:
    b = RecordingBuilder(handshake=False)
    for chunk in chunks:
        b.line("server", "event", {"id": "c1", "object": "chat.completion.chunk", **chunk})
    if done:
        b.line("server", "done", True)
    return b


def choice(content: str | None = None, finish: str | None = None) -> dict[str, Any]:
    delta = {"content": content} if content is not None else {}
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


USAGE = {"choices": [], "usage": {"total_tokens": 3}}


def test_a_well_formed_chat_stream_passes() -> None:
    assert judge(chat(choice("Hi"), choice(finish="stop"), USAGE), CHAT) == []


def test_chat_stream_breaches_are_named() -> None:
    [no_done] = judge(chat(choice("Hi"), choice(finish="stop"), done=False), CHAT)
    assert no_done.actual == "the stream ended without it"
    [late] = judge(chat(choice(finish="stop"), choice("more")), CHAT)
    assert late.actual == "a chunk for choice 0 after its finish_reason"
    [after_usage] = judge(chat(choice("Hi"), USAGE, choice(finish="stop")), CHAT)
    assert after_usage.actual == "a chunk after the usage chunk"
    [other_id] = judge(chat(choice("Hi"), {"id": "c2", **choice(finish="stop")}), CHAT)
    assert other_id.actual == "chunk id c2"


def cut_then(path: str | None, query: str = "") -> RecordingBuilder:
    b = RecordingBuilder(handshake=False)
    b.meta({"kind": "http_request", "method": "POST", "path": "/v1/responses", "body": {}})
    created = {"type": "response.created", "sequence_number": 0, "response": {"id": "resp_1"}}
    b.at(10).line("server", "event", created)
    b.line("server", "event", {"type": "response.in_progress", "sequence_number": 1})
    if path is not None:
        b.at(500).meta({"kind": "http_request", "method": "GET", "path": path, "query": query})
    return b


def test_a_cut_responses_stream_is_resumed_where_it_stopped() -> None:
    check = ["resilience.resumes_stream"]
    good = cut_then("/v1/responses/resp_1", "stream=true&starting_after=1")
    assert judge(good, check) == []
    [wrong] = judge(cut_then("/v1/responses/resp_1", "stream=true&starting_after=0"), check)
    assert wrong.actual == "resumed with starting_after=0"
    [restart] = judge(cut_then("/v1/responses"), check)
    assert restart.actual == "a request to /v1/responses instead"
    [none] = judge(cut_then(None), check)
    assert none.actual == "timeout: no request after the cut"
    assert none.expected == ("GET /v1/responses/resp_1?stream=true&starting_after=1",)
