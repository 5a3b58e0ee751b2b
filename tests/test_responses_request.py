"""`POST /v1/responses` validation: the real API's error shape, status, message, param and code."""

from __future__ import annotations

from typing import Any

import pytest

from realtime_conformance.rtproto.api_errors import INVALID_JSON_MESSAGE, ApiError, parse_json_body
from realtime_conformance.rtproto.server.pacing import Pacing
from realtime_conformance.rtproto.server.responses.request import (
    create_parameters,
    parse_create_request,
)
from realtime_conformance.rtproto.server.responses.service import ResponsesService

BASE = {"model": "gpt-4.1", "input": "Hello"}
WEATHER = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}

CASES: list[tuple[str, dict[str, Any], int, str | None, str | None, str | None]] = [
    ("missing model", {"input": "hi"}, 400,
     "Missing required parameter: 'model'.", "model", "missing_required_parameter"),
    ("unknown parameter", {**BASE, "foo": 1}, 400,
     "Unknown parameter: 'foo'.", "foo", "unknown_parameter"),
    ("input of the wrong type", {**BASE, "input": 5}, 400,
     "Invalid type for 'input': expected one of a string or array of input items, but got an "
     "integer instead.", "input", "invalid_type"),
    ("max_output_tokens below 16", {**BASE, "max_output_tokens": 5}, 400,
     "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 5 "
     "instead.", "max_output_tokens", "integer_below_min_value"),
    ("temperature above 2", {**BASE, "temperature": 3}, 400,
     "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 "
     "instead.", "temperature", "decimal_above_max_value"),
    ("a Chat-shaped function tool", {**BASE, "tools": [{"type": "function", "function": {}}]}, 400,
     "Missing required parameter: 'tools[0].name'.", "tools[0].name", "missing_required_parameter"),
    ("an unknown tool type", {**BASE, "tools": [{"type": "telepathy"}]}, 400,
     None, "tools[0].type", "invalid_value"),
    ("a bad role", {**BASE, "input": [{"role": "bot", "content": "hi"}]}, 400,
     "Invalid value: 'bot'. Supported values are: 'assistant', 'system', 'developer', and 'user'.",
     "input[0].role", "invalid_value"),
    ("reasoning on a non-reasoning model", {**BASE, "reasoning": {"effort": "high"}}, 400,
     "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
     "reasoning.effort", "unsupported_parameter"),
    ("previous response and conversation", {**BASE, "previous_response_id": "resp_1",
                                            "conversation": "conv_1"}, 400,
     "Mutually exclusive parameters: Ensure you are only providing one of: "
     "'previous_response_id' or 'conversation'.", "previous_response_id",
     "mutually_exclusive_parameters"),
    ("json_schema without a name", {**BASE, "text": {"format": {"type": "json_schema",
                                                                "schema": {}}}}, 400,
     "Missing required parameter: 'text.format.name'.", "text.format.name",
     "missing_required_parameter"),
    ("tool_choice naming an absent function", {**BASE, "tools": [WEATHER], "tool_choice": {
        "type": "function", "name": "get_time"}}, 400,
     "Tool choice 'get_time' not found in 'tools' parameter.", "tool_choice", "invalid_value"),
    ("an unknown include", {**BASE, "include": ["everything"]}, 400, None, "include[0]",
     "invalid_value"),
    ("a metadata value too long", {**BASE, "metadata": {"k": "x" * 513}}, 400,
     "Invalid 'metadata.k': string too long. Expected a string with maximum length 512, but got a "
     "string with length 513 instead.", "metadata.k", "string_above_max_length"),
    ("too many metadata keys", {**BASE, "metadata": {f"k{i}": "v" for i in range(17)}}, 400,
     None, "metadata", "object_above_max_properties"),
    ("stream of the wrong type", {**BASE, "stream": "yes"}, 400,
     "Invalid type for 'stream': expected a boolean, but got a string instead.", "stream",
     "invalid_type"),
]  # fmt: skip


@pytest.mark.parametrize(("title", "body", "status", "message", "param", "code"), CASES,
                         ids=[case[0] for case in CASES])  # fmt: skip
def test_an_invalid_body_gets_the_real_error(
    title: str, body: dict[str, Any], status: int, message: str | None, param: str | None,
    code: str | None,
) -> None:  # fmt: skip
    with pytest.raises(ApiError) as caught:
        parse_create_request(body)
    error = caught.value
    assert (error.status, error.param, error.code, error.type) == (
        status, param, code, "invalid_request_error"
    )  # fmt: skip
    if message is not None:
        assert error.message == message
    assert error.body() == {"error": {"message": error.message, "type": "invalid_request_error",
                                      "param": param, "code": code}}  # fmt: skip


def test_an_unknown_previous_response_is_404() -> None:
    service = ResponsesService(pacing=Pacing.instant())
    with pytest.raises(ApiError) as caught:
        service.create({**BASE, "previous_response_id": "resp_x"}, 1000.0)
    assert caught.value.status == 404
    assert caught.value.body() == {"error": {
        "message": "Previous response with id 'resp_x' not found.",
        "type": "invalid_request_error", "param": "previous_response_id",
        "code": "previous_response_not_found"}}  # fmt: skip


def test_a_tool_output_must_answer_a_call_of_the_conversation() -> None:
    service = ResponsesService(pacing=Pacing.instant())
    body = {**BASE, "input": [{"type": "function_call_output", "call_id": "call_9", "output": "x"}]}
    with pytest.raises(ApiError) as caught:
        service.create(body, 1000.0)
    assert (
        caught.value.message == "No tool call found for function call output with call_id call_9."
    )


def test_a_body_that_is_not_json_gets_the_parse_error() -> None:
    with pytest.raises(ApiError) as caught:
        parse_json_body(b"{not json")
    assert (caught.value.status, caught.value.message) == (400, INVALID_JSON_MESSAGE)
    assert caught.value.param is None and caught.value.code is None


def test_the_allowed_parameters_come_from_the_create_schema() -> None:
    assert {"model", "input", "tools", "previous_response_id", "stream", "background"} <= (
        create_parameters()
    )
    assert "stream_id" not in create_parameters()


def test_a_valid_body_is_normalised_as_the_response_echoes_it() -> None:
    request = parse_create_request({**BASE, "tools": [WEATHER, {"type": "web_search"}]})
    assert request.input_items == [{"type": "message", "role": "user", "content": "Hello"}]
    assert request.tools[0]["strict"] is True and request.tools[0]["description"] is None
    assert request.tools[1]["search_context_size"] == "medium"
    assert request.tool_choice == "auto" and request.store and not request.stream
    assert request.text == {"format": {"type": "text"}, "verbosity": "medium"}
    assert request.reasoning == {"effort": None, "summary": None}
