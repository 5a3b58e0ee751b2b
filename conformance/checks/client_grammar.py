"""The client side of the conversation grammar: what a client may send, given what it has been
sent so far (recording order is the order the server saw). See grammar.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from realtime_conformance.conformance.checks import grammar_rules as g
from realtime_conformance.conformance.checks.stream_state import Item

Event = dict[str, Any]
Handler = Callable[[g.Tracker, Event], None]
ROOT_ITEM_IDS = ("root",)  # beta: previous_item_id "root" inserts at the start


def on_client_event(tracker: g.Tracker, event: Event, kind: str) -> None:
    _unique_event_id(tracker, event)
    state = tracker.state
    early = not state.session_created and g.SESSION_BEFORE_USE not in state.reported
    if early and kind not in g.SESSION_CONFIG:
        tracker.breach(
            g.SESSION_BEFORE_USE,
            [
                "session.created received before any event other than session.update",
                "session.update before session.created (tolerated: seen in the wild)",
            ],
            f"{kind} sent before the server's session.created",
        )
        state.reported.add(g.SESSION_BEFORE_USE)  # once: the rest follows from it
    handler = HANDLERS.get(kind)
    if handler is not None:
        handler(tracker, event)


def _unique_event_id(tracker: g.Tracker, event: Event) -> None:
    event_id = g.text(event.get("event_id"))
    if event_id is None:
        return
    if event_id in tracker.state.client_event_ids:
        tracker.breach(
            g.DUPLICATE_EVENT_ID,
            ["a client event_id not used before in the session (or no event_id)"],
            f"event_id {event_id!r} used again by {event.get('type')}",
        )
    tracker.state.client_event_ids.add(event_id)


def _is_out_of_band(event: Event) -> bool:
    params = event.get("response")
    return isinstance(params, dict) and params.get("conversation") == "none"


def _response_create(tracker: g.Tracker, event: Event) -> None:
    state = tracker.state
    if not _is_out_of_band(event):
        active = [r.id or "(unnamed)" for r in state.open_responses if not r.out_of_band]
        pending = [e for e in state.pending_creates if not _is_out_of_band(e)]
        if active or pending:
            what = f"response {active[-1]} in progress" if active else "an unanswered create"
            tracker.breach(
                g.RESPONSE_WHILE_ACTIVE,
                [
                    "response.create after response.done of the active response",
                    'response.create with response.conversation "none" (out of band)',
                ],
                f"a second response.create while {what}",
            )
        _outputs_before_create(tracker)
    state.pending_creates.append(event)


def _outputs_before_create(tracker: g.Tracker) -> None:
    state = tracker.state
    unanswered = [call for call in state.calls_ready if call not in state.calls_answered]
    for call_id in unanswered:
        name = state.calls[call_id].id if call_id in state.calls else None
        tracker.breach(
            g.RESPONSE_BEFORE_OUTPUT,
            [f"conversation.item.create function_call_output for {call_id} first"],
            f"response.create while call {call_id} (item {name}) has no function_call_output",
        )
        state.calls_answered[call_id] = 0  # reported once


def _item_create(tracker: g.Tracker, event: Event) -> None:
    item = g.obj(event.get("item"))
    previous = g.text(event.get("previous_item_id"))
    if previous is not None and previous not in ROOT_ITEM_IDS:
        _existing_item(tracker, previous, "previous_item_id")
    if item.get("type") == "function_call_output":
        _tool_output(tracker, g.text(item.get("call_id")))


def _tool_output(tracker: g.Tracker, call_id: str | None) -> None:
    state = tracker.state
    if call_id is None or call_id not in state.calls:
        tracker.breach(
            g.UNKNOWN_CALL,
            ["a call_id of a function_call item the server sent"],
            f"function_call_output for call_id {call_id!r}, which the server never called",
        )
        return
    answered = state.calls_answered.get(call_id)
    if answered:
        tracker.breach(
            g.CALL_TWICE,
            ["one function_call_output per call_id"],
            f"function_call_output number {answered + 1} for call_id {call_id}",
        )
    state.calls_answered[call_id] = (answered or 0) + 1


def _existing_item(tracker: g.Tracker, item_id: str | None, field: str) -> Item | None:
    item = tracker.state.items.get(item_id) if item_id else None
    if item is None or item.deleted:
        state = "was deleted" if item is not None else "the server never announced"
        tracker.breach(
            g.UNKNOWN_ITEM,
            [f"{field} of an item in the conversation"],
            f"{field} {item_id!r}, which {state}",
        )
        return None
    return item


def _item_reference(tracker: g.Tracker, event: Event) -> None:
    _existing_item(tracker, g.text(event.get("item_id")), "item_id")


def _truncate(tracker: g.Tracker, event: Event) -> None:
    item = _existing_item(tracker, g.text(event.get("item_id")), "item_id")
    if item is None:
        return
    if item.role != "assistant" or item.audio_deltas == 0:
        tracker.breach(
            g.TRUNCATE_UNDELIVERED,
            ["conversation.item.truncate of an assistant item whose audio has been sent"],
            f"truncate of item {item.id} ({item.role or item.type} item, "
            f"{item.audio_deltas} audio delta(s) sent)",
        )
        return
    _truncate_point(tracker, event, item)


def _truncate_point(tracker: g.Tracker, event: Event, item: Item) -> None:
    received_ms = tracker.state.audio_ms(item)
    end_ms = event.get("audio_end_ms")
    bound = received_ms + g.TRUNCATE_ROUNDING_MS
    if not isinstance(end_ms, int | float) or end_ms < 0 or end_ms > bound:
        tracker.breach(
            g.TRUNCATE_PAST_AUDIO,
            [f"0 <= audio_end_ms <= {received_ms:.0f} (the audio of item {item.id} sent so far)"],
            f"audio_end_ms {end_ms} (the real API rejects it: "
            f'"Audio content of {received_ms:.0f}ms is already shorter than {end_ms}ms")',
        )


def _cancel(tracker: g.Tracker, event: Event) -> None:
    response_id = g.text(event.get("response_id"))
    if response_id is not None and response_id not in tracker.state.responses:
        tracker.breach(
            g.UNKNOWN_ITEM,
            ["response_id of a response the server created (or none)"],
            f"response.cancel for response_id {response_id!r}, which was never created",
        )


HANDLERS: dict[str, Handler] = {
    "response.create": _response_create,
    "response.cancel": _cancel,
    "conversation.item.create": _item_create,
    "conversation.item.truncate": _truncate,
    "conversation.item.delete": _item_reference,
    "conversation.item.retrieve": _item_reference,
}
