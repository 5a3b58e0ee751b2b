"""A client's `conversation.item.create` item as the server stores and announces it.

The server adds the id (the client's, or a fresh one) and `status: "completed"`, and keeps the
recorded field order (`id, type, status, role, content`). Input audio is not echoed back, only
its transcript (`null` unless the client gave one), as for committed audio.
"""

from __future__ import annotations

import copy
from typing import Any

from realtime_conformance.rtproto.audio.buffer import decode_append
from realtime_conformance.rtproto.audio.formats import AudioFormat
from realtime_conformance.rtproto.ids import IdFactory

Item = dict[str, Any]


def server_part(part: dict[str, Any]) -> dict[str, Any]:
    if part.get("type") in ("input_audio", "output_audio"):
        return {"type": part["type"], "transcript": part.get("transcript")}
    return dict(part)


def input_audio_ms(item: Item, fmt: AudioFormat) -> float:
    """Milliseconds of the item's `input_audio` parts, in the session's input format."""
    parts = item.get("content") or []
    audio = [
        decode_append(part["audio"], fmt) for part in parts if part.get("type") == "input_audio"
    ]
    return sum(fmt.duration_ms(len(chunk)) for chunk in audio)


def server_item(item: Item, item_id: str, ids: IdFactory) -> Item:
    kind = item["type"]
    if kind == "message":
        return {
            "id": item_id,
            "type": "message",
            "status": "completed",
            "role": item["role"],
            "content": [server_part(part) for part in item["content"]],
        }
    if kind == "function_call":
        return {
            "id": item_id,
            "type": "function_call",
            "status": "completed",
            "name": item["name"],
            "call_id": item.get("call_id") or ids.new("call"),
            "arguments": item["arguments"],
        }
    fields = {key: value for key, value in item.items() if key not in ("id", "object", "type")}
    fields = copy.deepcopy(fields)
    return {"id": item_id, "type": kind, "status": "completed", **fields}
