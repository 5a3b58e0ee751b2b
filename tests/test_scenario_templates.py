"""Templates build realistic GA events (valid in both dialects); `${...}` resolves as documented."""

from __future__ import annotations

import base64
import copy
import json
import random
from typing import Any

import pytest

from realtime_conformance.rtproto.audio.formats import G711_ULAW
from realtime_conformance.rtproto.dialects import to_beta
from realtime_conformance.rtproto.ids import IdFactory
from realtime_conformance.rtproto.scenario.expressions import Expression, Resolver
from realtime_conformance.rtproto.scenario.matchers import MISSING
from realtime_conformance.rtproto.schema_store import SchemaStore
from realtime_conformance.rtproto.server.play.audio import BYTES_PER_MS, audio_chunks, tone_pcm16
from realtime_conformance.rtproto.server.play.state import ConnectionState, TemplateContext
from realtime_conformance.rtproto.server.play.templates import TEMPLATES, expand
from realtime_conformance.rtproto.validation import EventValidator
from realtime_conformance.rtproto.wire import text_pieces

VALIDATOR = EventValidator()
USER_ITEM = {
    "type": "conversation.item.create",
    "event_id": "event_client_1",
    "item": {
        "id": "item_client_42",
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "What is the weather?"},
            {"type": "input_audio", "audio": "AAAA"},
        ],
    },
}
CLIENT_EVENTS: dict[str, dict[str, Any] | None] = {
    "none": None,
    "session.update": {
        "type": "session.update",
        "session": {"type": "realtime", "output_modalities": ["text"], "instructions": "Be brief."},
    },
    "conversation.item.create": USER_ITEM,
    "function_call_output": {
        "type": "conversation.item.create",
        "item": {"type": "function_call_output", "call_id": "call_1", "output": "{}"},
    },
    "response.create": {"type": "response.create", "response": {"metadata": {"turn": "1"}}},
    "out-of-band": {"type": "response.create", "response": {"conversation": "none"}},
    "truncate": {
        "type": "conversation.item.truncate",
        "item_id": "item_7",
        "content_index": 0,
        "audio_end_ms": 1450,
    },
    "delete": {"type": "conversation.item.delete", "item_id": "item_8"},
}
PARAMS: dict[str, dict[str, Any]] = {
    "error": {"message": "Invalid value: 'nope'.", "code": "invalid_value", "param": "type"},
    "function_call_response": {"name": "get_weather", "arguments": {"city": "Paris"}},
    "audio_response": {"duration_ms": 450, "transcript": "Sure, here it is."},
}


def state(seed: int = 1) -> ConnectionState:
    return ConnectionState(IdFactory(seed), random.Random(seed))


def build(
    template: str, event: dict[str, Any] | None = None, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    connection = state()
    built = expand(template, TemplateContext(connection, event), params or {})
    for server_event in built:
        connection.observe(server_event)
    return built


@pytest.mark.parametrize("client", sorted(CLIENT_EVENTS))
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_builds_valid_ga_and_beta_events(name: str, client: str) -> None:
    for event in build(name, copy.deepcopy(CLIENT_EVENTS[client]), PARAMS.get(name)):
        assert VALIDATOR.validate(event, "realtime", "ga") == [], event
        for translated in to_beta(copy.deepcopy(event)):
            assert VALIDATOR.validate(translated, "realtime", "beta") == [], translated


def test_text_response_is_the_captured_ga_text_turn() -> None:
    events = build("text_response", CLIENT_EVENTS["response.create"], {"text": "Hi there, friend!"})
    assert [e["type"] for e in events] == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * 5,
        "response.output_text.done",
        "response.content_part.done",
        "conversation.item.done",
        "response.output_item.done",
        "response.done",
        "rate_limits.updated",
    ]
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert deltas == ["Hi", " there", ",", " friend", "!"]  # as the 2026-09 capture splits it
    response_ids = {e.get("response_id") for e in events[1:-3] if "response_id" in e}
    assert response_ids == {events[0]["response"]["id"]}
    assert events[-2]["response"]["status"] == "completed"
    assert events[-2]["response"]["metadata"] == {"turn": "1"}  # echoed from response.create
    assert events[-2]["response"]["output"][0]["content"] == [
        {"type": "output_text", "text": "Hi there, friend!"}
    ]


