"""Order and state checks: a correct client passes each; the client bug each is about fails it."""

from __future__ import annotations

from realtime_conformance.conformance.checks.registry import Failure, format_failure
from tests.support.recordings import RecordingBuilder, judge

ORDER_CHECKS = [
    "order.session_before_use",
    "order.one_response_at_a_time",
    "order.tool_output_before_response",
    "order.truncate_delivered_audio",
    "order.ids_exist",
    "order.unique_event_ids",
    "order.server_stream",
]


def only(failures: list[Failure], name: str) -> Failure:
    assert [failure.check for failure in failures] == [name], failures
    return failures[0]


def text_turns() -> RecordingBuilder:
    b = RecordingBuilder().session()
    b.wait(10).user_text().client("response.create")
    b.wait(100).server("conversation.item.added", item={"id": "item_u1", "type": "message"})
    b.text_response("resp_1", "item_a1")
    b.wait(10).user_text("again").client("response.create")
    return b.wait(100).text_response("resp_2", "item_a2")


def test_a_correct_text_conversation_passes_every_order_check() -> None:
    assert judge(text_turns(), ORDER_CHECKS) == []


def test_events_before_session_created_fail_session_before_use() -> None:
    b = RecordingBuilder()
    b.client("session.update", session={"type": "realtime"})  # tolerated
    b.user_text().client("response.create")
    b.wait(50).server("session.created", session={"id": "sess_1"})
    failure = only(judge(b, ORDER_CHECKS), "order.session_before_use")
    assert "conversation.item.create sent before" in failure.actual
    assert "session.created" in failure.requirement


def test_second_response_create_while_one_is_active_fails() -> None:
    b = RecordingBuilder().session()
    b.user_text().client("response.create")
    b.wait(100).response_created("resp_1")
    b.wait(10).client("response.create")  # the bug: resp_1 has not ended
    b.wait(10).server(
        "error",
        error={"type": "invalid_request_error", "code": "conversation_already_has_active_response"},
    )
    failure = only(judge(b, ORDER_CHECKS), "order.one_response_at_a_time")
    assert "resp_1 in progress" in failure.actual
    assert "MUST NOT send response.create while a response" in failure.requirement


def test_second_create_before_the_first_is_answered_fails_too() -> None:
    b = RecordingBuilder().session()
    b.user_text().client("response.create").client("response.create")
    failure = only(judge(b, ["order.one_response_at_a_time"]), "order.one_response_at_a_time")
    assert "unanswered create" in failure.actual


def test_out_of_band_response_may_overlap() -> None:
    b = RecordingBuilder().session()
    b.user_text().client("response.create")
    b.wait(100).response_created("resp_1")
    b.client("response.create", response={"conversation": "none"})
    assert judge(b, ["order.one_response_at_a_time"]) == []


def tool_turn() -> RecordingBuilder:
    b = RecordingBuilder().session()
    b.user_text().client("response.create")
    return b.wait(100).call_response("resp_1", "item_fc", "call_1")


def test_tool_output_then_response_create_passes() -> None:
    b = tool_turn().wait(10).tool_output("call_1").client("response.create")
    b.wait(100).text_response("resp_2", "item_a2")
    assert judge(b, ORDER_CHECKS) == []


def test_response_create_before_function_call_output_fails() -> None:
    b = tool_turn().wait(10).client("response.create")
    b.wait(100).text_response("resp_2", "item_a2").tool_output("call_1")
    failure = only(judge(b, ORDER_CHECKS), "order.tool_output_before_response")
    assert "call_1" in failure.actual and "no function_call_output" in failure.actual
    assert "before the follow-up response.create" in failure.requirement


def test_output_for_an_unknown_call_and_a_second_output_fail() -> None:
    b = tool_turn().wait(10).tool_output("call_nope").tool_output("call_1").tool_output("call_1")
    failures = judge(b, ["order.tool_output_before_response"])
    assert [f.actual for f in failures] == [
        "function_call_output for call_id 'call_nope', which the server never called",
        "function_call_output number 2 for call_id call_1",
    ]


def audio_turn(ms: float = 1000) -> RecordingBuilder:
    b = RecordingBuilder().session()
    b.user_text().client("response.create")
    return b.wait(100).audio_response("resp_1", "item_a1", ms)


def test_truncate_within_the_audio_sent_passes() -> None:
    b = audio_turn().wait(300)
    b.client("conversation.item.truncate", item_id="item_a1", content_index=0, audio_end_ms=640)
    b.server("conversation.item.truncated", item_id="item_a1", content_index=0, audio_end_ms=640)
    assert judge(b, ORDER_CHECKS) == []


def test_truncate_past_the_audio_sent_fails_with_the_real_error_text() -> None:
    b = audio_turn(1000).wait(300)
    b.client("conversation.item.truncate", item_id="item_a1", content_index=0, audio_end_ms=2535)
    failure = only(judge(b, ORDER_CHECKS), "order.truncate_delivered_audio")
    assert "Audio content of 1000ms is already shorter than 2535ms" in failure.actual
    assert failure.expected == (
        "0 <= audio_end_ms <= 1000 (the audio of item item_a1 sent so far)",
    )


def test_truncate_of_a_text_item_or_negative_end_fails() -> None:
    b = text_turns()
    b.client("conversation.item.truncate", item_id="item_a1", content_index=0, audio_end_ms=0)
    failure = only(judge(b, ORDER_CHECKS), "order.truncate_delivered_audio")
    assert "0 audio delta(s) sent" in failure.actual
    b = audio_turn()
    b.client("conversation.item.truncate", item_id="item_a1", content_index=0, audio_end_ms=-11)
    assert (
        "audio_end_ms -11" in only(judge(b, ORDER_CHECKS), "order.truncate_delivered_audio").actual
    )


