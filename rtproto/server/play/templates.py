"""Named templates: realistic GA server events built from the connection's state and the client
event being answered. Every event they produce validates against schemas/ (tests check it).

A template named after an event type (`session.created`, `error`) builds one event of that type;
a name with underscores (`text_response`, `item_added_done`) builds a sequence. The parameters
each takes are in schemas/scenario.schema.json (`$defs/step`), and a test keeps the two in step.
The response templates are generators: the player builds their events as they fall due.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from realtime_conformance.rtproto.server.play.responses import (
    audio_response,
    function_call_response,
    rate_limits,
    text_response,
)
from realtime_conformance.rtproto.server.play.state import TemplateContext, deep_merge

Event = dict[str, Any]
Template = Callable[[TemplateContext, dict[str, Any]], Iterable[Event]]
EMPTY_USER_ITEM = {"type": "message", "role": "user", "content": []}


def session_created(ctx: TemplateContext, params: dict[str, Any]) -> list[Event]:
    session = deep_merge(ctx.state.default_session(), params.get("session", {}))
    return [ctx.build("session.created", session=session)]


def session_updated(ctx: TemplateContext, params: dict[str, Any]) -> list[Event]:
    """The session as it stands, with the client's `session.update` applied, then `session`."""
    session = ctx.state.current_session()
    update = ctx.client("session") if ctx.client("type") == "session.update" else None
    if isinstance(update, dict):
        session = deep_merge(session, update)
    session = deep_merge(session, params.get("session", {}))
    return [ctx.build("session.updated", session=session)]


def _server_part(part: Any) -> Any:
    """A content part as the server echoes it: input audio comes back without its bytes."""
    if isinstance(part, dict) and part.get("type") == "input_audio":
        return {"type": "input_audio", "transcript": part.get("transcript")}
    return part


def server_item(item: dict[str, Any], item_id: str) -> dict[str, Any]:
    """A client's item as the GA server echoes it: id first, `status` completed, no `object`."""
    head = {
        "id": item_id,
        "type": item.get("type", "message"),
        "status": item.get("status", "completed"),
    }
    rest = {key: value for key, value in item.items() if key not in ("object", *head)}
    if isinstance(rest.get("content"), list):
        rest["content"] = [_server_part(part) for part in rest["content"]]
    return {**head, **rest}


def item_added_done(ctx: TemplateContext, params: dict[str, Any]) -> list[Event]:
    """`conversation.item.added` + `conversation.item.done` for the client's item (an empty user
    message when the client event has none)."""
    item = params.get("item") or ctx.client("item") or EMPTY_USER_ITEM
    given = item.get("id")
    item_id = given if isinstance(given, str) else ctx.new_id("item")
    echoed = server_item(item, item_id)
    previous = ctx.state.last_item_id
    return [
        ctx.build("conversation.item.added", previous_item_id=previous, item=echoed),
        ctx.build("conversation.item.done", previous_item_id=previous, item=echoed),
    ]


def item_truncated(ctx: TemplateContext, params: dict[str, Any]) -> list[Event]:
    fields = {
        "item_id": params.get("item_id", ctx.client("item_id", "")),
        "content_index": params.get("content_index", ctx.client("content_index", 0)),
        "audio_end_ms": params.get("audio_end_ms", ctx.client("audio_end_ms", 0)),
    }
    return [ctx.build("conversation.item.truncated", **fields)]


def item_deleted(ctx: TemplateContext, params: dict[str, Any]) -> list[Event]:
    item_id = params.get("item_id", ctx.client("item_id", ""))
    return [ctx.build("conversation.item.deleted", item_id=item_id)]


def buffer_committed(ctx: TemplateContext, params: dict[str, Any]) -> list[Event]:
    item_id = params.get("item_id") or ctx.new_id("item")
    previous = ctx.state.last_item_id
    return [ctx.build("input_audio_buffer.committed", previous_item_id=previous, item_id=item_id)]


def buffer_cleared(ctx: TemplateContext, params: dict[str, Any]) -> list[Event]:
    return [ctx.build("input_audio_buffer.cleared")]


def rate_limits_updated(ctx: TemplateContext, params: dict[str, Any]) -> list[Event]:
    event = rate_limits(ctx)
    if "rate_limits" in params:
        event["rate_limits"] = params["rate_limits"]
    return [event]


def error(ctx: TemplateContext, params: dict[str, Any]) -> list[Event]:
    """An `error` echoing the offending client event's `event_id` (PROTOCOL.md section 4)."""
    offending = ctx.client("event_id")
    details = {
        "type": params.get("type", "invalid_request_error"),
        "code": params.get("code"),
        "message": params["message"],
        "param": params.get("param"),
        "event_id": offending if isinstance(offending, str) else None,
    }
    return [ctx.build("error", error=details)]


TEMPLATES: dict[str, Template] = {
    "session.created": session_created,
    "session.updated": session_updated,
    "conversation.item.truncated": item_truncated,
    "conversation.item.deleted": item_deleted,
    "input_audio_buffer.committed": buffer_committed,
    "input_audio_buffer.cleared": buffer_cleared,
    "rate_limits.updated": rate_limits_updated,
    "error": error,
    "item_added_done": item_added_done,
    "text_response": text_response,
    "audio_response": audio_response,
    "function_call_response": function_call_response,
}


def generate(name: str, ctx: TemplateContext, params: dict[str, Any]) -> Iterator[Event]:
    """The template's events, built one by one as they are taken."""
    return iter(TEMPLATES[name](ctx, params))


def expand(name: str, ctx: TemplateContext, params: dict[str, Any]) -> list[Event]:
    """The template's events, all built."""
    return list(generate(name, ctx, params))
