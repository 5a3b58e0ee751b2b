"""The Responses stream, accumulated: events in, the seed's `ResponsesAPIEvents` out.

Sans-I/O and on plain dicts, following the official `openai` package's `responses.stream()`
helper (`ResponseStreamState`, openai-python 3.x): every provider event is raised under the
constant of its type (`Unknown` for a type the seed does not list), with the event as sent as
its data, plus the helper's one enrichment: `snapshot`, the text (or arguments) so far, on
`response.output_text.delta` and `response.function_call_arguments.delta`. An
`output_item.added` without an item is dropped, as the helper drops it.

The helper's consistency rules are kept, with its wording: a stream must begin with
`response.created`, content events need their item, lifecycle events keep one response id, an
output index is added once, an item keeps its identity, and `response.completed` leaves no item
unfinished. A broken rule raises `StreamStateError`; the client reports it as
`ResponsesAPIError` and stops reading that stream, as the helper stops.

A resumed stream (`starting_after`) continues the same accumulator: its events carry on the
sequence, and events at or below the last sequence number already handled are skipped.
"""

from __future__ import annotations

import copy
from typing import Any

from realtime_conformance.refclient.events import ResponsesAPIEvents, is_provider_event

Derived = tuple[ResponsesAPIEvents, dict[str, Any]]
CONSTANT_OF_TYPE = {c.value: c for c in ResponsesAPIEvents if is_provider_event(c)}
LIFECYCLE = ("response.created", "response.queued", "response.in_progress")
TERMINAL = ("response.completed", "response.failed", "response.incomplete")
KEYED_BY_CALL = ("function_call", "custom_tool_call", "shell_call", "shell_call_output")
Identity = tuple[str, Any, Any]


class StreamStateError(RuntimeError):
    """The stream broke one of the helper's consistency rules."""


def identity(item: dict[str, Any]) -> Identity:
    kind, call_id = str(item.get("type")), item.get("call_id")
    return (kind, None, call_id) if kind in KEYED_BY_CALL else (kind, item.get("id"), call_id)


def compatible(previous: dict[str, Any], replacement: dict[str, Any]) -> bool:
    previous_id = previous.get("id")
    return previous_id == replacement.get("id") or (
        previous_id is None and previous.get("type") in ("function_call", "custom_tool_call")
    )