def test_an_out_of_band_response_stays_out_of_the_conversation() -> None:
    events = build("text_response", CLIENT_EVENTS["out-of-band"])
    assert not [e for e in events if e["type"].startswith("conversation.")]
    assert events[0]["response"]["conversation_id"] is None


def test_audio_response_interleaves_transcript_and_pcm16_chunks() -> None:
    events = build(
        "audio_response", None, {"duration_ms": 1250, "transcript": "The highest mountain."}
    )
    audio = [e for e in events if e["type"] == "response.output_audio.delta"]
    chunks = [base64.b64decode(e["delta"]) for e in audio]
    assert [len(c) for c in chunks] == [100 * BYTES_PER_MS] * 12 + [50 * BYTES_PER_MS]
    assert b"".join(chunks) == tone_pcm16(1250)
    transcript = [e for e in events if e["type"] == "response.output_audio_transcript.delta"]
    assert "".join(e["delta"] for e in transcript) == "The highest mountain."
    kinds = [e["type"].split(".")[1] for e in events if e["type"].endswith(".delta")]
    assert kinds[:3] == ["output_audio_transcript", "output_audio", "output_audio"]
    done = [e["type"] for e in events if e["type"].endswith(".done")][:3]
    assert done == [
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
    ]


def test_audio_response_speaks_in_the_sessions_output_format() -> None:
    """A G.711 session gets 8 kHz mu-law deltas, as the real API sends (a phone bridge passes
    them through to the call unconverted)."""
    connection = state()
    session = connection.current_session()
    session["audio"]["output"]["format"] = {"type": "audio/pcmu"}
    connection.observe({"type": "session.updated", "session": session})
    events = expand("audio_response", TemplateContext(connection, None), {"duration_ms": 250})
    audio = [e for e in events if e["type"] == "response.output_audio.delta"]
    chunks = [base64.b64decode(e["delta"]) for e in audio]
    assert [len(c) for c in chunks] == [800, 800, 400]  # 100 ms of 8-bit samples at 8 kHz
    assert [e["delta"] for e in audio] == list(audio_chunks(250, 100, G711_ULAW))  # the tone


def test_the_audio_is_deterministic_and_phase_continuous() -> None:
    assert audio_chunks(300, 100) == audio_chunks(300, 100)
    assert base64.b64decode("".join(audio_chunks(200, 200))) == tone_pcm16(100) + tone_pcm16(
        100, start_ms=100
    )


def test_function_call_response_carries_one_call_id_and_the_arguments() -> None:
    events = build("function_call_response", None, PARAMS["function_call_response"])
    call_ids = {e.get("call_id") or e.get("item", {}).get("call_id") for e in events[1:-2]}
    assert len(call_ids) == 1 and next(iter(call_ids)).startswith("call_")
    deltas = [e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"]
    assert deltas == ['{"', "city", '":"', "Paris", '"}']
    [done] = [e for e in events if e["type"] == "response.function_call_arguments.done"]
    assert (done["name"], done["arguments"]) == ("get_weather", '{"city":"Paris"}')


def test_item_added_done_echoes_the_client_item_with_its_id() -> None:
    added, done = build("item_added_done", USER_ITEM)
    assert added["item"] == done["item"]
    assert added["item"] == {
        "id": "item_client_42",
        "type": "message",
        "status": "completed",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "What is the weather?"},
            {"type": "input_audio", "transcript": None},
        ],
    }
    assert added["previous_item_id"] is None


def test_responses_chain_previous_item_ids_through_the_conversation() -> None:
    connection = state()
    for name, event in (("item_added_done", USER_ITEM), ("text_response", None)):
        for built in expand(name, TemplateContext(connection, event), {}):
            connection.observe(built)
            if built["type"] == "conversation.item.added" and built["item"]["role"] == "assistant":
                assert built["previous_item_id"] == "item_client_42"


def test_truncated_and_deleted_answer_for_the_clients_item() -> None:
    [truncated] = build("conversation.item.truncated", CLIENT_EVENTS["truncate"])
    assert (truncated["item_id"], truncated["audio_end_ms"]) == ("item_7", 1450)
    [deleted] = build("conversation.item.deleted", CLIENT_EVENTS["delete"])
    assert deleted["item_id"] == "item_8"


