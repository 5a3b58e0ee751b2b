"""The nested parts of a Responses create body: input items, tools, tool choice, text, reasoning.

Tools are returned as the Response object echoes them: the real API fills in defaults (a function
tool's `strict: true` and `description: null`, a web search tool's context size and location, a
file search tool's ranking options), as its recorded `response.created` events show.
"""

from __future__ import annotations

import re
from typing import Any

from realtime_conformance.rtproto.api_errors import (
    ApiError,
    Fields,
    invalid_type,
    invalid_value,
    missing,
)

ROLES = ("assistant", "system", "developer", "user")
FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
REASONING_MODEL = re.compile(r"^(o\d|gpt-5|codex|computer-use)")
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
SUMMARIES = ("auto", "concise", "detailed")
# item type -> the fields the real API requires of it
ITEM_REQUIRED = {
    "message": ("role", "content"),
    "function_call": ("call_id", "name", "arguments"),
    "function_call_output": ("call_id", "output"),
    "custom_tool_call": ("call_id", "name", "input"),
    "custom_tool_call_output": ("call_id", "output"),
    "mcp_approval_response": ("approval_request_id", "approve"),
    "item_reference": ("id",),
    "reasoning": ("summary",),
}
OTHER_ITEMS = (
    "web_search_call",
    "file_search_call",
    "code_interpreter_call",
    "image_generation_call",
    "computer_call",
    "computer_call_output",
    "local_shell_call",
    "local_shell_call_output",
    "shell_call",
    "shell_call_output",
    "apply_patch_call",
    "apply_patch_call_output",
    "mcp_list_tools",
    "mcp_call",
    "mcp_approval_request",
    "compaction",
    "tool_search_call",
    "tool_search_output",
)
HOSTED_DEFAULTS: dict[str, dict[str, Any]] = {
    "function": {"description": None, "parameters": None, "strict": True},
    "web_search": {
        "filters": None,
        "search_context_size": "medium",
        "user_location": {
            "type": "approximate",
            "city": None,
            "country": "US",
            "region": None,
            "timezone": None,
        },
    },
    "file_search": {
        "filters": None,
        "max_num_results": 20,
        "ranking_options": {"ranker": "auto", "score_threshold": 0.0},
    },
    "mcp": {
        "allowed_tools": None,
        "headers": None,
        "require_approval": "always",
        "server_description": None,
    },
    "image_generation": {
        "background": "auto",
        "moderation": "auto",
        "output_compression": 100,
        "output_format": "png",
        "quality": "auto",
        "size": "auto",
    },
}
TOOL_REQUIRED = {
    "function": ("name",),
    "custom": ("name",),
    "file_search": ("vector_store_ids",),
    "code_interpreter": ("container",),
    "mcp": ("server_label",),
}
TOOL_TYPES = (
    "function",
    "custom",
    "file_search",
    "web_search",
    "web_search_2025_08_26",
    "web_search_preview",
    "web_search_preview_2025_03_11",
    "code_interpreter",
    "image_generation",
    "mcp",
    "computer_use_preview",
    "computer",
    "local_shell",
    "shell",
    "apply_patch",
    "tool_search",
    "namespace",
)
FORMATS = ("text", "json_object", "json_schema")


def is_reasoning_model(model: str) -> bool:
    return bool(REASONING_MODEL.match(model))


def parse_input(fields: Fields) -> list[dict[str, Any]]:
    """The input as a list of items (a string is one user message)."""
    value = fields.obj.get("input")
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    if not isinstance(value, list):
        raise invalid_type("input", "one of a string or array of input items", value)
    return [_input_item(item) for item in fields.items("input")]


