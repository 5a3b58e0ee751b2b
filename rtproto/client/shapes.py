"""The wire shapes the client protocol reads and writes: events it builds, fields it reads
from the server's events, and which server event types exist (the catalogue's, GA)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from realtime_conformance.rtproto.catalogue import load_catalogue
from realtime_conformance.rtproto.client.state import Event, FunctionCall


@cache
def known_server_types() -> frozenset[str]:
    """Every GA server event type of the catalogue (anything else is unknown)."""
    catalogue = load_catalogue()
    return frozenset(
        spec.type for spec in catalogue.events("realtime", "ga") if spec.direction == "server"
    )


METADATA_KEY = "client_event_id"


def request_of(response: Any) -> str | None:
    """The `event_id` of the `response.create` a response echoes in its metadata, if any."""
    metadata = response.get("metadata") if isinstance(response, dict) else None
    value = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else None


def function_call_output(call_id: str, output: str) -> dict[str, Any]:
    return {
        "type": "conversation.item.create",
        "item": {"type": "function_call_output", "call_id": call_id, "output": output},
    }


def truncate_event(item_id: str, content_index: int, audio_end_ms: int) -> Event:
    return {
        "type": "conversation.item.truncate",
        "item_id": item_id,
        "content_index": content_index,
        "audio_end_ms": audio_end_ms,
    }


def calls_in_output(response: Event, known: Mapping[str, FunctionCall]) -> dict[str, FunctionCall]:
    """Completed function calls listed in `response.done`'s output that were not seen yet."""
    found: dict[str, FunctionCall] = {}
    for item in response.get("output") or []:
        if isinstance(item, dict) and item.get("type") == "function_call":
            call_id = item.get("call_id")
            if isinstance(call_id, str) and call_id not in known:
                arguments = item.get("arguments") or ""
                found[call_id] = FunctionCall(call_id, str(item.get("name")), arguments, True)
    return found
