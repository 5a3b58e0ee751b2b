"""The streamed output items a model writes itself: messages, refusals, tool calls, reasoning.

Event order per item, as the recordings in shared/traces/responses show it:
message: `output_item.added` → `content_part.added` → `output_text.delta`* (annotations
interleaved after the delta that completes their span) → `output_text.done` →
`content_part.done` → `output_item.done`; a refusal uses `refusal.delta`/`refusal.done`;
function call: `output_item.added` (arguments "") → `function_call_arguments.delta`* →
`.done` → `output_item.done` (custom tools: `custom_tool_call_input.*`); reasoning:
`output_item.added` → [`reasoning_summary_part.added` → `reasoning_summary_text.delta`* →
`.done` → `reasoning_summary_part.done`]xk → `output_item.done`.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

from realtime_conformance.rtproto.server.responses.stream import ItemWriting, Output
from realtime_conformance.rtproto.wire import argument_pieces, text_pieces


@dataclass(frozen=True)
class Citation:
    """An annotation to attach once the text up to `end` has been streamed."""

    end: int
    annotation: dict[str, Any]


def _open_message(out: Output) -> tuple[dict[str, Any], int, dict[str, Any]]:
    """An assistant message item added in progress: the item, its output index, and the
    fields that place its first content part (what every part event carries)."""
    item_id = out.sim.hex_id("msg")
    item = {
        "id": item_id,
        "type": "message",
        "status": "in_progress",
        "content": [],
        "role": "assistant",
    }
    index = out.add(item)
    return item, index, {"item_id": item_id, "output_index": index, "content_index": 0}


def message(
    out: Output, text: str, citations: Sequence[Citation] = (), *, status: str = "completed"
) -> ItemWriting:
    item, index, where = _open_message(out)
    part: dict[str, Any] = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
    out.writer.emit("response.content_part.added", **where, part=part)
    annotations = yield from _stream_text(out, text, list(citations), where)
    out.writer.emit("response.output_text.done", **where, text=text, logprobs=[])
    part = {**part, "annotations": annotations, "text": text}
    out.writer.emit("response.content_part.done", **where, part=part)
    return out.done(index, {**item, "status": status, "content": [part]})


def _stream_text(
    out: Output, text: str, pending: list[Citation], where: dict[str, Any]
) -> Generator[None, None, list[dict[str, Any]]]:
    annotations: list[dict[str, Any]] = []
    streamed = 0
    for piece in text_pieces(text):
        yield from out.deltas("response.output_text.delta", [piece], **where, logprobs=[])
        streamed += len(piece)
        while pending and pending[0].end <= streamed:
            _annotate(out, pending.pop(0).annotation, annotations, where)
    for citation in pending:
        _annotate(out, citation.annotation, annotations, where)
    return annotations


def _annotate(
    out: Output,
    annotation: dict[str, Any],
    annotations: list[dict[str, Any]],
    where: dict[str, Any],
) -> None:
    out.writer.emit(
        "response.output_text.annotation.added",
        **where,
        annotation_index=len(annotations),
        annotation=annotation,
    )
    annotations.append(annotation)


def refusal(out: Output, text: str) -> ItemWriting:
    item, index, where = _open_message(out)
    out.writer.emit("response.content_part.added", **where, part={"type": "refusal", "refusal": ""})
    yield from out.deltas("response.refusal.delta", text_pieces(text), **where)
    out.writer.emit("response.refusal.done", **where, refusal=text)
    part = {"type": "refusal", "refusal": text}
    out.writer.emit("response.content_part.done", **where, part=part)
    return out.done(index, {**item, "status": "completed", "content": [part]})


def function_call(out: Output, name: str, arguments: str) -> ItemWriting:
    item = {
        "id": out.sim.hex_id("fc"),
        "type": "function_call",
        "status": "in_progress",
        "arguments": "",
        "call_id": out.sim.alnum_id("call"),
        "name": name,
    }
    index = out.add(item)
    where = {"item_id": item["id"], "output_index": index}
    pieces = argument_pieces(arguments)
    yield from out.deltas("response.function_call_arguments.delta", pieces, **where)
    out.writer.emit("response.function_call_arguments.done", **where, arguments=arguments)
    return out.done(index, {**item, "status": "completed", "arguments": arguments})


def custom_tool_call(out: Output, name: str, text: str) -> ItemWriting:
    item = {
        "id": out.sim.hex_id("ctc"),
        "type": "custom_tool_call",
        "status": "in_progress",
        "call_id": out.sim.alnum_id("call"),
        "input": "",
        "name": name,
    }
    index = out.add(item)
    where = {"item_id": item["id"], "output_index": index}
    yield from out.deltas("response.custom_tool_call_input.delta", text_pieces(text), **where)
    out.writer.emit("response.custom_tool_call_input.done", **where, input=text)
    return out.done(index, {**item, "status": "completed", "input": text})


def reasoning(out: Output, summaries: list[str], *, encrypted: bool) -> ItemWriting:
    item: dict[str, Any] = {"id": out.sim.hex_id("rs"), "type": "reasoning", "summary": []}
    if encrypted:
        item["encrypted_content"] = "gAAAAA" + out.sim.png_base64(2).replace("=", "")
    index = out.add(item)
    where = {"item_id": item["id"], "output_index": index}
    done: list[dict[str, Any]] = []
    for summary_index, text in enumerate(summaries):
        at = {**where, "summary_index": summary_index}
        out.writer.emit(
            "response.reasoning_summary_part.added", **at, part={"type": "summary_text", "text": ""}
        )
        yield from out.deltas("response.reasoning_summary_text.delta", text_pieces(text), **at)
        out.writer.emit("response.reasoning_summary_text.done", **at, text=text)
        part = {"type": "summary_text", "text": text}
        out.writer.emit("response.reasoning_summary_part.done", **at, part=part)
        done.append(part)
    return out.done(index, {**item, "summary": done})
