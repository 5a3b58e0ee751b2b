"""Validate a `POST /v1/chat/completions` body into a ChatRequest, with the real API's errors.

Chat words some errors its own way, verbatim from the wire as pasted in public issues: a missing
model is "you must provide a model parameter" (param and code null); an unknown parameter is
"Unrecognized request argument supplied: foo"; a tool message without a preceding tool call is
"Invalid parameter: messages with role 'tool' must be a response to a preceeding message with
'tool_calls'." (sic); `response_format: json_object` needs the word "json" in the messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.api_errors import ApiError, Fields, metadata
from realtime_conformance.rtproto.server.chat import request_rules as checks

PARAMETERS = frozenset(
    {
        "audio",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "logprobs",
        "max_completion_tokens",
        "max_tokens",
        "messages",
        "metadata",
        "modalities",
        "model",
        "moderation",
        "n",
        "parallel_tool_calls",
        "prediction",
        "presence_penalty",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "reasoning_effort",
        "response_format",
        "safety_identifier",
        "seed",
        "service_tier",
        "stop",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "user",
        "verbosity",
        "web_search_options",
    }
)
REASONING_MODEL = re.compile(r"^(o\d|gpt-5)")
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")


@dataclass(frozen=True)
class ChatRequest:
    body: dict[str, Any] = field(repr=False)
    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    tool_choice: str | dict[str, Any]
    n: int = 1
    stream: bool = False
    include_usage: bool = False
    obfuscate: bool = True
    parallel_tool_calls: bool = True
    logprobs: bool = False
    top_logprobs: int = 0
    max_tokens: int | None = None
    response_format: dict[str, Any] = field(default_factory=lambda: {"type": "text"})

    def get(self, key: str, default: Any = None) -> Any:
        value = self.body.get(key)
        return default if value is None else value


def parse_chat_request(body: dict[str, Any]) -> ChatRequest:
    """The validated request, or the ApiError the real API answers for `body`."""
    for key in body:
        if key not in PARAMETERS:
            raise ApiError(400, f"Unrecognized request argument supplied: {key}")
    fields = Fields(body)
    if body.get("model") is None:
        raise ApiError(400, "you must provide a model parameter")
    model = fields.string("model") or ""
    messages = checks.parse_messages(fields)
    tools = checks.parse_tools(fields)
    _check_scalars(fields, model)
    stream = bool(fields.boolean("stream"))
    options = checks.stream_options(fields, stream)
    response_format = checks.parse_response_format(fields, messages)
    return ChatRequest(
        body=body,
        model=model,
        messages=messages,
        tools=tools,
        tool_choice=checks.parse_tool_choice(fields, tools),
        n=fields.integer("n", 1, 128) or 1,
        stream=stream,
        include_usage=bool(options.get("include_usage")),
        obfuscate=options.get("include_obfuscation") is not False,
        parallel_tool_calls=checks.parallel_tool_calls(fields, tools),
        logprobs=bool(fields.boolean("logprobs")),
        top_logprobs=fields.integer("top_logprobs", 0, 20) or 0,
        max_tokens=_max_tokens(fields, model),
        response_format=response_format,
    )


def _check_scalars(fields: Fields, model: str) -> None:
    fields.number("temperature", 0, 2)
    fields.number("top_p", 0, 1)
    fields.number("presence_penalty", -2, 2)
    fields.number("frequency_penalty", -2, 2)
    fields.integer("seed")
    fields.boolean("store")
    fields.string("user")
    fields.enum("service_tier", ("auto", "default", "flex", "scale", "priority"))
    fields.enum("verbosity", ("low", "medium", "high"))
    effort = fields.enum("reasoning_effort", EFFORTS)
    if effort is not None and not REASONING_MODEL.match(model):
        message = "Unsupported parameter: 'reasoning_effort' is not supported with this model."
        raise ApiError(400, message, param="reasoning_effort", code="unsupported_parameter")
    metadata(fields)
    stop = fields.obj.get("stop")
    if isinstance(stop, list):
        fields.array("stop", max_items=4)
    elif stop is not None:
        fields.string("stop")


def _max_tokens(fields: Fields, model: str) -> int | None:
    legacy = fields.integer("max_tokens", minimum=1)
    if legacy is not None and REASONING_MODEL.match(model):
        message = (
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
            "'max_completion_tokens' instead."
        )
        raise ApiError(400, message, param="max_tokens", code="unsupported_parameter")
    newer = fields.integer("max_completion_tokens", minimum=1)
    return newer if newer is not None else legacy
