"""The nested parts of a Chat Completions body: messages, tools, tool choice, response format,
stream options."""

from __future__ import annotations

import re
from typing import Any

from realtime_conformance.rtproto.api_errors import ApiError, Fields, invalid_type, invalid_value

ROLES = ("system", "assistant", "user", "function", "tool", "developer")
FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
FORMATS = ("text", "json_object", "json_schema")
ONLY_WITH_TOOLS = "Invalid value for '{0}': '{0}' is only allowed when 'tools' are specified."


def parse_messages(fields: Fields) -> list[dict[str, Any]]:
    fields.require("messages")
    if not isinstance(fields.obj["messages"], list):
        fields.array("messages")
    if not fields.obj["messages"]:
        message = (
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an "
            "empty array instead."
        )
        raise ApiError(400, message, param="messages", code="empty_array")
    messages = []
    for entry in fields.items("messages"):
        role = entry.require("role")
        entry.enum("role", ROLES)
        if role == "tool":
            entry.require("tool_call_id")
        content = entry.obj.get("content")
        if content is not None and not isinstance(content, (str, list)):
            raise invalid_type(
                entry.name("content"), "one of a string or array of objects", content
            )
        messages.append(dict(entry.obj))
    _check_tool_pairing(messages)
    return messages


def _check_tool_pairing(messages: list[dict[str, Any]]) -> None:
    """Tool messages answer the tool calls of the assistant message before them, all of them."""
    open_calls: list[str] = []
    opened_at = 0
    for index, message in enumerate(messages):
        if message["role"] == "tool":
            if message.get("tool_call_id") not in open_calls:
                raise ApiError(
                    400,
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'.",
                    param=f"messages.[{index}].role",
                )
            open_calls.remove(message["tool_call_id"])
            continue
        _require_answered(open_calls, opened_at)
        open_calls = [call.get("id", "") for call in message.get("tool_calls") or []]
        opened_at = index
    _require_answered(open_calls, opened_at)


def _require_answered(open_calls: list[str], index: int) -> None:
    if open_calls:
        raise ApiError(
            400,
            "An assistant message with 'tool_calls' must be followed by tool messages responding "
            "to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
            + ", ".join(open_calls),
            param=f"messages.[{index}].role",
        )


def parse_tools(fields: Fields) -> list[dict[str, Any]]:
    fields.array("tools", max_items=128)
    tools = []
    for tool in fields.items("tools"):
        kind = tool.require("type")
        if kind not in ("function", "custom"):
            raise invalid_value(tool.name("type"), kind, ("function", "custom"))
        spec = tool.object(kind)
        if spec is None:
            raise ApiError(
                400,
                f"Missing required parameter: '{tool.name(kind)}'.",
                param=tool.name(kind),
                code="missing_required_parameter",
            )
        name = spec.require("name")
        if not isinstance(name, str) or not FUNCTION_NAME.match(name):
            message = (
                f"Invalid '{spec.name('name')}': string does not match pattern. Expected a string "
                f"that matches the pattern '^[a-zA-Z0-9_-]+$'."
            )
            raise ApiError(400, message, param=spec.name("name"), code="invalid_value")
        tools.append(dict(tool.obj))
    return tools


def tool_names(tools: list[dict[str, Any]]) -> list[str]:
    return [str(tool[tool["type"]]["name"]) for tool in tools]


def parse_tool_choice(fields: Fields, tools: list[dict[str, Any]]) -> str | dict[str, Any]:
    value = fields.obj.get("tool_choice")
    if value is None:
        return "auto" if tools else "none"
    if not tools:
        raise ApiError(400, ONLY_WITH_TOOLS.format("tool_choice"), param="tool_choice")
    if isinstance(value, str):
        fields.enum("tool_choice", ("none", "auto", "required"))
        return value
    choice = fields.object("tool_choice")
    assert choice is not None
    kind = choice.require("type")
    spec = choice.object(kind) if kind in ("function", "custom") else None
    if spec is not None:
        name = spec.require("name")
        if name not in tool_names(tools):
            raise invalid_value(spec.name("name"), name, tool_names(tools))
    return dict(choice.obj)


def parallel_tool_calls(fields: Fields, tools: list[dict[str, Any]]) -> bool:
    value = fields.boolean("parallel_tool_calls")
    if value is not None and not tools:
        raise ApiError(
            400, ONLY_WITH_TOOLS.format("parallel_tool_calls"), param="parallel_tool_calls"
        )
    return True if value is None else value


def parse_response_format(fields: Fields, messages: list[dict[str, Any]]) -> dict[str, Any]:
    fmt = fields.object("response_format")
    if fmt is None:
        return {"type": "text"}
    kind = fmt.require("type")
    if kind not in FORMATS:
        raise invalid_value(fmt.name("type"), kind, FORMATS)
    if kind == "json_schema":
        schema = fmt.object("json_schema")
        if schema is None:
            fmt.require("json_schema")
        else:
            schema.require("name")
    if kind == "json_object" and "json" not in str(messages).lower():
        message = (
            "'messages' must contain the word 'json' in some form, to use 'response_format' of "
            "type 'json_object'."
        )
        raise ApiError(400, message, param="messages")
    return dict(fmt.obj)


def stream_options(fields: Fields, stream: bool) -> dict[str, Any]:
    options = fields.object("stream_options")
    if options is None:
        return {}
    if not stream:
        message = "The 'stream_options' parameter is only allowed when 'stream' is enabled."
        raise ApiError(400, message, param="stream_options")
    options.boolean("include_usage")
    options.boolean("include_obfuscation")
    return dict(options.obj)
