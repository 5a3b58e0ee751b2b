"""`session.update`: partial updates merge, invalid ones are rejected whole with the real texts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.engine import EngineDriver, session_update

ALL_REJECTED = [
    pytest.param(
        {"type": "realtime", "instructions": "new", "bogus_field": 1},
        {
            "code": "unknown_parameter",
            "message": "Unknown parameter: 'session.bogus_field'.",
            "param": "session.bogus_field",
        },
        id="unknown-field",
    ),
    pytest.param(
        {"instructions": "new"},
        {
            "code": "missing_required_parameter",
            "message": "Missing required parameter: 'session.type'.",
            "param": "session.type",
        },
        id="missing-type",
    ),
    pytest.param(
        {"type": "x", "instructions": "new"},
        {
            "code": "invalid_value",
            "message": "Invalid value: 'x'. Supported values are: 'realtime' and 'transcription'.",
            "param": "session.type",
        },
        id="bad-enum",
    ),
    pytest.param(
        {
            "type": "realtime",
            "instructions": "new",
            "audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}},
        },
        {
            "code": "integer_below_min_value",
            "message": "Invalid 'session.audio.input.format.rate': integer below minimum value. "
            "Expected a value >= 24000, but got 16000 instead.",
            "param": "session.audio.input.format.rate",
        },
        id="rate-16000",
    ),
    pytest.param(
        {"type": "realtime", "instructions": 5},
        {
            "code": "invalid_type",
            "message": "Invalid type for 'session.instructions': expected a string, but got an "
            "integer instead.",
            "param": "session.instructions",
        },
        id="wrong-type",
    ),
    pytest.param(
        {"type": "realtime", "instructions": "new", "audio": {"output": {"speed": 3}}},
        {
            "code": "decimal_above_max_value",
            "message": "Invalid 'session.audio.output.speed': decimal above maximum value. "
            "Expected a value <= 1.5, but got 3 instead.",
            "param": "session.audio.output.speed",
        },
        id="speed-too-high",
    ),
]


@pytest.mark.parametrize(("session", "error"), ALL_REJECTED)
def test_an_invalid_update_is_rejected_whole(
    session: dict[str, Any], error: dict[str, Any]
) -> None:
    driver = EngineDriver()
    before = driver.one("session.created")["session"]
    driver.send({"type": "session.update", "event_id": "evt_client_7", "session": session})
    assert driver.errors() == [
        {"type": "invalid_request_error", **error, "event_id": "evt_client_7"}
    ]
    assert driver.of_type("session.updated") == []
    driver.send(session_update())
    assert driver.one("session.updated")["session"] == before


def test_a_partial_update_changes_only_what_it_names() -> None:
    driver = EngineDriver()
    before = driver.one("session.created")["session"]
    driver.send(session_update(instructions="Be brief.", audio={"output": {"voice": "marin"}}))
    after = driver.one("session.updated")["session"]
    assert after["instructions"] == "Be brief."
    assert after["audio"]["output"] == {**before["audio"]["output"], "voice": "marin"}
    assert {**after, "instructions": "", "audio": None} == {
        **before,
        "instructions": "",
        "audio": None,
    }


def test_turn_detection_is_replaced_whole_and_completed_with_defaults() -> None:
    driver = EngineDriver()
    slow = {"type": "server_vad", "silence_duration_ms": 900, "create_response": False}
    driver.send(session_update(audio={"input": {"turn_detection": slow}}))
    driver.send(session_update(audio={"input": {"turn_detection": {"type": "server_vad"}}}))
    first, second = (e["session"]["audio"]["input"] for e in driver.of_type("session.updated"))
    assert first["turn_detection"]["silence_duration_ms"] == 900
    assert first["turn_detection"]["create_response"] is False
    assert second["turn_detection"] == {
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 200,
        "idle_timeout_ms": None,
        "create_response": True,
        "interrupt_response": True,
    }
    assert second["format"] == first["format"] == {"type": "audio/pcm", "rate": 24000}


def test_semantic_vad_and_manual_turns() -> None:
    driver = EngineDriver()
    driver.send(session_update(audio={"input": {"turn_detection": {"type": "semantic_vad"}}}))
    driver.send(session_update(audio={"input": {"turn_detection": None}}))
    first, second = (e["session"]["audio"]["input"] for e in driver.of_type("session.updated"))
    assert first["turn_detection"] == {
        "type": "semantic_vad",
        "eagerness": "auto",
        "create_response": True,
        "interrupt_response": True,
    }
    assert second["turn_detection"] is None


def test_g711_formats_have_no_rate() -> None:
    driver = EngineDriver()
    audio = {
        "input": {"format": {"type": "audio/pcmu"}},
        "output": {"format": {"type": "audio/pcma"}},
    }
    driver.send(session_update(audio=audio))
    session = driver.one("session.updated")["session"]
    assert session["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert session["audio"]["output"]["format"] == {"type": "audio/pcma"}


def test_voice_is_fixed_once_assistant_audio_exists() -> None:
    driver = EngineDriver()
    driver.send(session_update(audio={"output": {"voice": "ash"}}))  # no audio yet: fine
    driver.send({"type": "response.create"})
    driver.settle()
    driver.send(session_update(audio={"output": {"voice": "ash"}}))  # unchanged: fine
    driver.send({**session_update(audio={"output": {"voice": "verse"}}), "event_id": "x"})
    assert len(driver.of_type("session.updated")) == 2
    assert driver.errors() == [
        {
            "type": "invalid_request_error",
            "code": "cannot_update_voice",
            "message": "Cannot update a conversation's voice if assistant audio is present.",
            "param": "session.audio.output.voice",
            "event_id": "x",
        }
    ]


def test_text_only_answers_do_not_fix_the_voice() -> None:
    driver = EngineDriver()
    driver.send(session_update(output_modalities=["text"]))
    driver.send({"type": "response.create"})
    driver.settle()
    driver.send(session_update(audio={"output": {"voice": "cedar"}}))
    assert driver.errors() == []


def test_the_session_type_cannot_change() -> None:
    driver = EngineDriver()
    driver.send({"type": "session.update", "session": {"type": "transcription"}})
    assert driver.errors()[0]["message"] == (
        "Passing a transcription session update event to a realtime session is not allowed."
    )
    transcription = EngineDriver(intent="transcription")
    transcription.send(session_update())
    assert transcription.errors()[0]["code"] == "invalid_parameter"


def test_session_updated_carries_the_model_and_tools() -> None:
    driver = EngineDriver(model="gpt-realtime-mini")
    tool = {"type": "function", "name": "f", "parameters": {"type": "object"}}
    driver.send(session_update(tools=[tool], tool_choice="required", max_output_tokens=50))
    session = driver.one("session.updated")["session"]
    assert (session["model"], session["tools"], session["tool_choice"]) == (
        "gpt-realtime-mini",
        [tool],
        "required",
    )
    assert session["max_output_tokens"] == 50
