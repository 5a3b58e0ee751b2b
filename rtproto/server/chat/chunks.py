"""Chat Completions chunks as the recordings in shared/traces/chat show them.

Per choice: a first delta with the role (`{"role":"assistant","content":"","refusal":null}` for
content, `content: null, refusal: ""` for a refusal, `content: null` plus the first tool-call
fragment for a single tool call, `content: null, refusal: null` alone before parallel calls),
then one delta per token (`content`, `refusal`, or `tool_calls[{index, function: {arguments}}]`
after each call's first fragment `{index, id, type, function: {name, arguments: ""}}`), then a
chunk with an empty delta and the `finish_reason`. Logprobs, when asked for, ride on content and
refusal deltas (`logprobs.content[]` / `logprobs.refusal[]`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.server.simulation import Simulation


@dataclass(frozen=True)
class Call:
    call_id: str
    name: str
    arguments: str
    pieces: list[str]


@dataclass
class ChoiceScript:
    """What one choice says: content, a refusal, or tool calls, and why it stops."""

    index: int
    kind: str  # "content", "refusal" or "tool_calls"
    pieces: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    finish_reason: str = "stop"

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def tokens(self) -> int:
        return len(self.pieces) + sum(len(call.pieces) for call in self.calls)


def token_logprob(sim: Simulation, token: str, top: int) -> dict[str, Any]:
    def entry(text: str) -> dict[str, Any]:
        return {"token": text, "logprob": sim.logprob(), "bytes": list(text.encode())}

    chosen = entry(token)
    alternatives = [chosen, *(entry(" " + sim.faker.word()) for _ in range(top - 1))]
    return {**chosen, "top_logprobs": alternatives[:top]}


class ChoiceChunks:
    """The `choices[]` entries, in order, that stream one ChoiceScript."""

    def __init__(self, sim: Simulation, logprobs: bool, top_logprobs: int) -> None:
        self.sim = sim
        self.logprobs = logprobs
        self.top = top_logprobs

    def of(self, script: ChoiceScript) -> list[dict[str, Any]]:
        if script.kind == "tool_calls":
            entries = self._calls(script)
        else:
            entries = self._text(script, script.kind)
        finish = {
            "index": script.index,
            "delta": {},
            "logprobs": None,
            "finish_reason": script.finish_reason,
        }
        return [*entries, finish]

    def _entry(self, index: int, delta: dict[str, Any], logprobs: Any = None) -> dict[str, Any]:
        return {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": None}

    def _text(self, script: ChoiceScript, field_name: str) -> list[dict[str, Any]]:
        other = "content" if field_name == "refusal" else "refusal"
        first = {
            "role": "assistant",
            "content": "" if field_name == "content" else None,
            "refusal": "" if field_name == "refusal" else None,
        }
        empty: dict[str, Any] | None = {field_name: [], other: None} if self.logprobs else None
        entries = [self._entry(script.index, first, empty)]
        for piece in script.pieces:
            lp = None
            if self.logprobs:
                lp = {field_name: [token_logprob(self.sim, piece, self.top)], other: None}
            entries.append(self._entry(script.index, {field_name: piece}, lp))
        return entries

    def _calls(self, script: ChoiceScript) -> list[dict[str, Any]]:
        entries = []
        role = {"role": "assistant", "content": None}
        for number, call in enumerate(script.calls):
            opening = {
                "index": number,
                "id": call.call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            if len(script.calls) == 1:
                entries.append(
                    self._entry(script.index, {**role, "tool_calls": [opening], "refusal": None})
                )
            else:
                if number == 0:
                    entries.append(self._entry(script.index, {**role, "refusal": None}))
                entries.append(self._entry(script.index, {"tool_calls": [opening]}))
            for piece in call.pieces:
                fragment = {"index": number, "function": {"arguments": piece}}
                entries.append(self._entry(script.index, {"tool_calls": [fragment]}))
        return entries


def interleave(per_choice: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Round-robin over the choices (`n>1`), one entry of each in turn, as recorded."""
    merged: list[dict[str, Any]] = []
    for step in range(max((len(entries) for entries in per_choice), default=0)):
        merged.extend(entries[step] for entries in per_choice if step < len(entries))
    return merged
