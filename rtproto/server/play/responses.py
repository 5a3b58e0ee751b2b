"""Whole GA responses as the real server streams them: text, audio, function call.

Event order follows the 2026-09 GA capture (shared/PROTOCOL.md section 2): `response.created`,
`output_item.added`, `conversation.item.added` right after it, the content part and its deltas,
the part's `*.done`, `conversation.item.done` right before `output_item.done`, `response.done`,
then `rate_limits.updated`. A `response.create` with `conversation: "none"` (out of band) gets no
`conversation.item.*` events and `conversation_id: null`; its `metadata` is echoed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rtproto.server.play.audio import audio_chunks
from rtproto.server.play.state import TOKEN_LIMIT, TemplateContext

Event = dict[str, Any]
TOKEN = re.compile(r"\s*\w+|\s*[^\w\s]")  # "Hi there, friend!" -> "Hi", " there", ",", ...
ARGUMENT_TOKEN = re.compile(r"\w+|[^\w]+")  # '{"city":"Paris"}' -> '{"', 'city', '":"', ...
INPUT_TOKENS = {"text_tokens": 120, "audio_tokens": 0, "image_tokens": 0}
CACHED_TOKENS = 64
AUDIO_MS_PER_TOKEN = 50


def text_deltas(text: str) -> list[str]:
    """Token-like pieces that join back to `text` (as in the GA capture)."""
    pieces = TOKEN.findall(text)
    trailing = text[len("".join(pieces)) :]
    return [*pieces[:-1], pieces[-1] + trailing] if pieces else [text]


def usage(text_out: int, audio_out: int) -> dict[str, Any]:
    input_tokens = sum(INPUT_TOKENS.values())
    return {
        "total_tokens": input_tokens + text_out + audio_out,
        "input_tokens": input_tokens,
        "output_tokens": text_out + audio_out,
        "input_token_details": {
            **INPUT_TOKENS,
            "cached_tokens": CACHED_TOKENS,
            "cached_tokens_details": {"text_tokens": CACHED_TOKENS, "audio_tokens": 0,
                                      "image_tokens": 0},
        },
        "output_token_details": {"text_tokens": text_out, "audio_tokens": audio_out},
    }  # fmt: skip


def rate_limits(ctx: TemplateContext, pending: int = 0) -> Event:
    """`rate_limits.updated`, counting the tokens used so far plus `pending` not yet seen."""
    remaining = max(TOKEN_LIMIT - ctx.state.tokens_used - pending, 0)
    limits = [{"name": "tokens", "limit": TOKEN_LIMIT, "remaining": remaining,
               "reset_seconds": 0.001}]  # fmt: skip
    return ctx.build("rate_limits.updated", rate_limits=limits)


class ResponseWriter:
    """Builds the events of one response with a single output item (output_index 0)."""

    def __init__(self, ctx: TemplateContext, modalities: list[str]) -> None:
        self.ctx = ctx
        request = ctx.client("response", {}) if ctx.client("type") == "response.create" else {}
        self.request: dict[str, Any] = request if isinstance(request, dict) else {}
        self.out_of_band = self.request.get("conversation") == "none"
        self.modalities = modalities
        self.id = ctx.new_id("resp")
        self.item_id = ctx.new_id("item")
        self.events: list[Event] = []

    def resource(self, status: str, output: list[Any], used: Any) -> dict[str, Any]:
        session = self.ctx.state.current_session()
        audio_out = session.get("audio", {}).get("output", {})
        return {
            "object": "realtime.response", "id": self.id, "status": status,
            "status_details": None, "output": output,
            "conversation_id": None if self.out_of_band else self.ctx.state.conversation_id,
            "output_modalities": self.modalities,
            "max_output_tokens": session.get("max_output_tokens", "inf"),
            "audio": {"output": {"format": audio_out.get("format"),
                                 "voice": audio_out.get("voice", "alloy")}},
            "usage": used, "metadata": self.request.get("metadata"),
        }  # fmt: skip

    def emit(self, event_type: str, **fields: Any) -> None:
        self.events.append(self.ctx.build(event_type, **fields))

    def part(self, **fields: Any) -> dict[str, Any]:
        """The fields every content-part event carries, then `fields`."""
        ids = {"response_id": self.id, "item_id": self.item_id, "output_index": 0}
        return {**ids, "content_index": 0, **fields}

    def start(self, item: dict[str, Any]) -> None:
        self.emit("response.created", response=self.resource("in_progress", [], None))
        self.emit("response.output_item.added", response_id=self.id, output_index=0, item=item)
        if not self.out_of_band:
            previous = self.ctx.state.last_item_id
            self.emit("conversation.item.added", previous_item_id=previous, item=item)

    def finish(self, item: dict[str, Any], used: dict[str, Any]) -> list[Event]:
        if not self.out_of_band:
            previous = self.ctx.state.last_item_id
            self.emit("conversation.item.done", previous_item_id=previous, item=item)
        self.emit("response.output_item.done", response_id=self.id, output_index=0, item=item)
        self.emit("response.done", response=self.resource("completed", [item], used))
        self.events.append(rate_limits(self.ctx, pending=used["total_tokens"]))
        return self.events

    def message(self, status: str, content: list[Any]) -> dict[str, Any]:
        return {"id": self.item_id, "type": "message", "status": status, "role": "assistant",
                "content": content}  # fmt: skip


def text_response(ctx: TemplateContext, params: dict[str, Any]) -> list[Event]:
    text = str(params.get("text", "Hello there!"))
    writer = ResponseWriter(ctx, ["text"])
    writer.start(writer.message("in_progress", []))
    writer.emit("response.content_part.added", **writer.part(part={"type": "text", "text": ""}))
    deltas = text_deltas(text)
    for delta in deltas:
        noise = ctx.state.obfuscation()
        writer.emit("response.output_text.delta", **writer.part(delta=delta, obfuscation=noise))
    writer.emit("response.output_text.done", **writer.part(text=text))
    writer.emit("response.content_part.done", **writer.part(part={"type": "text", "text": text}))
    item = writer.message("completed", [{"type": "output_text", "text": text}])
    return writer.finish(item, usage(len(deltas), 0))


def _spread(count: int, slots: int) -> list[int]:
    """Which of `slots` audio chunks each of `count` transcript deltas goes before."""
    return [index * slots // count for index in range(count)] if slots else [0] * count


def audio_response(ctx: TemplateContext, params: dict[str, Any]) -> list[Event]:
    transcript = str(params.get("transcript", "Hello there!"))
    chunks = audio_chunks(int(params.get("duration_ms", 1000)), int(params.get("chunk_ms", 100)))
    writer = ResponseWriter(ctx, ["audio"])
    writer.start(writer.message("in_progress", []))
    part = {"type": "audio", "transcript": ""}
    writer.emit("response.content_part.added", **writer.part(part=part))
    deltas = text_deltas(transcript)
    slots = _spread(len(deltas), len(chunks))
    for index in range(max(len(chunks), 1)):
        for delta in (d for d, slot in zip(deltas, slots, strict=True) if slot == index):
            noise = ctx.state.obfuscation()
            writer.emit(
                "response.output_audio_transcript.delta",
                **writer.part(delta=delta, obfuscation=noise),
            )
        if index < len(chunks):
            writer.emit("response.output_audio.delta", **writer.part(delta=chunks[index]))
    writer.emit("response.output_audio.done", **writer.part())
    writer.emit("response.output_audio_transcript.done", **writer.part(transcript=transcript))
    part = {"type": "audio", "transcript": transcript}
    writer.emit("response.content_part.done", **writer.part(part=part))
    item = writer.message("completed", [{"type": "output_audio", "transcript": transcript}])
    audio_tokens = int(params.get("duration_ms", 1000)) // AUDIO_MS_PER_TOKEN
    return writer.finish(item, usage(len(deltas), audio_tokens))


def function_call_response(ctx: TemplateContext, params: dict[str, Any]) -> list[Event]:
    arguments = params.get("arguments", "{}")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, separators=(",", ":"))
    writer = ResponseWriter(ctx, ["text"])
    call_id = str(params.get("call_id") or ctx.new_id("call"))
    head = {"id": writer.item_id, "type": "function_call"}
    call = {"name": str(params["name"]), "call_id": call_id}
    writer.start({**head, "status": "in_progress", **call, "arguments": ""})
    ids = {"response_id": writer.id, "item_id": writer.item_id, "output_index": 0}
    for delta in ARGUMENT_TOKEN.findall(arguments):
        writer.emit("response.function_call_arguments.delta", **ids, call_id=call_id, delta=delta)
    done = {**ids, **call, "arguments": arguments}
    writer.emit("response.function_call_arguments.done", **done)
    item = {**head, "status": "completed", **call, "arguments": arguments}
    return writer.finish(item, usage(len(ARGUMENT_TOKEN.findall(arguments)), 0))
