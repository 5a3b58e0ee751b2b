"""Faults on replayed HTTP streams: each puts the expected items on the wire, at the expected
moment, and what the errors send is valid against schemas/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from realtime_conformance.rtproto.scenario import parse_scenario
from realtime_conformance.rtproto.server.play import HttpScenario
from realtime_conformance.rtproto.server.play.faults import STREAM_SERVER_ERROR
from realtime_conformance.rtproto.server.realtime.outbox import (
    Abort,
    Close,
    Outgoing,
    Send,
    SendRaw,
)
from realtime_conformance.rtproto.validation import EventValidator
from tests.support.shared import require_shared
from tests.support.virtual_clock import VirtualClock

VALIDATOR = EventValidator()
END = Close(1000, "end of stream")
RESPONSES_TRACE = "vercel-ai-openai-reasoning-encrypted-content.1.stream4of4.jsonl"
CHAT_TRACE = "openai-python-max-tokens-length.4cc50a6135d2.jsonl"  # 4 chunks, then [DONE]
REQUEST = {"responses": "response.create", "chat": "chat.completions.create"}
BODY = {"model": "gpt-5", "stream": True, "input": "Hi", "messages": []}


def play(api: str, trace: str, faults: str) -> list[tuple[float, Outgoing]]:
    """The trace replayed (paced 10 ms) for a request at t=1, with `faults`."""
    path = require_shared("traces", api, trace)
    text = (
        f"id: 9.4.1\ntitle: T\nrequirement: The client MUST cope.\napi: {api}\npace_ms: 10\n"
        f"expect:\n  - when: {{type: {REQUEST[api]}}}\n"
        f"    reply: [{{replay: {{file: {json.dumps(str(path))}, timing: paced}}}}]\n"
        f"faults:\n{faults}"
    )
    stream = HttpScenario(parse_scenario(text), seed=5).open(BODY, 1.0)
    sent = VirtualClock(stream).run_out()
    assert stream.finished
    return sent


def recorded(api: str, trace: str) -> list[dict[str, Any]]:
    lines = Path(require_shared("traces", api, trace)).read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["event"] for line in lines if "event" in json.loads(line)]


def items(sent: list[tuple[float, Outgoing]]) -> list[Outgoing]:
    return [item for _, item in sent]


def names(sent: list[tuple[float, Outgoing]]) -> list[object]:
    def name(item: Outgoing) -> object:
        if isinstance(item, Send):
            return item.event.get("type") or item.event.get("object") or "error chunk"
        return item

    return [name(item) for _, item in sent]


NEVER = "  - {at_ms: 600000, abort: true}\n"


def test_unfaulted_the_replay_is_the_recording_then_the_end() -> None:
    sent = play("responses", RESPONSES_TRACE, NEVER)
    assert items(sent) == [*(Send(event) for event in recorded("responses", RESPONSES_TRACE)), END]
    chat = play("chat", CHAT_TRACE, NEVER)
    assert items(chat) == [*(Send(e) for e in recorded("chat", CHAT_TRACE)), SendRaw("[DONE]"), END]


def test_drop_after_the_third_delta_ends_the_stream_there() -> None:
    sent = play(
        "responses", RESPONSES_TRACE, "  - {after: response.output_text.delta, nth: 3, drop: {}}\n"
    )
    original = recorded("responses", RESPONSES_TRACE)
    assert items(sent) == [*(Send(event) for event in original[:7]), Close(1011, "")]
    assert sent[-1][0] == sent[-2][0] == pytest.approx(1.06)  # with the delta that fired it


def test_a_dropped_chat_stream_gets_no_done() -> None:
    sent = play("chat", CHAT_TRACE, "  - {after: chat.completion.chunk, nth: 3, drop: {}}\n")
    assert names(sent) == ["chat.completion.chunk"] * 3 + [Close(1011, "")]


def test_malform_sends_the_next_chunk_as_cut_json_and_the_rest_as_recorded() -> None:
    sent = play("chat", CHAT_TRACE, "  - {after: chat.completion.chunk, nth: 2, malform: next}\n")
    original = recorded("chat", CHAT_TRACE)
    raw = items(sent)[2]
    assert isinstance(raw, SendRaw) and isinstance(raw.data, str)
    assert json.dumps(original[2]).startswith(raw.data) and len(raw.data) > 10
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw.data)
    assert items(sent)[:2] == [Send(original[0]), Send(original[1])]
    assert items(sent)[3:] == [Send(original[3]), SendRaw("[DONE]"), END]


def test_abort_at_a_time_cuts_the_body_mid_stream() -> None:
    sent = play("responses", RESPONSES_TRACE, "  - {at_ms: 45, abort: true}\n")
    assert items(sent)[-1] == Abort() and len(sent) == 6  # events at 0, 10, ... 40 ms, then it
    assert sent[-1][0] == pytest.approx(1.045)


def test_reorder_holds_no_event_past_the_done_marker() -> None:
    sent = play("chat", CHAT_TRACE, "  - {after: chat.completion.chunk, nth: 2, reorder: 5}\n")
    original = recorded("chat", CHAT_TRACE)
    assert items(sent) == [
        *(Send(chunk) for chunk in original[:2]),
        Send(original[3]),
        Send(original[2]),
        SendRaw("[DONE]"),
        END,
    ]


def test_duplicate_and_delay_act_on_replayed_events() -> None:
    duplicated = play("chat", CHAT_TRACE, "  - {after: chat.completion.chunk, duplicate: next}\n")
    original = recorded("chat", CHAT_TRACE)
    assert items(duplicated)[:3] == [Send(original[0]), Send(original[1]), Send(original[1])]
    stalled = play("chat", CHAT_TRACE, "  - {after: chat.completions.create, delay_ms: 25}\n")
    assert [round(at - 1.0, 6) for at, _ in stalled] == [0.025, 0.025, 0.025, 0.03, 0.04, 0.04]


def test_server_error_fails_a_responses_replay_as_the_api_does() -> None:
    sent = play(
        "responses",
        RESPONSES_TRACE,
        "  - {after: response.output_text.delta, nth: 2, error: server_error}\n",
    )
    original = recorded("responses", RESPONSES_TRACE)
    *kept, error, failed, end = items(sent)
    assert kept == [Send(event) for event in original[:6]] and end == END
    assert isinstance(error, Send) and isinstance(failed, Send)
    assert error.event == {
        "type": "error",
        "error": {"type": "server_error", "code": "server_error", "message": STREAM_SERVER_ERROR,
                  "param": None},
        "code": "server_error",
        "message": STREAM_SERVER_ERROR,
        "param": None,
        "sequence_number": 6,
    }  # fmt: skip
    response = failed.event["response"]
    assert (failed.event["sequence_number"], response["status"]) == (7, "failed")
    assert response["id"] == original[1]["response"]["id"]  # the latest Response object sent
    assert response["error"] == {"code": "server_error", "message": STREAM_SERVER_ERROR}
    for event in (error.event, failed.event):
        assert VALIDATOR.validate(event, "responses") == []


def test_server_error_before_any_response_sends_the_error_alone() -> None:
    sent = play("responses", RESPONSES_TRACE, "  - {after: response.create, error: server_error}\n")
    assert names(sent) == ["error", END]
    assert items(sent)[0].event["sequence_number"] == 0  # type: ignore[union-attr]


def test_server_error_on_a_chat_replay_is_an_error_chunk_and_no_done() -> None:
    sent = play(
        "chat", CHAT_TRACE, "  - {after: chat.completion.chunk, nth: 2, error: server_error}\n"
    )
    assert names(sent) == ["chat.completion.chunk"] * 2 + ["error chunk", END]
    chunk = items(sent)[2]
    assert chunk == Send({"error": {"message": STREAM_SERVER_ERROR, "type": "server_error",
                                    "param": None, "code": None}})  # fmt: skip


def test_the_stream_error_text_is_the_simulated_models() -> None:
    from realtime_conformance.rtproto.server.chat.simulated_model import SERVER_ERROR as CHAT_ERROR
    from realtime_conformance.rtproto.server.responses.simulated_model import (
        SERVER_ERROR as RESPONSES_ERROR,
    )

    assert STREAM_SERVER_ERROR == CHAT_ERROR == RESPONSES_ERROR