def test_session_updated_applies_the_update_to_the_session_as_created() -> None:
    connection = state()
    [created] = expand("session.created", TemplateContext(connection), {})
    connection.observe(created)
    update = CLIENT_EVENTS["session.update"]
    [updated] = expand("session.updated", TemplateContext(connection, update), {})
    assert updated["session"]["id"] == created["session"]["id"]
    assert updated["session"]["output_modalities"] == ["text"]
    assert updated["session"]["instructions"] == "Be brief."
    assert updated["session"]["audio"] == created["session"]["audio"]
    assert created["session"]["expires_at"] == connection.epoch_s + 3600


def test_error_echoes_the_offending_event_id() -> None:
    [error] = build("error", USER_ITEM, {"message": "Bad.", "code": "invalid_value"})
    assert error["error"] == {
        "type": "invalid_request_error",
        "code": "invalid_value",
        "message": "Bad.",
        "param": None,
        "event_id": "event_client_1",
    }


def test_text_deltas_join_back_to_the_text() -> None:
    for text in ("Hi there, friend!", "  spaced  out  ", "", "¿Qué tal? Bien."):
        assert "".join(text_pieces(text)) == text


def resolver(event: dict[str, Any] | None = None) -> Resolver:
    history: list[dict[str, Any]] = [
        {"type": "response.done", "response": {"id": "resp_1"}},
        {"call_id": "call_9"},
    ]
    connection = state()
    for past in history:
        connection.observe(past)
    ids: dict[str, str] = {}

    def lookup(expression: Expression) -> Any:
        if expression.root == "event":
            return event.get(expression.argument, MISSING) if event else MISSING
        if expression.root == "last":
            return connection.recall(expression.argument)
        return ids.setdefault(expression.argument, f"{expression.argument}_fresh{len(ids)}")

    return Resolver(lookup)


def test_expressions_resolve_with_their_own_type_or_into_text() -> None:
    resolve = resolver({"audio_end_ms": 1450})
    assert resolve("${event.audio_end_ms}") == 1450
    assert resolve("cut at ${event.audio_end_ms} ms") == "cut at 1450 ms"
    assert resolve({"a": ["${last.response.id}", "${last.call_id}"]}) == {"a": ["resp_1", "call_9"]}
    assert resolve("${id:item} ${id:item} ${id:resp}") == "item_fresh0 item_fresh0 resp_fresh1"
    assert resolve("$${event.x} stays") == "${event.x} stays"
    assert resolve.missing == []


def test_an_expression_that_finds_nothing_is_null_and_reported() -> None:
    resolve = resolver(None)
    assert resolve({"item_id": "${event.item_id}", "text": "id=${last.nope}"}) == {
        "item_id": None,
        "text": "id=null",
    }
    assert resolve.missing == ["${event.item_id}", "${last.nope}"]
    assert json.dumps(resolve("${bogus}")) == "null"


def ga_session_updates() -> list[dict[str, Any]]:
    schema = SchemaStore().schema("realtime/events/ga/session.update.json")
    return [example for example in schema["examples"] if example["session"]["type"] == "realtime"]


@pytest.mark.parametrize("update", ga_session_updates(), ids=lambda e: str(e.get("event_id")))
def test_session_updated_is_valid_for_every_documented_session_update(
    update: dict[str, Any],
) -> None:
    connection = state()
    [updated] = expand("session.updated", TemplateContext(connection, update), {})
    assert VALIDATOR.validate(updated, "realtime", "ga") == []
    new_format = update["session"].get("audio", {}).get("input", {}).get("format")
    if new_format:  # a new format replaces the old one instead of merging into it
        assert updated["session"]["audio"]["input"]["format"] == new_format


def test_the_format_names_exactly_the_templates_the_player_implements() -> None:
    from realtime_conformance.rtproto.scenario.names import TEMPLATE_NAMES
    from realtime_conformance.rtproto.server.play.templates import TEMPLATES

    assert tuple(TEMPLATES) == TEMPLATE_NAMES
