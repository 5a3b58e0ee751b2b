"""The server side of the conversation grammar (shared/PROTOCOL.md §2 and §8); see grammar.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from realtime_conformance.conformance.checks import grammar_rules as g
from realtime_conformance.conformance.checks.stream_state import Item, Part, Response, base64_size

Event = dict[str, Any]
Handler = Callable[[g.Tracker, Event], None]


def on_server_event(tracker: g.Tracker, event: Event, kind: str) -> None:
    state = tracker.state
    state.server_events += 1
    handler = HANDLERS.get(kind)
    if kind in g.PART_FAMILIES:
        _part_event(tracker, event, *g.PART_FAMILIES[kind])
    elif kind in g.ARGUMENT_EVENTS:
        _argument_event(tracker, event)
    elif handler is not None:
        handler(tracker, event)


def _session_created(tracker: g.Tracker, event: Event) -> None:
    state = tracker.state
    if state.server_events > 1 or state.session_created:
        tracker.breach(
            g.SESSION_FIRST,
            ["session.created as the first server event, once"],
            f"session.created after {state.server_events - 1} other server event(s)",
        )
    state.session_created = True
    state.set_output_format(event.get("session"))


def _session_updated(tracker: g.Tracker, event: Event) -> None:
    tracker.state.set_output_format(event.get("session"))


def _is_out_of_band(response: Any) -> bool:
    """A response outside the default conversation (`conversation: "none"` on create): it
    shows `conversation_id: null`. Summarised lines say nothing, so they count as in-band."""
    return (
        isinstance(response, dict)
        and "conversation_id" in response
        and (response["conversation_id"] is None)
    )


def _response_created(tracker: g.Tracker, event: Event) -> None:
    state = tracker.state
    body = event.get("response")
    response_id = g.text(body.get("id")) if isinstance(body, dict) else None
    response = Response(response_id, out_of_band=_is_out_of_band(body))
    in_band = [r for r in state.open_responses if not r.out_of_band]
    if in_band and not response.out_of_band:
        tracker.breach(
            g.ONE_RESPONSE,
            ["response.done of the active response before the next response.created"],
            f"response.created while {in_band[-1].id or 'a response'} is still in progress",
        )
    if response_id:
        state.responses[response_id] = response
    state.open_responses.append(response)
    if state.pending_creates:
        state.pending_creates.pop(0)


def _open_response(tracker: g.Tracker, event: Event) -> Response | None:
    response_id = g.text(event.get("response_id"))
    response = tracker.state.response(response_id)
    if response is None or not response.open:
        tracker.breach(
            g.OUTSIDE_RESPONSE,
            ["an event of a response between its response.created and its response.done"],
            f"{event.get('type')} for {_describe_response(response_id, response)}",
        )
        return None
    return response


def _describe_response(response_id: str | None, response: Response | None) -> str:
    if response is not None:
        return f"response {response_id}, which had already ended with response.done"
    return f"response {response_id}, which was never created" if response_id else "no response"


def _output_item_added(tracker: g.Tracker, event: Event) -> None:
    response = _open_response(tracker, event)
    if response is None:
        return
    fields = g.obj(event.get("item"))
    item = tracker.state.add_item(fields, response)
    item.open = True


def _open_item(tracker: g.Tracker, event: Event) -> Item | None:
    response = _open_response(tracker, event)
    if response is None:
        return None
    item_id = g.text(event.get("item_id"))
    if item_id is None and isinstance(event.get("item"), dict):
        item_id = g.text(event["item"].get("id"))
    item = tracker.state.item(item_id, response)
    if item is None or not item.open or item.response is not response:
        state = "already done" if item is not None and not item.open else "never added"
        tracker.breach(
            g.OUTSIDE_ITEM,
            ["an event of an item between its output_item.added and its output_item.done"],
            f"{event.get('type')} for item {item_id or '(unnamed)'}, {state} in this response",
        )
        return None
    return item


def _content_part_added(tracker: g.Tracker, event: Event) -> None:
    item = _open_item(tracker, event)
    if item is not None:
        index = event.get("content_index")
        item.parts.append(Part(index if isinstance(index, int) else None))


def _open_part(tracker: g.Tracker, event: Event, item: Item) -> Part | None:
    index = event.get("content_index")
    part = item.part(index if isinstance(index, int) else None)
    if part is None or not part.open:
        tracker.breach(
            g.PART_ORDER,
            ["content_part.added, then deltas and the part's *.done, then content_part.done"],
            f"{event.get('type')} for content part {index} of item {item.id}, "
            + ("after its content_part.done" if part is not None else "never added"),
        )
        return None
    return part


def _part_event(tracker: g.Tracker, event: Event, family: str, phase: str) -> None:
    item = _open_item(tracker, event)
    part = _open_part(tracker, event, item) if item is not None else None
    if item is None or part is None:
        return
    if family in part.finished:
        tracker.breach(
            g.PART_ORDER,
            [f"response.{family}.delta events before response.{family}.done, once"],
            f"{event.get('type')} after response.{family}.done of the same part",
        )
    if phase == "done":
        part.finished.add(family)
    elif family == "output_audio":
        item.audio_bytes += base64_size(event.get("delta"))
        item.audio_deltas += 1


def _content_part_done(tracker: g.Tracker, event: Event) -> None:
    item = _open_item(tracker, event)
    part = _open_part(tracker, event, item) if item is not None else None
    if part is not None:
        part.open = False


def _argument_event(tracker: g.Tracker, event: Event) -> None:
    item = _open_item(tracker, event)
    if item is not None and item.type not in (None, "function_call"):
        tracker.breach(
            g.OUTSIDE_ITEM,
            ["function_call_arguments events for a function_call item"],
            f"{event.get('type')} for a {item.type} item",
        )


def _output_item_done(tracker: g.Tracker, event: Event) -> None:
    item = _open_item(tracker, event)
    if item is None:
        return
    if any(part.open for part in item.parts):
        tracker.breach(
            g.ITEM_NESTING,
            ["response.content_part.done for every part before response.output_item.done"],
            f"response.output_item.done for item {item.id} with a part still open",
        )
    fields = g.obj(event.get("item"))
    tracker.state.update_item(item, fields)
    item.open = False


def _response_done(tracker: g.Tracker, event: Event) -> None:
    body = event.get("response")
    event = {**event, "response_id": g.text(body.get("id")) if isinstance(body, dict) else None}
    response = _open_response(tracker, event)
    if response is None:
        return
    open_items = [item.id or "(unnamed)" for item in response.items if item.open]
    if open_items:
        tracker.breach(
            g.RESPONSE_NESTING,
            ["response.output_item.done for every item before response.done"],
            f"response.done with item(s) {', '.join(open_items)} still open",
        )
    response.open = False
    tracker.state.open_responses.remove(response)
    calls = [item.call_id for item in response.items if item.call_id]
    tracker.state.calls_ready.extend(call for call in calls if call)


def _item_known(tracker: g.Tracker, event: Event) -> None:
    fields = g.obj(event.get("item"))
    if fields:
        tracker.state.add_item(fields, None)


def _item_deleted(tracker: g.Tracker, event: Event) -> None:
    item_id = g.text(event.get("item_id"))
    if item_id is not None and item_id in tracker.state.items:
        tracker.state.items[item_id].deleted = True


def _committed(tracker: g.Tracker, event: Event) -> None:
    item_id = g.text(event.get("item_id"))
    if item_id is not None:
        tracker.state.committed.add(item_id)


def _transcription(tracker: g.Tracker, event: Event) -> None:
    state = tracker.state
    item_id = g.text(event.get("item_id"))
    if state.session_created and item_id and item_id not in state.committed | set(state.items):
        tracker.breach(
            g.TRANSCRIPTION_AFTER_COMMIT,
            ["input transcription events for an item already committed"],
            f"{event.get('type')} for item {item_id} before its input_audio_buffer.committed",
        )


def _error(tracker: g.Tracker, event: Event) -> None:
    """A rejected `response.create` is no longer pending (matched by the echoed event_id)."""
    error = g.obj(event.get("error"))
    rejected = g.text(error.get("event_id"))
    pending = tracker.state.pending_creates
    for create in pending:
        if rejected is not None and create.get("event_id") == rejected:
            pending.remove(create)
            return
    if error.get("code") == "conversation_already_has_active_response" and pending:
        pending.pop()


TRANSCRIPTION = "conversation.item.input_audio_transcription."
HANDLERS: dict[str, Handler] = {
    "session.created": _session_created,
    "session.updated": _session_updated,
    "response.created": _response_created,
    "response.output_item.added": _output_item_added,
    "response.content_part.added": _content_part_added,
    "response.content_part.done": _content_part_done,
    "response.output_item.done": _output_item_done,
    "response.done": _response_done,
    "conversation.item.added": _item_known,
    "conversation.item.done": _item_known,
    "conversation.item.retrieved": _item_known,
    "conversation.item.deleted": _item_deleted,
    "input_audio_buffer.committed": _committed,
    "error": _error,
    **{
        TRANSCRIPTION + name: _transcription for name in ("delta", "completed", "failed", "segment")
    },
}
