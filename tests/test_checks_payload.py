"""Payload checks: valid client events and request bodies pass; each kind of invalid one fails."""

from __future__ import annotations

from typing import Any

from tests.support.recordings import RecordingBuilder, judge

CHECK = "payload.client_events"


def test_valid_ga_events_pass() -> None:
    b = RecordingBuilder().session()
    b.user_text().client("response.create").append(100)
    assert judge(b, [CHECK, "payload.http_requests"]) == []


def test_invalid_session_update_fails_naming_the_field() -> None:
    b = RecordingBuilder()
    b.server("session.created", session={"id": "s"})
    b.client("session.update", session={"type": "realtime", "bogus_field": 1})
    [failure] = judge(b, [CHECK])
    assert failure.check == CHECK and failure.level == "MUST"
    assert "$.session.bogus_field" in failure.actual
    assert "valid against the schema" in failure.requirement


def test_the_dialect_of_the_case_decides() -> None:
    beta_session = {"modalities": ["text"], "input_audio_format": "g711_ulaw"}
    b = RecordingBuilder(dialect="beta")
    b.server("session.created", session={"id": "s"})
    b.client("session.update", session=beta_session)
    assert judge(b, [CHECK], dialect="beta") == []
    failures = judge(b, [CHECK], dialect="ga")
    assert failures and all(f.check == CHECK for f in failures)


def test_non_json_frames_fail() -> None:
    b = RecordingBuilder().session()
    b.client_frame({"opcode": "TEXT", "data": "not json"})
    b.client_frame({"opcode": "BINARY", "size_bytes": 64})
    actual = [f.actual for f in judge(b, [CHECK])]
    assert actual == [
        "a text frame of 8 bytes that is no JSON event",
        "a binary frame of 64 bytes that is no JSON event",
    ]


def test_unknown_client_event_type_fails() -> None:
    b = RecordingBuilder().session()
    b.client("nope")
    [failure] = judge(b, [CHECK])
    assert 'unknown type "nope"' in failure.actual


def http_request(path: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "http_request", "method": "POST", "path": path, "body": body}


def test_http_request_bodies_are_judged_by_the_real_apis_rules() -> None:
    b = RecordingBuilder(handshake=False)
    messages = [{"role": "user", "content": "hi"}]
    b.meta(http_request("/v1/chat/completions", {"model": "gpt-4o", "messages": messages}))
    b.meta(http_request("/v1/responses", {"model": "gpt-4o", "input": "hi", "stream": True}))
    assert judge(b, ["payload.http_requests"]) == []
    b.meta(http_request("/v1/chat/completions", {"model": "gpt-4o", "messages": [], "bogus": 1}))
    [failure] = judge(b, ["payload.http_requests"])
    assert "HTTP 400" in failure.actual and "bogus" in failure.actual


def test_responses_websocket_events_use_the_responses_schemas() -> None:
    b = RecordingBuilder(handshake=False)
    b.meta({"kind": "handshake", "http_status": 101, "path": "/v1/responses"})
    b.line("client", "event", {"type": "response.create", "model": "gpt-4o", "input": "hi"})
    assert judge(b, [CHECK]) == []
    b.client("response.create", model="gpt-4o", input="hi")  # Realtime's event_id: not here
    [failure] = judge(b, [CHECK])
    assert "$.event_id" in failure.actual
