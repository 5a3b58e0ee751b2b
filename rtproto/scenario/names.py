"""The names a scenario may use: event types per API (from the AsyncAPI catalogue) and templates.

Realtime scenarios name GA events. Responses and Chat scenarios are played per HTTP request: the
driver hands the player the request body as one pseudo client event, `response.create` (the
Responses WebSocket-mode event of that name, whose fields are the POST body) or
`chat.completions.create` (ours: Chat has no client events, so the catalogue has no such type).
Chat chunks are named by their `object` (`chat.completion.chunk`), every other event by `type`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from realtime_conformance.rtproto.catalogue import Api, load_catalogue

# The templates a reply may name; rtproto.server.play.templates implements each (a test keeps
# the two equal), so the format does not depend on the player.
TEMPLATE_NAMES = (
    "session.created",
    "session.updated",
    "conversation.item.truncated",
    "conversation.item.deleted",
    "input_audio_buffer.committed",
    "input_audio_buffer.cleared",
    "rate_limits.updated",
    "error",
    "item_added_done",
    "text_response",
    "audio_response",
    "function_call_response",
)
APIS: tuple[Api, ...] = ("realtime", "responses", "chat")
HTTP_APIS: tuple[Api, ...] = ("responses", "chat")
# The pseudo client event the HTTP driver makes of each request body.
REQUEST_TYPES: dict[Api, str] = {
    "responses": "response.create",
    "chat": "chat.completions.create",
}
CHAT_ERROR = "error"  # the name of a Chat mid-stream `{"error": {...}}` data chunk
# A Realtime scenario with `vad:` hands its rules one of these for each turn its VAD commits
# (rtproto.server.play.listener): ours, not the API's, so no client sends it.
VAD_TURN = "vad.turn"
PSEUDO_TYPES = (VAD_TURN,)


@dataclass(frozen=True)
class EventNames:
    client: tuple[str, ...]
    server: tuple[str, ...]

    @property
    def every(self) -> tuple[str, ...]:
        return self.client + self.server


def _names(api: Api, dialect: str, extra_client: tuple[str, ...] = ()) -> EventNames:
    specs = load_catalogue().events(api, dialect)
    client = {s.type for s in specs if s.direction == "client"} | set(extra_client)
    return EventNames(
        client=tuple(sorted(client)),
        server=tuple(sorted(s.type for s in specs if s.direction == "server")),
    )


@cache
def ga_event_names() -> EventNames:
    """GA client and server event types, as the catalogue lists them."""
    return _names("realtime", "ga")


@cache
def event_names(api: Api) -> EventNames:
    """What a scenario of `api` can match (client) and send (server)."""
    if api == "realtime":
        return ga_event_names()
    return _names(api, "", (REQUEST_TYPES[api],))


def event_name(event: Any, api: Api) -> str:
    """An event's name as rules and faults count it: its `type`; a Chat chunk's `object`."""
    if not isinstance(event, dict):
        return ""
    if api == "chat" and "type" not in event:
        return str(event.get("object") or (CHAT_ERROR if "error" in event else ""))
    return str(event.get("type"))


def request_event(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    """The pseudo client event for one HTTP request: its type, then the body's fields."""
    return {"type": REQUEST_TYPES[api], **{k: v for k, v in body.items() if k != "type"}}
