"""What a literal event is completed with, per API, so that scenario authors write only what
matters: the fields every event of that API carries and no one wants to count by hand.

- Realtime: `event_id` (a fresh one when absent), right after `type`.
- Responses: `sequence_number` when absent: the next of the stream (0, 1, ...), counting every
  event built for it, replayed ones included, so literals after a replay continue its numbering.
- Chat: a chunk's `id`, `object`, `created` and `model` when absent, from the stream's first
  chunk (literal or replayed), else made up (`model` from the request); a mid-stream
  `{"error": {...}}` chunk is sent as written.

One Stamper per Realtime connection or per HTTP stream.
"""

from __future__ import annotations

from typing import Any

from realtime_conformance.rtproto.catalogue import Api
from realtime_conformance.rtproto.server.play.state import ConnectionState

Event = dict[str, Any]
CHUNK_OBJECT = "chat.completion.chunk"
CHUNK_HEAD = ("id", "object", "created", "model")


def is_error_chunk(event: Event) -> bool:
    return set(event) == {"error"}


class Stamper:
    def __init__(self, api: Api, state: ConnectionState, request: Event | None = None) -> None:
        self.api = api
        self.state = state
        self.request = request or {}
        self._next_sequence = 0
        self._chunk_head: Event | None = None

    def literal(self, body: Event) -> Event:
        """`body` (a literal step, resolved) completed as the API sends it."""
        if self.api == "responses":
            if "sequence_number" in body:
                return body
            return {**body, "sequence_number": self._next_sequence}
        if self.api == "chat":
            return body if is_error_chunk(body) else {**self._head(body), **body}
        head = {"type": body.pop("type"), "event_id": body.pop("event_id", None)}
        return {**head, "event_id": head["event_id"] or self.state.ids.new("event"), **body}

    def seen(self, event: Event) -> None:
        """An event built for this stream (literal, replayed or a fault's): keep count."""
        number = event.get("sequence_number")
        if isinstance(number, int) and not isinstance(number, bool):
            self._next_sequence = number + 1
        if self.api == "chat" and self._chunk_head is None and event.get("object") == CHUNK_OBJECT:
            self._chunk_head = {key: event[key] for key in CHUNK_HEAD if key in event}

    def _head(self, body: Event) -> Event:
        if self._chunk_head is None:
            model = self.request.get("model")
            made_up = {
                "id": "chatcmpl-" + self.state.ids.new("chatcmpl").removeprefix("chatcmpl_"),
                "object": CHUNK_OBJECT,
                "created": self.state.epoch_s,
                "model": model if isinstance(model, str) else self.state.model,
            }
            given = {key: body[key] for key in CHUNK_HEAD if key in body}
            self._chunk_head = {**made_up, **given}
        return {**self._chunk_head}
