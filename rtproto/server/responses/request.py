"""Validate a `POST /v1/responses` body (or a WebSocket `response.create`) into a CreateRequest.

Every failure is the ApiError the real API answers (rtproto.api_errors): missing and unknown
parameters, wrong types, values out of range or outside an enum. Which top-level parameters exist
is read from schemas/responses/events/response.create.json, the one description of the body.
Nested checks (input items, tools, tool choice, text format, reasoning) are in `request_parts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from realtime_conformance.rtproto.api_errors import ApiError, Fields, metadata
from realtime_conformance.rtproto.schema_store import SchemaStore
from realtime_conformance.rtproto.server.responses import request_parts as parts

CREATE_SCHEMA = "responses/events/response.create.json"
WEBSOCKET_ONLY = frozenset({"type", "stream_id", "generate"})
INCLUDABLE = (
    "code_interpreter_call.outputs",
    "computer_call_output.output.image_url",
    "file_search_call.results",
    "message.input_image.image_url",
    "message.output_text.logprobs",
    "reasoning.encrypted_content",
    "web_search_call.action.sources",
    "web_search_call.results",
)
SERVICE_TIERS = ("auto", "default", "flex", "scale", "priority")
MIN_OUTPUT_TOKENS = 16


@cache
def create_parameters() -> frozenset[str]:
    """The top-level fields of a create body, from the response.create schema."""
    properties = SchemaStore().schema(CREATE_SCHEMA)["properties"]
    return frozenset(properties) - WEBSOCKET_ONLY


@dataclass(frozen=True)
class CreateRequest:
    """A validated create body, normalised the way the Response object echoes it."""

    body: dict[str, Any] = field(repr=False)
    model: str
    input_items: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    tool_choice: str | dict[str, Any]
    text: dict[str, Any]
    reasoning: dict[str, Any]
    include: tuple[str, ...]
    metadata: dict[str, str]
    instructions: Any = None
    previous_response_id: str | None = None
    max_output_tokens: int | None = None
    parallel_tool_calls: bool = True
    stream: bool = False
    background: bool = False
    store: bool = True
    obfuscate: bool = True

    def get(self, key: str, default: Any = None) -> Any:
        """A body field as sent (null counts as absent)."""
        value = self.body.get(key)
        return default if value is None else value

    @property
    def reasoning_model(self) -> bool:
        return parts.is_reasoning_model(self.model)

    def with_input(self, items: list[dict[str, Any]], previous: str | None) -> CreateRequest:
        """The same settings with other input (an automatic successor of a steered response)."""
        body = {**self.body, "input": items, "previous_response_id": previous}
        return parse_create_request(body)


def parse_create_request(body: dict[str, Any], *, websocket: bool = False) -> CreateRequest:
    """The validated request, or the ApiError the real API answers for `body`."""
    fields = Fields(body)
    allowed = create_parameters() | (WEBSOCKET_ONLY if websocket else frozenset())
    fields.reject_unknown(allowed)
    model = fields.require("model")
    if not isinstance(model, str):
        fields.string("model")
    _check_scalars(fields)
    if body.get("previous_response_id") is not None and body.get("conversation") is not None:
        raise _mutually_exclusive("previous_response_id", "conversation")
    tools = parts.parse_tools(fields)
    return CreateRequest(
        body=body,
        model=model,
        input_items=parts.parse_input(fields),
        tools=tools,
        tool_choice=parts.parse_tool_choice(fields, tools),
        text=parts.parse_text(fields),
        reasoning=parts.parse_reasoning(fields, model),
        include=tuple(_include(fields)),
        metadata=metadata(fields) or {},
        instructions=body.get("instructions"),
        previous_response_id=fields.string("previous_response_id"),
        max_output_tokens=fields.integer("max_output_tokens", minimum=MIN_OUTPUT_TOKENS),
        parallel_tool_calls=_flag(fields, "parallel_tool_calls", True),
        stream=_flag(fields, "stream", False),
        background=_flag(fields, "background", False),
        store=_flag(fields, "store", True),
        obfuscate=_obfuscate(fields),
    )


def _check_scalars(fields: Fields) -> None:
    fields.number("temperature", 0, 2)
    fields.number("top_p", 0, 1)
    fields.integer("top_logprobs", 0, 20)
    fields.integer("max_tool_calls", minimum=1)
    fields.enum("truncation", ("auto", "disabled"))
    fields.enum("service_tier", SERVICE_TIERS)
    fields.enum("prompt_cache_retention", ("in_memory", "24h"))
    fields.string("user")
    fields.string("safety_identifier", max_length=64)
    fields.string("prompt_cache_key")
    if not isinstance(fields.obj.get("instructions"), (str, list, type(None))):
        fields.string("instructions")
    conversation = fields.obj.get("conversation")
    if conversation is not None and not isinstance(conversation, (str, dict)):
        fields.string("conversation")


def _flag(fields: Fields, key: str, default: bool) -> bool:
    value = fields.boolean(key)
    return default if value is None else value


def _include(fields: Fields) -> list[str]:
    found = []
    for index, value in enumerate(fields.array("include") or []):
        Fields({f"include[{index}]": value}).enum(f"include[{index}]", INCLUDABLE)
        found.append(value)
    return found


def _obfuscate(fields: Fields) -> bool:
    options = fields.object("stream_options")
    value = options.boolean("include_obfuscation") if options is not None else None
    return True if value is None else value


def _mutually_exclusive(first: str, second: str) -> ApiError:
    message = (
        f"Mutually exclusive parameters: Ensure you are only providing one of: '{first}' or "
        f"'{second}'."
    )
    return ApiError(400, message, param=first, code="mutually_exclusive_parameters")
