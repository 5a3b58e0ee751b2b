"""The simulated server's event order and shapes against real recorded GA traffic.

Expected sequences are read from shared/traces at test time where a trace holds them (p08: a
whole text turn; the sip-gateway in-order block: the start of an audio turn); the rest of an
audio turn and the function-call turn follow PROTOCOL.md §2, which no trace shows whole.
"""

from __future__ import annotations

from typing import Any

import pytest

from realtime_conformance.rtproto.server.realtime.simulated_model import tokens_of
from realtime_conformance.rtproto.server.realtime.timing import Timing
from tests.support.engine import (
    WEATHER_TOOL,
    EngineDriver,
    append_silence,
    assert_same_shape,
    collapse,
    first_pairs,
    response_types,
    session_update,
    trace,
    user_text,
)

P08 = "capture-2026-09-18-p08-text-session-with-errors.jsonl"
P07 = "capture-2026-09-18-p07-transcription-session.jsonl"
SIP_BLOCK = "sip-gateway-cpp-in-order-block.jsonl"
SIP_EVENTS = "sip-gateway-cpp-comment-events.jsonl"


def server_types_until(events: list[tuple[str, dict[str, Any]]], last: str) -> list[str]:
    types = []
    for direction, event in events:
        if direction == "server":
            types.append(event["type"])
            if event["type"] == last:
                break
    return types


@pytest.mark.parametrize("timing", [Timing.instant(), Timing.realistic()], ids=["instant", "real"])
def test_text_turn_follows_capture_p08_event_for_event(timing: Timing) -> None:
    expected = collapse(server_types_until(trace(P08), "rate_limits.updated"))
    driver = EngineDriver(timing=timing)
    driver.send(session_update(output_modalities=["text"]))
    driver.send(user_text("Say hi in three words"), at=0.3)
    driver.send({"type": "response.create"}, at=0.3002)
    driver.settle()
    assert collapse(driver.types()) == expected


def test_text_deltas_are_token_sized_as_in_p08() -> None:
    events = [event for _, event in trace(P08)]
    done = next(e for e in events if e["type"] == "response.output_text.done")
    deltas = [e["delta"] for e in events if "delta" in e][: len(tokens_of(done["text"]))]
    assert list(tokens_of(done["text"])) == deltas == ["Hi", " there", ",", " friend", "!"]


def test_a_manual_audio_turn_goes_on_as_the_sip_gateway_block() -> None:
    recorded = [event for _, event in trace(SIP_BLOCK)]
    start = next(i for i, e in enumerate(recorded) if e["type"] == "input_audio_buffer.committed")
    expected = recorded[start:]  # a manual commit: the VAD part is in test_audio_turns_vad
    driver = EngineDriver()
    driver.send(append_silence(1000))
    driver.send({"type": "input_audio_buffer.commit"})
    driver.send({"type": "response.create"})
    driver.settle()
    ours = driver.events[1:]  # after session.created
    wanted = collapse([event["type"] for event in expected])
    assert collapse([event["type"] for event in ours])[: len(wanted)] == wanted
    for recorded_event, our_event in first_pairs(expected, ours):
        assert_same_shape(recorded_event, our_event)


def test_audio_turn_ends_as_protocol_section_2() -> None:
    driver = EngineDriver()
    driver.send({"type": "response.create"})
    driver.settle()
    resp_id = driver.one("response.created")["response"]["id"]
    types = collapse(response_types(driver, resp_id))
    assert types[:4] == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
    ]
    assert set(types[4:-7]) == {
        "response.output_audio_transcript.delta",
        "response.output_audio.delta",
    }
    assert types[-7:] == [
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "conversation.item.done",
        "response.output_item.done",
        "response.done",
        "rate_limits.updated",
    ]


def test_function_call_turn_follows_protocol_section_2() -> None:
    driver = EngineDriver()
    driver.send(session_update(tools=[WEATHER_TOOL]))
    driver.send(user_text("Use get_weather for city: Paris"))
    driver.send({"type": "response.create"})
    driver.settle()
    resp_id = driver.one("response.created")["response"]["id"]
    assert collapse(response_types(driver, resp_id)) == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "conversation.item.done",
        "response.output_item.done",
        "response.done",
        "rate_limits.updated",
    ]


def test_response_objects_have_the_recorded_shape() -> None:
    recorded = {event["type"]: event for _, event in trace(SIP_EVENTS)}
    driver = EngineDriver()
    driver.send({"type": "response.create"})
    driver.settle()
    for event_type in ("response.created", "response.done", "response.output_item.done"):
        assert_same_shape(recorded[event_type], driver.one(event_type))
    usage = driver.one("response.done")["response"]["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["output_token_details"]["audio_tokens"] > 0


def test_session_created_is_a_real_one_but_for_the_id() -> None:
    recorded = next(e for _, e in trace(SIP_EVENTS) if e["type"] == "session.created")
    driver = EngineDriver(model="gpt-realtime")
    ours = driver.one("session.created")
    assert driver.types() == ["session.created"]
    assert list(ours) == list(recorded)
    assert {**ours["session"], "id": "sess_X"} == {**recorded["session"], "id": "sess_X"}
    assert ours["session"]["id"].startswith("sess_")


def test_transcription_session_created_is_a_real_one_but_for_id_and_expiry() -> None:
    recorded = next(e for _, e in trace(P07) if e["type"] == "session.created")
    ours = EngineDriver(intent="transcription").one("session.created")
    same = {"id": "sess_X", "expires_at": 0}
    assert {**ours["session"], **same} == {**recorded["session"], **same}


def test_transcription_session_update_of_p07_fills_the_transcription_defaults() -> None:
    update = next(e for d, e in trace(P07) if d == "client" and e["type"] == "session.update")
    driver = EngineDriver(intent="transcription")
    driver.send(update)
    session = driver.one("session.updated")["session"]
    assert session["audio"]["input"]["transcription"] == {
        "model": "gpt-4o-mini-transcribe",
        "language": None,
        "prompt": None,
    }
    assert session["audio"]["input"]["turn_detection"]["silence_duration_ms"] == 200


def test_errors_of_p08_are_answered_word_for_word() -> None:
    events = trace(P08)
    bad = [
        event
        for direction, event in events
        if direction == "client"
        and (event["type"] == "nope" or "bogus_field" in event.get("session", {}))
    ]
    driver = EngineDriver()
    for event in bad:
        driver.send(event)
    recorded = [e["error"] for d, e in events if d == "server" and e["type"] == "error"]
    assert len(bad) == 2
    assert driver.errors() == recorded[:2]
