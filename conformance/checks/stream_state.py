"""What the order grammar remembers of a Realtime conversation: responses, items, parts, calls.

Recorded real streams are not always complete: some lines are summaries without ids (traces
README, `fidelity: partial`) and some files are windows that start mid-session. So an event
without an id refers to the latest open object of its kind, and an unknown id binds to an open
object recorded without one (the same rule both ways keeps placeholders consistent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.audio.formats import (
    PCM16,
    AudioFormat,
    AudioFormatError,
    parse_format,
)


@dataclass
class Part:
    index: int | None
    open: bool = True
    finished: set[str] = field(default_factory=set)  # the part's own *.done events seen


@dataclass
class Item:
    id: str | None
    type: str | None = None
    role: str | None = None
    call_id: str | None = None
    response: Response | None = None
    open: bool = True  # between output_item.added and output_item.done (response items)
    parts: list[Part] = field(default_factory=list)
    audio_bytes: int = 0
    audio_deltas: int = 0
    deleted: bool = False

    def part(self, index: int | None) -> Part | None:
        """The part at `index`; with no index, the latest part (summarised lines)."""
        if index is None:
            return self.parts[-1] if self.parts else None
        for part in self.parts:
            if part.index == index or part.index is None:
                part.index = index
                return part
        return None


@dataclass
class Response:
    id: str | None
    out_of_band: bool = False
    open: bool = True
    items: list[Item] = field(default_factory=list)


def _bind(id_: str | None, known: dict[str, Any], open_unnamed: list[Any]) -> Any:
    if id_ is not None and id_ in known:
        return known[id_]
    if open_unnamed:
        found = open_unnamed[-1]
        if id_ is not None:
            found.id = id_
            known[id_] = found
        return found
    return None


@dataclass
class StreamState:
    """The conversation as both sides have made it so far."""

    session_created: bool = False
    server_events: int = 0
    output_format: AudioFormat = PCM16
    responses: dict[str, Response] = field(default_factory=dict)
    open_responses: list[Response] = field(default_factory=list)
    items: dict[str, Item] = field(default_factory=dict)
    committed: set[str] = field(default_factory=set)
    calls: dict[str, Item] = field(default_factory=dict)  # call_id -> function_call item
    calls_answered: dict[str, int] = field(default_factory=dict)
    calls_ready: list[str] = field(default_factory=list)  # calls whose response is done
    pending_creates: list[dict[str, Any]] = field(default_factory=list)
    client_event_ids: set[str] = field(default_factory=set)
    reported: set[str] = field(default_factory=set)  # rules reported once per stream

    def response(self, id_: str | None) -> Response | None:
        """An open response by id; with no id, the latest open one."""
        if id_ is None:
            return self.open_responses[-1] if self.open_responses else None
        unnamed = [r for r in self.open_responses if r.id is None]
        return _bind(id_, self.responses, unnamed)  # type: ignore[no-any-return]

    def item(self, id_: str | None, response: Response | None = None) -> Item | None:
        """An item by id; with no id, the latest open item of `response` (or of any)."""
        scope = response.items if response else [i for r in self.open_responses for i in r.items]
        if id_ is None:
            open_items = [item for item in scope if item.open]
            return open_items[-1] if open_items else None
        unnamed = [item for item in scope if item.id is None and item.open]
        return _bind(id_, self.items, unnamed)  # type: ignore[no-any-return]

    def add_item(self, fields: dict[str, Any], response: Response | None) -> Item:
        """The item `fields` describe, new or known, updated with them."""
        item_id = fields.get("id") if isinstance(fields.get("id"), str) else None
        known = self.items.get(item_id) if item_id else None
        item = known or Item(item_id)
        if response is not None and item.response is None:
            item.response = response
            response.items.append(item)
        return self.update_item(item, fields)

    def update_item(self, item: Item, fields: dict[str, Any]) -> Item:
        item.type = fields.get("type", item.type)
        item.role = fields.get("role", item.role)
        item.call_id = fields.get("call_id", item.call_id)
        if item.id is None and isinstance(fields.get("id"), str):
            item.id = fields["id"]
        if item.id:
            self.items[item.id] = item
        if item.call_id and item.type == "function_call":
            self.calls[item.call_id] = item
        return item

    def set_output_format(self, session: Any) -> None:
        self.output_format = session_audio_format(session, "output") or self.output_format

    def audio_ms(self, item: Item) -> float:
        return item.audio_bytes / self.output_format.bytes_per_ms


def session_audio_format(session: Any, direction: str) -> AudioFormat | None:
    """The input or output format a session object states (GA `audio.<dir>.format`, beta
    `<dir>_audio_format`), or None when it states none (or one the real API would refuse)."""
    if not isinstance(session, dict):
        return None
    audio = session.get("audio")
    side = audio.get(direction) if isinstance(audio, dict) else None
    value = side.get("format") if isinstance(side, dict) else None
    value = value if value is not None else session.get(f"{direction}_audio_format")
    if value is None:
        return None
    try:
        return parse_format(value)
    except (AudioFormatError, AttributeError):
        return None


def base64_size(text: Any) -> int:
    """Bytes that a base64 string decodes to, without decoding it."""
    if not isinstance(text, str):
        return 0
    stripped = text.rstrip()
    padding = len(stripped) - len(stripped.rstrip("="))
    return max(0, len(stripped) * 3 // 4 - padding)