def test_ids_that_do_not_exist_fail() -> None:
    b = text_turns()
    b.client("conversation.item.delete", item_id="item_a1")
    b.server("conversation.item.deleted", item_id="item_a1")
    b.client("conversation.item.retrieve", item_id="item_a1")  # deleted
    b.client("conversation.item.truncate", item_id="item_zz", content_index=0, audio_end_ms=0)
    b.client("response.cancel", response_id="resp_zz")
    failures = judge(b, ORDER_CHECKS)
    assert {f.check for f in failures} == {"order.ids_exist"}
    assert [f.actual.split(",")[0] for f in failures] == [
        "item_id 'item_a1'",
        "item_id 'item_zz'",
        "response.cancel for response_id 'resp_zz'",
    ]


def test_reused_event_ids_are_a_should_failure() -> None:
    b = RecordingBuilder().session()
    b.line("client", "event", {"type": "input_audio_buffer.clear", "event_id": "dup"})
    b.line("client", "event", {"type": "input_audio_buffer.clear", "event_id": "dup"})
    failure = only(judge(b, ORDER_CHECKS), "order.unique_event_ids")
    assert failure.level == "SHOULD" and "'dup'" in failure.actual


def test_server_stream_breaches_are_named() -> None:
    b = RecordingBuilder().session()
    b.response_created("resp_1").response_created("resp_2")
    ids = {"response_id": "resp_1", "item_id": "item_x", "output_index": 0, "content_index": 0}
    b.server("response.output_audio.delta", **ids, delta="AAAA")
    b.response_done("resp_1").response_done("resp_1")
    actual = [f.actual for f in judge(b, ["order.server_stream"])]
    assert actual == [
        "response.created while resp_1 is still in progress",
        "response.output_audio.delta for item item_x, never added in this response",
        "response.done for response resp_1, which had already ended with response.done",
    ]


def test_delta_after_its_parts_done_and_item_done_with_open_part() -> None:
    b = RecordingBuilder().session().response_created("r")
    item = {"id": "i", "type": "message", "role": "assistant"}
    ids = {"response_id": "r", "item_id": "i", "output_index": 0, "content_index": 0}
    b.server("response.output_item.added", response_id="r", item=item)
    b.server("response.content_part.added", **ids, part={"type": "text"})
    b.server("response.output_text.done", **ids, text="")
    b.server("response.output_text.delta", **ids, delta="late")
    b.server("response.output_item.done", response_id="r", item=item).response_done("r")
    rules = [f.actual for f in judge(b, ["order.server_stream"])]
    assert rules == [
        "response.output_text.delta after response.output_text.done of the same part",
        "response.output_item.done for item i with a part still open",
    ]


def test_beta_names_are_read_as_ga() -> None:
    b = RecordingBuilder(dialect="beta").session({"output_audio_format": "g711_ulaw"})
    b.user_text().client("response.create").response_created("r")
    item = {"id": "i", "type": "message", "role": "assistant"}
    ids = {"response_id": "r", "item_id": "i", "output_index": 0, "content_index": 0}
    b.server("response.output_item.added", response_id="r", item=item)
    b.server("conversation.item.created", item=item)
    b.server("response.content_part.added", **ids, part={"type": "audio"})
    b.server("response.audio.delta", **ids, delta="A" * 1068)  # 800 bytes of mu-law: 100 ms
    b.server("response.audio.done", **ids)
    b.server("response.content_part.done", **ids, part={"type": "audio"})
    b.server("response.output_item.done", response_id="r", item=item).response_done("r")
    b.client("conversation.item.truncate", item_id="i", content_index=0, audio_end_ms=150)
    failure = only(judge(b, ORDER_CHECKS, dialect="beta"), "order.truncate_delivered_audio")
    assert "Audio content of 100ms" in failure.actual  # counted in the session's G.711 format


def test_failure_text_has_the_five_parts() -> None:
    b = audio_turn(1000)
    b.client("conversation.item.truncate", item_id="item_a1", content_index=0, audio_end_ms=2535)
    failure = only(judge(b, ORDER_CHECKS), "order.truncate_delivered_audio")
    text = format_failure("5.4.2", "Truncate on barge-in", failure, "pytest conformance ...")
    lines = text.splitlines()
    assert lines[0] == "5.4.2 Truncate on barge-in"
    assert "MUST truncate only an assistant audio item" in lines[1]
    assert lines[2].startswith("  Expected: 0 <= audio_end_ms <= 1000")
    assert lines[3].startswith("  Actual: audio_end_ms 2535") and "(at " in lines[3]
    assert lines[-1] == "  Reproduce: pytest conformance ..."


def test_responses_websocket_and_http_streams_are_not_judged_as_realtime() -> None:
    b = RecordingBuilder(handshake=False)
    b.meta({"kind": "handshake", "http_status": 101, "path": "/v1/responses"})
    b.line("client", "event", {"type": "response.create", "model": "gpt-4o", "input": "hi"})
    b.line("server", "event", {"type": "response.created", "sequence_number": 0})
    b.line("client", "event", {"type": "response.create", "model": "gpt-4o", "input": "more"})
    assert judge(b, ORDER_CHECKS) == []


def test_a_reconnection_starts_a_new_session() -> None:
    b = RecordingBuilder().session()
    b.user_text().client("response.create").wait(100).response_created("resp_1")
    b.wait(100).close("server", 1011, "dropped mid-response")
    b.wait(500).meta({"kind": "handshake", "http_status": 101, "request_headers": {}})
    b.session().user_text().client("response.create")
    b.wait(100).text_response("resp_2", "item_a2")
    assert judge(b, ORDER_CHECKS) == []