def _input_item(item: Fields) -> dict[str, Any]:
    kind = item.obj.get("type", "message" if "role" in item.obj else None)
    if kind is None:
        raise missing(item.name("type"))
    if kind not in ITEM_REQUIRED and kind not in OTHER_ITEMS:
        raise invalid_value(item.name("type"), kind, sorted([*ITEM_REQUIRED, *OTHER_ITEMS]))
    for key in ITEM_REQUIRED.get(kind, ()):
        item.require(key)
    if kind == "message":
        item.enum("role", ROLES)
        content = item.obj["content"]
        if not isinstance(content, (str, list)):
            raise invalid_type(item.name("content"), "one of a string or array of objects", content)
    return {"type": kind, **item.obj}


def parse_tools(fields: Fields) -> list[dict[str, Any]]:
    return [_tool(tool) for tool in fields.items("tools")]


def _tool(tool: Fields) -> dict[str, Any]:
    kind = tool.require("type")
    if kind not in TOOL_TYPES:
        raise invalid_value(tool.name("type"), kind, TOOL_TYPES)
    for key in TOOL_REQUIRED.get(kind, ()):
        tool.require(key)
    if kind in ("function", "custom"):
        name = tool.string("name") or ""
        if not FUNCTION_NAME.match(name):
            message = (
                f"Invalid '{tool.name('name')}': string does not match pattern. Expected a string "
                f"that matches the pattern '^[a-zA-Z0-9_-]+$'."
            )
            raise ApiError(400, message, param=tool.name("name"), code="invalid_value")
    if kind == "function":
        tool.object("parameters")
        tool.boolean("strict")
    defaults = HOSTED_DEFAULTS.get(kind.removesuffix("_2025_08_26"), {})
    return {"type": kind, **defaults, **{k: v for k, v in tool.obj.items() if v is not None}}


def callable_names(tools: list[dict[str, Any]]) -> dict[str, str]:
    """Name -> type of the tools the client runs itself (function and custom tools)."""
    return {tool["name"]: tool["type"] for tool in tools if tool["type"] in ("function", "custom")}


def parse_tool_choice(fields: Fields, tools: list[dict[str, Any]]) -> str | dict[str, Any]:
    value = fields.obj.get("tool_choice")
    if value is None:
        return "auto"
    if isinstance(value, str):
        fields.enum("tool_choice", ("none", "auto", "required"))
        return value
    choice = fields.object("tool_choice")
    assert choice is not None
    kind = choice.require("type")
    if kind in ("function", "custom"):
        name = choice.require("name")
        if callable_names(tools).get(name) != kind:
            message = f"Tool choice '{name}' not found in 'tools' parameter."
            raise ApiError(400, message, param="tool_choice", code="invalid_value")
    return dict(choice.obj)


def parse_text(fields: Fields) -> dict[str, Any]:
    text = fields.object("text")
    fmt = text.object("format") if text is not None else None
    verbosity = text.enum("verbosity", ("low", "medium", "high")) if text is not None else None
    result: dict[str, Any] = {"format": {"type": "text"}, "verbosity": verbosity or "medium"}
    if fmt is not None:
        kind = fmt.require("type")
        if kind not in FORMATS:
            raise invalid_value(fmt.name("type"), kind, FORMATS)
        if kind == "json_schema":
            fmt.require("name")
            fmt.require("schema")
            fmt.object("schema")
        result["format"] = dict(fmt.obj)
    return result


def parse_reasoning(fields: Fields, model: str) -> dict[str, Any]:
    """The reasoning settings as echoed: `{effort, summary}` (nulls for other models)."""
    reasoning = fields.object("reasoning")
    effort = reasoning.enum("effort", EFFORTS) if reasoning is not None else None
    summary = None
    if reasoning is not None:
        summary = reasoning.enum("summary", SUMMARIES) or reasoning.enum(
            "generate_summary", SUMMARIES
        )
    if not is_reasoning_model(model):
        if effort is not None:
            message = "Unsupported parameter: 'reasoning.effort' is not supported with this model."
            raise ApiError(400, message, param="reasoning.effort", code="unsupported_parameter")
        return {"effort": None, "summary": None}
    return {"effort": effort or "medium", "summary": summary}
