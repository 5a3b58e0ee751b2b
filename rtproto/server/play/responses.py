"""Whole GA responses for scripted scenarios: text, audio, function call.

Built with the simulated model's own builder (`rtproto.server.realtime.response_events`), so a
scripted response and a simulated one have one event order and one shape, that of the 2026-09
GA capture (shared/PROTOCOL.md section 2). Text is cut, padded and counted by `rtproto.wire`.
A `response.create` with `conversation: "none"` (out of band) gets no `conversation.item.*`
events and `conversation_id: null`; its `metadata` is echoed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

from realtime_conformance.rtproto import wire
from realtime_conformance.rtproto.audio.formats import parse_format
from realtime_conformance.rtproto.server.play.audio import audio_chunks
from realtime_conformance.rtproto.server.play.state import TemplateContext
from realtime_conformance.rtproto.server.realtime.response_events import (
    ResponseEvents,
    ResponseSettings,
    response_resource,
)
from realtime_conformance.rtproto.server.realtime.response_output import OutputItem, item_dict
from realtime_conformance.rtproto.server.realtime.usage import Usage, audio_tokens

Event = dict[str, Any]
INPUT_TEXT_TOKENS = 120  # the input of capture p08's first response


def rate_limits(ctx: TemplateContext, pending: int = 0) -> Event:
    """`rate_limits.updated`, counting the tokens used so far plus `pending` not yet seen."""
    entry = wire.tokens_rate_limit(ctx.state.tokens_used + pending)
    return ctx.build("rate_limits.updated", rate_limits=[entry])


class ScriptedResponse:
    """One response with a single output item (output_index 0), built event by event."""

    def __init__(self, ctx: TemplateContext, modalities: list[str]) -> None:
        self.ctx = ctx
        request = ctx.client("response", {}) if ctx.client("type") == "response.create" else {}
        self.request: dict[str, Any] = request if isinstance(request, dict) else {}
        out_of_band = self.request.get("conversation") == "none"
        self.id = ctx.new_id("resp")
        self.item_id = ctx.new_id("item")
        self.previous = ctx.state.last_item_id
        self.settings = self._settings(modalities, out_of_band)
        self.events = ResponseEvents(ctx.state.builder, self.id, not out_of_band, ctx.state.noise)

    def _settings(self, modalities: list[str], out_of_band: bool) -> ResponseSettings:
        session = self.ctx.state.session_view()  # response_resource copies what it takes
        audio_out = session.get("audio", {}).get("output", {})
        return ResponseSettings(
            output_modalities=modalities,
            audio_output={"format": audio_out.get("format"),
                          "voice": audio_out.get("voice", "alloy")},
            max_output_tokens=session.get("max_output_tokens", "inf"),
            metadata=self.request.get("metadata"),
            conversation_id=None if out_of_band else self.ctx.state.conversation_id,
        )  # fmt: skip

    def item(self, kind: Literal["message", "function_call"], tokens: list[str]) -> OutputItem:
        return OutputItem(0, self.item_id, kind, tokens)

    def stream(
        self, item: OutputItem, text: str, deltas: Iterable[Event], usage: Callable[[], Usage]
    ) -> Iterator[Event]:
        """created, the item from opening to closing, done, then rate_limits.updated (counting
        the tokens used before this response, plus its own); `usage` is read after the deltas."""
        used_before = self.ctx.state.tokens_used
        created = response_resource(self.id, self.settings, "in_progress", None, [], None)
        yield self.events.created(created)
        yield from self.events.item_events(item, self.previous, deltas, text)
        used = usage()
        final = item_dict(item, "completed", text, part=item.kind == "message")
        done = response_resource(self.id, self.settings, "completed", None, [final], used.as_dict())
        yield self.events.done(done)
        entry = wire.tokens_rate_limit(used_before + used.total)
        yield self.ctx.build("rate_limits.updated", rate_limits=[entry])


class TextDeltas:
    """The deltas of a text cut into pieces as they are taken, and how many were taken."""

    def __init__(self, events: ResponseEvents, item: OutputItem, pieces: Iterator[str]) -> None:
        self.events, self.item, self.pieces = events, item, pieces
        self.count = 0

    def __iter__(self) -> Iterator[Event]:
        delta, item = self.events.text_delta, self.item
        for piece in self.pieces:
            self.count += 1
            yield delta(item, piece)


def pieces(pattern: re.Pattern[str], text: str) -> Iterator[str]:
    """`text` cut by `pattern` (rtproto.wire), piece by piece."""
    return map(re.Match.group, pattern.finditer(text))


def usage(text_out: int, audio_out: int = 0) -> Usage:
    return Usage(input_text=INPUT_TEXT_TOKENS, output_text=text_out, output_audio=audio_out)


def text_response(ctx: TemplateContext, params: dict[str, Any]) -> Iterator[Event]:
    text = str(params.get("text", "Hello there!"))
    response = ScriptedResponse(ctx, ["text"])
    item = response.item("message", [])
    deltas = TextDeltas(response.events, item, pieces(wire.TEXT_PIECE, text))
    return response.stream(item, text, deltas, lambda: usage(deltas.count))


def _spread(count: int, slots: int) -> list[int]:
    """Which of `slots` audio chunks each of `count` transcript deltas goes before."""
    return [index * slots // count for index in range(count)] if slots else [0] * count


def _audio_deltas(
    response: ScriptedResponse, item: OutputItem, chunks: tuple[str, ...]
) -> Iterator[Event]:
    """The audio chunks with the transcript deltas spread among them."""
    tokens = item.tokens
    slots, taken = _spread(len(tokens), len(chunks)), 0
    for index in range(max(len(chunks), 1)):
        while taken < len(tokens) and slots[taken] == index:
            yield response.events.text_delta(item, tokens[taken])
            taken += 1
        if index < len(chunks):
            yield response.events.encoded_audio_delta(item, chunks[index])


def audio_response(ctx: TemplateContext, params: dict[str, Any]) -> Iterator[Event]:
    transcript = str(params.get("transcript", "Hello there!"))
    duration_ms = int(params.get("duration_ms", 1000))
    # In the session's output format, as the real API sends (a G.711 session gets G.711 deltas).
    output = ctx.state.session_view().get("audio", {}).get("output", {})
    fmt = parse_format(output.get("format"))
    chunks = audio_chunks(duration_ms, int(params.get("chunk_ms", 100)), fmt)
    response = ScriptedResponse(ctx, ["audio"])
    item = response.item("message", wire.text_pieces(transcript))
    item.audio = True
    spoken = usage(len(item.tokens), audio_tokens(duration_ms))
    return response.stream(item, transcript, _audio_deltas(response, item, chunks), lambda: spoken)


def function_call_response(ctx: TemplateContext, params: dict[str, Any]) -> Iterator[Event]:
    arguments = params.get("arguments", "{}")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, separators=(",", ":"))
    response = ScriptedResponse(ctx, ["text"])
    item = response.item("function_call", [])
    item.name = str(params["name"])
    item.call_id = str(params.get("call_id") or ctx.new_id("call"))
    deltas = TextDeltas(response.events, item, pieces(wire.ARGUMENT_PIECE, arguments))
    return response.stream(item, arguments, deltas, lambda: usage(deltas.count))
