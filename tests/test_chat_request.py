"""`POST /v1/chat/completions` validation: the real API's error shape, status and wording."""

from __future__ import annotations

from typing import Any

import pytest

from realtime_conformance.rtproto.api_errors import ApiError
from realtime_conformance.rtproto.server.chat.request import parse_chat_request

USER = [{"role": "user", "content": "Hello"}]
BASE = {"model": "gpt-4o", "messages": USER}
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
CALLED = [
    {"role": "user", "content": "Weather?"},
    {"role": "assistant", "content": None, "tool_calls": [{
        "id": "call_1", "type": "function",
        "function": {"name": "get_weather", "arguments": "{}"}}]},
]  # fmt: skip

CASES: list[tuple[str, dict[str, Any], str, str | None, str | None]] = [
    ("missing model", {"messages": USER}, "you must provide a model parameter", None, None),
    ("unknown argument", {**BASE, "foo": 1}, "Unrecognized request argument supplied: foo", None,
     None),
    ("missing messages", {"model": "gpt-4o"}, "Missing required parameter: 'messages'.",
     "messages", "missing_required_parameter"),
    ("empty messages", {"model": "gpt-4o", "messages": []},
     "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty "
     "array instead.", "messages", "empty_array"),
    ("a bad role", {**BASE, "messages": [{"role": "bot", "content": "x"}]},
     "Invalid value: 'bot'. Supported values are: 'system', 'assistant', 'user', 'function', "
     "'tool', and 'developer'.", "messages[0].role", "invalid_value"),
    ("a tool message without a call", {**BASE, "messages": [
        *USER, {"role": "tool", "tool_call_id": "call_1", "content": "x"}]},
     "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
     "with 'tool_calls'.", "messages.[1].role", None),
    ("an unanswered tool call", {**BASE, "messages": [*CALLED, {"role": "user", "content": "?"}]},
     "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
     "'tool_call_id'. The following tool_call_ids did not have response messages: call_1",
     "messages.[1].role", None),
    ("a Responses-shaped tool", {**BASE, "tools": [{"type": "function", "name": "f"}]},
     "Missing required parameter: 'tools[0].function'.", "tools[0].function",
     "missing_required_parameter"),
    ("tool_choice without tools", {**BASE, "tool_choice": "auto"},
     "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
     "tool_choice", None),
    ("parallel_tool_calls without tools", {**BASE, "parallel_tool_calls": False},
     "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' "
     "are specified.", "parallel_tool_calls", None),
    ("json_object without the word json", {**BASE, "response_format": {"type": "json_object"}},
     "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
     "'json_object'.", "messages", None),
    ("max_tokens on a reasoning model", {**BASE, "model": "o3-mini", "max_tokens": 10},
     "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
     "'max_completion_tokens' instead.", "max_tokens", "unsupported_parameter"),
    ("n above 128", {**BASE, "n": 129},
     "Invalid 'n': integer above maximum value. Expected a value <= 128, but got 129 instead.", "n",
     "integer_above_max_value"),
    ("stream_options without stream", {**BASE, "stream_options": {"include_usage": True}},
     "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options",
     None),
    ("reasoning_effort on a non-reasoning model", {**BASE, "reasoning_effort": "low"},
     "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
     "reasoning_effort", "unsupported_parameter"),
    ("temperature of the wrong type", {**BASE, "temperature": "hot"},
     "Invalid type for 'temperature': expected a decimal, but got a string instead.",
     "temperature", "invalid_type"),
]  # fmt: skip


@pytest.mark.parametrize(("title", "body", "message", "param", "code"), CASES,
                         ids=[case[0] for case in CASES])  # fmt: skip
def test_an_invalid_body_gets_the_real_error(
    title: str, body: dict[str, Any], message: str, param: str | None, code: str | None
) -> None:
    with pytest.raises(ApiError) as caught:
        parse_chat_request(body)
    assert caught.value.status == 400
    assert caught.value.body() == {"error": {"message": message, "type": "invalid_request_error",
                                             "param": param, "code": code}}  # fmt: skip


def test_a_valid_body_with_a_tool_round_trip_is_accepted() -> None:
    messages = [*CALLED, {"role": "tool", "tool_call_id": "call_1", "content": "Sunny"}]
    request = parse_chat_request({**BASE, "messages": messages, "tools": [TOOL], "stream": True,
                                  "stream_options": {"include_usage": True}, "n": 2})  # fmt: skip
    assert (request.n, request.stream, request.include_usage) == (2, True, True)
    assert request.tool_choice == "auto" and request.parallel_tool_calls
