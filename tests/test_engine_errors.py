"""Errors as the real server words them: schema problems, unknown types, bad frames."""

from __future__ import annotations

from typing import Any

import pytest

from realtime_conformance.rtproto.events import RealtimeError, decode_client_frame
from realtime_conformance.rtproto.server.realtime.errors import (
    SUPPORTED_CLIENT_EVENTS,
    problem_to_error,
)
from realtime_conformance.rtproto.validation import Problem, ProblemKind
from tests.support.engine import EngineDriver, trace, validator

P08 = "capture-2026-09-18-p08-text-session-with-errors.jsonl"


def problem(
    path: str, keyword: str, limit: Any, value: Any, kind: ProblemKind = "range"
) -> Problem:
    return Problem("e", path, kind, "", "", keyword=keyword, limit=limit, value=value)


@pytest.mark.parametrize(
    ("given", "code", "message"),
    [
        (
            problem("$.session.tools[3].description", "maxLength", 1024, "x" * 2473),
            "string_above_max_length",
            "Invalid 'session.tools[3].description': string too long. Expected a string with "
            "maximum length 1024, but got a string with length 2473 instead.",
        ),
        (
            problem("$.audio_end_ms", "minimum", 0, -11),
            "integer_below_min_value",
            "Invalid 'audio_end_ms': integer below minimum value. Expected a value >= 0, but got "
            "-11 instead.",
        ),
        (
            problem("$.session.audio.input.turn_detection.threshold", "minimum", 0, -0.5),
            "decimal_below_min_value",
            "Invalid 'session.audio.input.turn_detection.threshold': decimal below minimum value. "
            "Expected a value >= 0, but got -0.5 instead.",
        ),
        (
            problem("$.session.audio.output.format.rate", "enum", [24000], 48000, "value"),
            "integer_above_max_value",
            "Invalid 'session.audio.output.format.rate': integer above maximum value. Expected a "
            "value <= 24000, but got 48000 instead.",
        ),
        (
            problem("$.item.role", "enum", ["system", "user", "assistant"], "bot", "value"),
            "invalid_value",
            "Invalid value: 'bot'. Supported values are: 'system', 'user', and 'assistant'.",
        ),
        (
            problem("$.response.max_output_tokens", "type", ["integer", "null"], "lots", "type"),
            "invalid_type",
            "Invalid type for 'response.max_output_tokens': expected an integer or null, but got "
            "a string instead.",
        ),
    ],
)
def test_problems_become_the_real_errors(given: Problem, code: str, message: str) -> None:
    error = problem_to_error(given, "evt_1")
    assert (error.code, error.message, error.param, error.event_id) == (
        code,
        message,
        given.path.removeprefix("$."),
        "evt_1",
    )


def test_real_validator_problems_map_to_real_errors() -> None:
    event = {"type": "response.create", "response": {"metadata": {"k": "v" * 600}}}
    (found,) = validator().validate(event, "realtime", "ga")
    error = problem_to_error(found)
    assert (error.code, error.param) == ("string_above_max_length", "response.metadata.k")
    assert error.message.endswith("but got a string with length 600 instead.")


def test_an_unknown_type_lists_what_the_real_server_accepts() -> None:
    recorded = next(e for d, e in trace(P08) if e["type"] == "error")["error"]["message"]
    driver = EngineDriver()
    driver.send({"type": "nope"})
    assert driver.errors()[0]["message"] == recorded
    assert len(SUPPORTED_CLIENT_EVENTS) == 12


@pytest.mark.parametrize(
    "event_type", ["output_audio_buffer.clear", "transcription_session.update", "session.created"]
)
def test_events_the_server_does_not_take_over_websocket(event_type: str) -> None:
    driver = EngineDriver()
    driver.send({"type": event_type, "event_id": "x"})
    (error,) = driver.errors()
    assert (error["code"], error["param"], error["event_id"]) == ("invalid_value", "type", "x")
    assert error["message"].startswith(f"Invalid value: '{event_type}'. Supported values are: ")


@pytest.mark.parametrize("frame", ["not json", b"\x00" * 64])
def test_frame_errors_become_error_events(frame: str | bytes) -> None:
    with pytest.raises(RealtimeError) as caught:
        decode_client_frame(frame)
    driver = EngineDriver()
    driver.frame_error(caught.value)
    assert driver.errors() == [caught.value.details()]


def test_the_session_goes_on_after_errors() -> None:
    driver = EngineDriver()
    driver.send({"type": "nope"})
    driver.send({"type": "response.create", "response": {"bogus": 1}})
    driver.send({"type": "response.create"})
    driver.settle()
    assert [e["code"] for e in driver.errors()] == ["invalid_value", "unknown_parameter"]
    assert driver.one("response.done")["response"]["status"] == "completed"


def test_a_transcription_session_makes_no_responses() -> None:
    driver = EngineDriver(intent="transcription")
    driver.send({"type": "response.create"})
    assert driver.errors()[0]["message"] == (
        "Event type 'response.create' is not supported in a transcription session."
    )


def test_unknown_conversation_is_refused() -> None:
    driver = EngineDriver()
    driver.send({"type": "response.create", "response": {"conversation": "conv_other"}})
    (error,) = driver.errors()
    assert error["message"] == (
        "Invalid value: 'conv_other'. Supported values are: 'auto' and 'none'."
    )
