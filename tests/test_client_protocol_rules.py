"""The client protocol's rules, fed plain GA events (no network): barge-in, truncation,
cancel, function calls, one response at a time, unknown and malformed events."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from realtime_conformance.refclient.media.base import PlayedAudio
from realtime_conformance.rtproto.client import (
    ClientProtocol,
    ClientRuleError,
    Notice,
    PlayAudio,
    SendEvent,
    StopPlayout,
)
from realtime_conformance.rtproto.client.intents import Intent, sent_events

Event = dict[str, Any]
PCM_MS = 48  # bytes of 24 kHz PCM16 per ms


def session(turn_detection: Any = "default", fmt: Any = None) -> Event:
    audio_input: Event = {}
    if turn_detection != "default":
        audio_input["turn_detection"] = turn_detection
    output = {"format": fmt or {"type": "audio/pcm", "rate": 24000}}
    return {
        "type": "session.updated",
        "session": {"type": "realtime", "audio": {"input": audio_input, "output": output}},
    }


def created(response_id: str = "resp_1", **extra: Any) -> Event:
    return {"type": "response.created", "response": {"id": response_id, **extra}}


def done(response_id: str = "resp_1", status: str = "completed", output: Any = ()) -> Event:
    response = {"id": response_id, "status": status, "output": list(output)}
    return {"type": "response.done", "response": response}


def audio_delta(item_id: str, ms: int, bytes_per_ms: int = PCM_MS) -> Event:
    delta = base64.b64encode(bytes(ms * bytes_per_ms)).decode()
    return {
        "type": "response.output_audio.delta",
        "item_id": item_id,
        "content_index": 0,
        "delta": delta,
        "response_id": "resp_1",
        "output_index": 0,
    }


def feed(protocol: ClientProtocol, *events: Event) -> list[Intent]:
    intents: list[Intent] = []
    for event in events:
        intents += protocol.receive(event)
    return intents


def types(intents: list[Intent]) -> list[str]:
    return [event["type"] for event in sent_events(intents)]


SPEECH = {"type": "input_audio_buffer.speech_started", "audio_start_ms": 900, "item_id": "u1"}


def playing(turn_detection: Any = "default", ms: int = 480) -> ClientProtocol:
    protocol = ClientProtocol()
    feed(protocol, session(turn_detection))
    protocol.send({"type": "response.create"})
    feed(protocol, created(), audio_delta("item_a", ms))
    return protocol


def test_a_second_response_create_is_queued_until_response_done() -> None:
    protocol = ClientProtocol()
    assert types(protocol.send({"type": "response.create"})) == ["response.create"]
    second = protocol.send({"type": "response.create", "response": {"instructions": "again"}})
    assert sent_events(second) == [] and isinstance(second[0], Notice)
    assert feed(protocol, created()) == []
    released = sent_events(feed(protocol, done()))
    assert [e["response"]["instructions"] for e in released] == ["again"]
    assert protocol.response_active


def test_a_refused_response_create_releases_the_queue() -> None:
    protocol = ClientProtocol()
    first = sent_events(protocol.send({"type": "response.create"}))[0]
    protocol.send({"type": "response.create"})
    error = {
        "type": "error",
        "error": {"code": "x", "message": "no", "event_id": first["event_id"]},
    }
    assert types(feed(protocol, error)) == ["response.create"]


def test_out_of_band_responses_run_beside_the_active_one() -> None:
    protocol = ClientProtocol()
    protocol.send({"type": "response.create"})
    oob = {"type": "response.create", "response": {"conversation": "none"}}
    assert types(protocol.send(oob)) == ["response.create"]
    feed(protocol, created("resp_1", conversation_id="conv_1"))
    feed(protocol, created("resp_oob", conversation_id=None), done("resp_oob"))
    assert protocol.state.response is not None and protocol.state.response.id == "resp_1"


def call_events(call_id: str = "call_1", name: str = "get_weather") -> list[Event]:
    item = {
        "id": "fc_1",
        "type": "function_call",
        "status": "in_progress",
        "name": name,
        "call_id": call_id,
        "arguments": "",
    }
    finished = {**item, "status": "completed", "arguments": '{"city":"Paris"}'}
    return [
        created(),
        {"type": "response.output_item.added", "item": item},
        {
            "type": "response.function_call_arguments.done",
            "call_id": call_id,
            "arguments": '{"city":"Paris"}',
            "item_id": "fc_1",
        },
        {"type": "response.output_item.done", "item": finished},
        done(output=[finished]),
    ]


def test_a_function_call_is_answered_once_then_one_response_create() -> None:
    protocol = ClientProtocol(tool_outputs={"get_weather": '{"temp_c": 18}'})
    protocol.send({"type": "response.create"})
    intents = feed(protocol, *call_events())
    sent = sent_events(intents)
    assert [e["type"] for e in sent] == ["conversation.item.create", "response.create"]
    assert sent[0]["item"] == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": '{"temp_c": 18}',
    }
    assert feed(protocol, done()) == []  # a duplicated response.done answers nothing again


def test_a_cancelled_call_is_not_answered() -> None:
    protocol = ClientProtocol(tool_outputs={"get_weather": "{}"})
    events = call_events()
    events[-1] = done(status="cancelled", output=[events[3]["item"]])
    assert sent_events(feed(protocol, *events)) == []


def test_an_unknown_function_waits_for_the_application_and_is_answered_once() -> None:
    protocol = ClientProtocol()
    notices = feed(protocol, *call_events(name="book_table"))
    assert [n.kind for n in notices if isinstance(n, Notice)] == ["function_call_pending"]
    output = {
        "type": "conversation.item.create",
        "item": {"type": "function_call_output", "call_id": "call_1", "output": "ok"},
    }
    assert types(protocol.send(output)) == ["conversation.item.create"]
    with pytest.raises(ClientRuleError, match="call_1"):
        protocol.send(output)


@pytest.mark.parametrize(("played", "expected"), [(300, 300), (900, 480), (-5, 0), (0, 0)])
def test_barge_in_truncates_at_the_audio_played_within_what_was_received(
    played: int, expected: int
) -> None:
    protocol = playing()
    intents = feed(protocol, SPEECH)
    assert intents == [StopPlayout("speech_started")]  # the server cancels (interrupt_response)
    truncates = sent_events(protocol.playout_stopped([PlayedAudio("item_a", 0, played)]))
    assert truncates == [
        {
            "type": "conversation.item.truncate",
            "item_id": "item_a",
            "content_index": 0,
            "audio_end_ms": expected,
            "event_id": truncates[0]["event_id"],
        }
    ]


def test_trailing_audio_after_barge_in_is_not_played() -> None:
    protocol = playing()
    feed(protocol, SPEECH)
    assert feed(protocol, audio_delta("item_a", 20)) == []
    assert protocol.state.audio.received_ms("item_a", 0) == 500


def test_an_item_heard_in_full_is_not_truncated() -> None:
    protocol = playing()
    feed(protocol, {"type": "response.output_audio.done", "item_id": "item_a", "content_index": 0})
    feed(protocol, SPEECH)
    assert protocol.playout_stopped([PlayedAudio("item_a", 0, 480)]) == []


def test_the_client_cancels_when_the_server_will_not() -> None:
    no_interrupt = {"type": "server_vad", "interrupt_response": False}
    intents = feed(playing(no_interrupt), SPEECH)
    assert isinstance(intents[0], StopPlayout)
    assert sent_events(intents)[0]["type"] == "response.cancel"
    assert sent_events(intents)[0]["response_id"] == "resp_1"


def test_nothing_to_stop_when_nothing_plays() -> None:
    protocol = ClientProtocol()
    assert feed(protocol, session(), SPEECH) == []


def test_g711_audio_is_counted_at_8_bytes_per_ms() -> None:
    protocol = ClientProtocol()
    feed(protocol, session(fmt={"type": "audio/pcmu"}), audio_delta("item_g", 200, 8))
    assert protocol.state.audio.received_ms("item_g", 0) == 200


def test_unknown_events_and_extra_fields_are_tolerated() -> None:
    protocol = ClientProtocol()
    assert feed(protocol, {"type": "response.future_feature", "x": 1}) == []
    intents = feed(protocol, {**audio_delta("item_a", 20), "obfuscation": "abc", "new": [1]})
    assert isinstance(intents[0], PlayAudio) and len(intents[0].audio) == 20 * PCM_MS


def test_a_malformed_known_event_is_a_notice_not_a_crash() -> None:
    protocol = ClientProtocol()
    intents = feed(
        protocol,
        {"type": "response.created"},
        {"type": "response.output_audio.delta", "item_id": "i", "delta": "%%%"},
    )
    assert [i.kind for i in intents if isinstance(i, Notice)] == ["malformed_event"] * 2
    assert all(not isinstance(i, SendEvent) for i in intents)


def test_a_rate_limit_error_without_event_id_releases_the_queue() -> None:
    protocol = ClientProtocol()
    protocol.send({"type": "response.create"})
    protocol.send({"type": "response.create"})
    error = {"type": "error", "error": {"code": "rate_limit_exceeded", "message": "slow down"}}
    assert types(feed(protocol, error)) == ["response.create"]
    other = {"type": "error", "error": {"code": "invalid_value", "message": "?"}}
    assert feed(protocol, other) == [] and protocol.response_active


def test_response_create_is_tagged_and_matched_by_the_metadata_echoed() -> None:
    protocol = ClientProtocol()
    sent = sent_events(protocol.send({"type": "response.create"}))[0]
    tag = sent["response"]["metadata"]
    assert tag == {"client_event_id": sent["event_id"]}
    feed(protocol, created("resp_vad", metadata=None))  # a VAD turn's response, not ours
    assert protocol.state.response is not None and protocol.state.response.id == "resp_vad"
    custom = {"type": "response.create", "response": {"metadata": {"topic": "billing"}}}
    assert protocol.send(custom)[0].kind == "response_create_queued"  # type: ignore[union-attr]


def test_an_out_of_band_response_is_told_by_its_metadata() -> None:
    protocol = ClientProtocol()
    oob = sent_events(
        protocol.send({"type": "response.create", "response": {"conversation": "none"}})
    )[0]
    feed(protocol, created("resp_oob", metadata=oob["response"]["metadata"]))
    assert not protocol.response_active and protocol.state.out_of_band == {"resp_oob"}


def test_formats_asked_for_apply_before_the_server_confirms_them() -> None:
    protocol = ClientProtocol()
    feed(protocol, session())
    pcmu = {"type": "audio/pcmu"}
    update = {
        "type": "session.update",
        "session": {"type": "realtime", "audio": {"input": {"format": pcmu}}},
    }
    event_id = sent_events(protocol.send(update))[0]["event_id"]
    assert protocol.state.session.audio_format("input").ga_type == "audio/pcmu"
    assert protocol.state.session.audio_format("output").ga_type == "audio/pcm"
    refusal = {"type": "error", "error": {"code": "invalid_value", "event_id": event_id}}
    feed(protocol, refusal)
    assert protocol.state.session.audio_format("input").ga_type == "audio/pcm"