class ResponseStreamAccumulator:
    """One response's stream (and its resumptions)."""

    def __init__(self) -> None:
        self.snapshot: dict[str, Any] | None = None
        self.items: dict[int, dict[str, Any]] = {}  # output index -> the item being built
        self.completed: dict[int, dict[str, Any]] = {}  # output index -> output_item.done's item
        self.positions: dict[Identity, int] = {}
        self.last_sequence: int | None = None
        self.terminal: dict[str, Any] | None = None  # the terminal event, once it came

    @property
    def response_id(self) -> str | None:
        return None if self.snapshot is None else self.snapshot.get("id")

    def handle_event(self, event: dict[str, Any]) -> list[Derived]:
        number = event.get("sequence_number")
        if isinstance(number, int):
            if self.last_sequence is not None and number <= self.last_sequence:
                return []  # already handled before a resumption
            self.last_sequence = number
        event = copy.deepcopy(event)
        kind = str(event.get("type"))
        self._accumulate(kind, event)
        if kind in TERMINAL:
            self.terminal = event
        if kind == "response.output_item.added" and event.get("item") is None:
            return []
        if kind == "response.output_text.delta":
            event["snapshot"] = self._text_part(event)["text"]
        elif kind == "response.function_call_arguments.delta":
            event["snapshot"] = self._call(event)["arguments"]
        return [(CONSTANT_OF_TYPE.get(kind, ResponsesAPIEvents.Unknown), event)]

    # -- accumulation (the helper's accumulate_event) -------------------------------------------

    def _accumulate(self, kind: str, event: dict[str, Any]) -> None:
        if self.snapshot is None:
            self._initial(kind, event)
            return
        found = event.get("response")
        response: dict[str, Any] = found if isinstance(found, dict) else {}
        if kind in (*LIFECYCLE, *TERMINAL) and response.get("id") != self.snapshot.get("id"):
            raise StreamStateError("Lifecycle response identity changed.")
        if kind in LIFECYCLE:
            self._replace_completed(response.get("output") or [])
        elif kind == "response.output_item.added":
            self._item_added(event)
        elif kind == "response.content_part.added":
            output = self._output(event)
            if output.get("type") == "message":
                output.setdefault("content", []).append(copy.deepcopy(event["part"]))
        elif kind == "response.output_text.delta":
            part = self._text_part(event)
            part["text"] = part.get("text", "") + event["delta"]
        elif kind == "response.function_call_arguments.delta":
            call = self._call(event)
            call["arguments"] = call.get("arguments", "") + event["delta"]
        elif kind == "response.output_item.done":
            self._item_done(event)
        elif kind == "response.completed":
            self._check_completion(response)

    def _initial(self, kind: str, event: dict[str, Any]) -> None:
        if kind != "response.created":
            raise StreamStateError(f"Expected to have received `response.created` before `{kind}`")
        self.snapshot = copy.deepcopy(event.get("response") or {})
        self.snapshot["output"] = self.snapshot.get("output") or []
        self.items = dict(enumerate(self.snapshot["output"]))

    def _replace_completed(self, output: list[dict[str, Any]]) -> None:
        replacements: dict[Identity, dict[str, Any]] = {}
        for item in output:
            if identity(item) in replacements:
                raise StreamStateError("Response snapshot has conflicting output identities.")
            replacements[identity(item)] = item
        for key, replacement in replacements.items():
            index = self.positions.get(key)
            if index is not None:
                if not compatible(self.completed[index], replacement):
                    raise StreamStateError("Response snapshot has conflicting output identities.")
                self.completed[index] = copy.deepcopy(replacement)

    def _item_added(self, event: dict[str, Any]) -> None:
        item, index = event.get("item"), event.get("output_index")
        if item is None:
            return
        if index in self.items:
            raise StreamStateError(f"Duplicate response output index {index}.")
        assert self.snapshot is not None
        self.snapshot["output"].append(copy.deepcopy(item))
        self.items[int(str(index))] = self.snapshot["output"][-1]

    def _item_done(self, event: dict[str, Any]) -> None:
        item, index = event["item"], event["output_index"]
        added = self.items.get(index)
        if added is not None and (identity(added) != identity(item) or not compatible(added, item)):
            raise StreamStateError("Completed output item identity changed.")
        position = self.positions.get(identity(item))
        if position is not None and position != index:
            raise StreamStateError("Response snapshot has conflicting output identities.")
        previous = self.completed.get(index)
        if previous is not None:
            del self.positions[identity(previous)]
        self.completed[index] = item
        self.positions[identity(item)] = index

    def _check_completion(self, response: dict[str, Any]) -> None:
        final = {identity(item): item for item in response.get("output") or []}
        for item in self.completed.values():
            found = final.get(identity(item))
            if found is not None and not compatible(item, found):
                raise StreamStateError("Completed response output identity changed.")
        for index, item in self.items.items():
            found = final.get(identity(item))
            if index not in self.completed and (found is None or not compatible(item, found)):
                raise StreamStateError("Cannot complete response with unfinished output items.")

    # -- lookups --------------------------------------------------------------------------------

    def _output(self, event: dict[str, Any]) -> dict[str, Any]:
        index = event.get("output_index")
        if index not in self.items:
            raise StreamStateError(
                f"Received a content event for output index {index} before receiving its "
                "output item"
            )
        return self.items[int(str(index))]

    def _text_part(self, event: dict[str, Any]) -> dict[str, Any]:
        output = self._output(event)
        content = output.get("content") or [] if output.get("type") == "message" else []
        index = event.get("content_index")
        if not isinstance(index, int) or index >= len(content):
            raise StreamStateError(f"No output_text part {index} in output {output.get('id')}")
        part: dict[str, Any] = content[index]
        if part.get("type") != "output_text":
            raise StreamStateError(f"Content part {index} is {part.get('type')}, not output_text")
        return part

    def _call(self, event: dict[str, Any]) -> dict[str, Any]:
        output = self._output(event)
        if output.get("type") != "function_call":
            raise StreamStateError(f"Output {output.get('id')} is no function_call")
        return output
