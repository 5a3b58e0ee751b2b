"""The Response object, as the lifecycle events and the non-streaming answer carry it.

Fields and their order follow the recorded `response.*` events (shared/traces/responses); the
service tier reads `auto` while the response runs and the tier that served it once it ends, as
recorded. Usage carries `input_tokens_details.cache_write_tokens`, which the openai 3.54 types
require (PROTOCOL.md §8).
"""

from __future__ import annotations

from typing import Any

from realtime_conformance.rtproto.server.responses.request import CreateRequest
from realtime_conformance.rtproto.server.simulation import count_tokens

TERMINAL = ("completed", "failed", "incomplete", "cancelled")
MESSAGE_OVERHEAD = 4  # tokens of framing per input item, roughly the real count's


def response_object(
    request: CreateRequest,
    *,
    response_id: str,
    created_at: int,
    status: str,
    output: list[dict[str, Any]] | None = None,
    usage: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    incomplete_reason: str | None = None,
    completed_at: int | None = None,
) -> dict[str, Any]:
    tier = request.get("service_tier", "auto")
    served_tier = "default" if tier == "auto" else tier
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": request.background,
        "completed_at": completed_at,
        "error": error,
        "frequency_penalty": 0.0,
        "incomplete_details": {"reason": incomplete_reason} if incomplete_reason else None,
        "instructions": request.instructions,
        "max_output_tokens": request.max_output_tokens,
        "max_tool_calls": request.get("max_tool_calls"),
        "model": request.model,
        "output": list(output or []),
        "parallel_tool_calls": request.parallel_tool_calls,
        "presence_penalty": 0.0,
        "previous_response_id": request.previous_response_id,
        "prompt_cache_key": request.get("prompt_cache_key"),
        "prompt_cache_retention": request.get("prompt_cache_retention"),
        "reasoning": request.reasoning,
        "safety_identifier": request.get("safety_identifier"),
        "service_tier": served_tier if status in TERMINAL else tier,
        "store": request.store,
        "temperature": float(request.get("temperature", 1.0)),
        "text": request.text,
        "tool_choice": request.tool_choice,
        "tools": request.tools,
        "top_logprobs": request.get("top_logprobs", 0),
        "top_p": float(request.get("top_p", 1.0)),
        "truncation": request.get("truncation", "disabled"),
        "usage": usage,
        "user": request.get("user"),
        "metadata": request.metadata,
    }


def usage_object(input_tokens: int, output_tokens: int, reasoning_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cache_write_tokens": 0, "cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }


def text_of(value: Any) -> str:
    """All the text inside an input item or content part (strings, parts, arguments, output)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(text_of(element) for element in value)
    if isinstance(value, dict):
        keys = ("text", "content", "arguments", "output", "input", "refusal", "summary")
        return " ".join(text_of(value[key]) for key in keys if key in value)
    return ""


def count_input_tokens(instructions: Any, items: list[dict[str, Any]]) -> int:
    tokens = count_tokens(text_of(instructions)) if instructions else 0
    return tokens + sum(count_tokens(text_of(item)) + MESSAGE_OVERHEAD for item in items)


def last_user_text(items: list[dict[str, Any]]) -> str:
    """The text of the newest user message, which the simulated model answers."""
    for item in reversed(items):
        if item.get("type", "message") == "message" and item.get("role") == "user":
            return text_of(item.get("content"))
    return ""
