"""A response's output items made concrete: ids, delta-sized pieces, audio, and the token budget.

`max_output_tokens` is spent in output order: a text or argument piece costs one token; a
transcript piece costs one token plus the audio tokens of the speech it stands for. The first
piece that no longer fits ends the response as `incomplete` (`max_output_tokens`); the item it
falls in keeps what fit, later items are not produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.formats import parse_format
from realtime_conformance.rtproto.audio.synth import TimedWord
from realtime_conformance.rtproto.ids import IdFactory
from realtime_conformance.rtproto.server.realtime import speech
from realtime_conformance.rtproto.server.realtime.simulated_model import (
    FunctionCallPlan,
    MessagePlan,
    PlannedItem,
)
from realtime_conformance.rtproto.server.realtime.usage import audio_tokens

AUDIO_CHUNK_MS = 100
ItemStatus = Literal["in_progress", "completed", "incomplete"]


@dataclass
class OutputItem:
    """One output item of one response, with everything its events will carry."""

    index: int
    item_id: str
    kind: Literal["message", "function_call"]
    tokens: list[str]  # text, transcript or argument pieces, in order
    audio: bool = False
    name: str = ""
    call_id: str = ""
    token_starts_ms: list[float] = field(default_factory=list)  # audio: when each piece is said
    words: list[TimedWord] = field(default_factory=list)  # audio: the spoken words' timing
    chunks: list[bytes] = field(default_factory=list)  # audio: the delta payloads
    cut: bool = False  # the budget ended it early

    @property
    def audio_ms(self) -> float:
        return float(self.words[-1].end_ms) if self.words else 0.0


def token_cost(token: str, audio: bool, first: bool) -> int:
    """One token, plus the audio tokens of a spoken word when the token begins one."""
    if audio and speech.starts_word(token, first):
        return 1 + audio_tokens(speech.MS_PER_WORD)
    return 1


def fit(tokens: tuple[str, ...], audio: bool, budget: float) -> tuple[list[str], float]:
    """The leading tokens that fit the budget, and the budget left."""
    kept: list[str] = []
    spoken = False  # whether a kept token has more than whitespace (linear: no re-joining)
    for token in tokens:
        cost = token_cost(token, audio, first=not spoken)
        if cost > budget:
            break
        kept.append(token)
        spoken = spoken or bool(token.strip())
        budget -= cost
    return kept, budget


def _make_item(
    index: int, plan: PlannedItem, tokens: list[str], audio_format: Any, ids: IdFactory
) -> OutputItem:
    if isinstance(plan, FunctionCallPlan):
        return OutputItem(
            index, ids.new("item"), "function_call", tokens, name=plan.name, call_id=ids.new("call")
        )
    item = OutputItem(index, ids.new("item"), "message", tokens, audio=audio_format is not None)
    if audio_format is not None:
        fmt = parse_format(audio_format)
        said = speech.speak(tokens, fmt)
        item.token_starts_ms, item.words = said.token_starts_ms, said.words
        item.chunks = synth.chunk(said.audio, AUDIO_CHUNK_MS, fmt) if said.audio else []
    return item


def make_output(
    plans: list[PlannedItem], audio_format: Any, max_output_tokens: Any, ids: IdFactory
) -> tuple[list[OutputItem], bool]:
    """The output items (audio when `audio_format` is given), and whether the budget cut them."""
    budget = float("inf") if max_output_tokens == "inf" else float(max_output_tokens)
    items: list[OutputItem] = []
    for index, plan in enumerate(plans):
        audio = isinstance(plan, MessagePlan) and audio_format is not None
        kept, budget = fit(plan.tokens, audio, budget)
        if not kept and plan.tokens and items:  # nothing of this item fits: stop before it
            return items, True
        fmt = audio_format if isinstance(plan, MessagePlan) else None
        item = _make_item(index, plan, kept, fmt, ids)
        items.append(item)
        if len(kept) < len(plan.tokens):
            item.cut = True
            return items, True
    return items, False


def content_of(item: OutputItem, text: str) -> list[dict[str, Any]]:
    if item.audio:
        return [{"type": "output_audio", "transcript": text}]
    return [{"type": "output_text", "text": text}]


def item_dict(
    item: OutputItem, status: ItemStatus, text: str = "", part: bool = False
) -> dict[str, Any]:
    """The item as events carry it; `text` is the content (or arguments) produced so far."""
    if item.kind == "function_call":
        return {
            "id": item.item_id,
            "type": "function_call",
            "status": status,
            "name": item.name,
            "call_id": item.call_id,
            "arguments": text,
        }
    return {
        "id": item.item_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content_of(item, text) if part else [],
    }


def part_dict(item: OutputItem, text: str) -> dict[str, Any]:
    """A content part as `response.content_part.*` carry it (`text` / `audio`, not output_*)."""
    if item.audio:
        return {"type": "audio", "transcript": text}
    return {"type": "text", "text": text}
