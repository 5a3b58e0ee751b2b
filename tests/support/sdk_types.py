"""The official `openai` package's event types, keyed by wire `type`: our independent oracle."""

from __future__ import annotations

import copy
import importlib
import typing
from functools import cache
from typing import Any

from pydantic import TypeAdapter

# (family, dialect, direction) -> (module, union alias) in the openai package
SDK_UNIONS = {
    ("realtime", "ga", "server"): (
        "openai.types.realtime.realtime_server_event",
        "RealtimeServerEvent",
    ),
    ("realtime", "ga", "client"): (
        "openai.types.realtime.realtime_client_event",
        "RealtimeClientEvent",
    ),
    ("realtime", "beta", "server"): (
        "openai.types.beta.realtime.realtime_server_event",
        "RealtimeServerEvent",
    ),
    ("realtime", "beta", "client"): (
        "openai.types.beta.realtime.realtime_client_event",
        "RealtimeClientEvent",
    ),
    ("responses", "", "server"): (
        "openai.types.responses.response_stream_event",
        "ResponseStreamEvent",
    ),
}


def _union_members(alias: Any) -> tuple[Any, ...]:
    if typing.get_origin(alias) is typing.Annotated:
        alias = typing.get_args(alias)[0]
    return typing.get_args(alias)


@cache
def sdk_event_types(family: str, dialect: str, direction: str) -> dict[str, type]:
    """SendQueue event type -> the SDK's pydantic model for it."""
    module_name, alias_name = SDK_UNIONS[(family, dialect, direction)]
    alias = getattr(importlib.import_module(module_name), alias_name)
    found: dict[str, type] = {}
    for model in _union_members(alias):
        literal = model.model_fields["type"].annotation
        found[typing.get_args(literal)[0]] = model
    return found


@cache
def sdk_adapter(model: type) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def chat_chunk_type() -> type:
    from openai.types.chat import ChatCompletionChunk

    return ChatCompletionChunk


@cache
def _response_events() -> TypeAdapter[Any]:
    from openai.types.responses import ResponseStreamEvent

    return TypeAdapter(ResponseStreamEvent)


def sdk_response_event(event: dict[str, Any]) -> Any:
    """A Responses wire event as the SDK's typed event, validated by the SDK's own union (public
    API, where the SDK's stream would use its private lenient `construct_type`)."""
    return _response_events().validate_python(copy.deepcopy(event))
