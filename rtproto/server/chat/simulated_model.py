"""The simulated Chat Completions model: a request in, its timed chunks and its non-streaming
`chat.completion` out.

What it says (trigger words from rtproto.server.triggers): "fail" in the newest user message fails
the
request (mid-stream `{"error": ...}` chunk and no `[DONE]`; a 500 when not streaming); a `tool`
message last → content about the tool's result; "refuse" → a refusal; function tools that
`tool_choice` forces, or `required`, or that the text names → tool calls (parallel unless
`parallel_tool_calls: false`); otherwise content (JSON for `response_format` json_schema or
json_object). Each of the `n` choices is written separately and the chunks interleave.
`max_tokens`/`max_completion_tokens` cut content with `finish_reason: "length"`. With
`stream_options.include_usage`, every chunk carries `"usage": null` and one last chunk has
`"choices": []` and the usage.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from realtime_conformance.rtproto.api_errors import ApiError
from realtime_conformance.rtproto.server.chat import completion
from realtime_conformance.rtproto.server.chat.chunks import (
    Call,
    ChoiceChunks,
    ChoiceScript,
    interleave,
)
from realtime_conformance.rtproto.server.chat.request import ChatRequest
from realtime_conformance.rtproto.server.lazy_events import LazyEvents
from realtime_conformance.rtproto.server.pacing import Pacing, PlannedEvent
from realtime_conformance.rtproto.server.simulation import Simulation, count_tokens
from realtime_conformance.rtproto.server.triggers import FAIL, REFUSE, has_word, names_tool
from realtime_conformance.rtproto.wire import argument_pieces, text_pieces

SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
REFUSAL = "I'm sorry, but I can't help with that."
FAILED_AFTER = 3  # content chunks sent before a mid-stream error


@dataclass(frozen=True)
class ChatPlan:
    """One completion: its chunks with when each is due, and the non-streaming answer."""

    request: ChatRequest
    chunks: Sequence[PlannedEvent]  # chunk dicts, or a last {"error": ...} when failing; as
    # planned, LazyEvents: each chunk built as it is read (the request's Simulation is its own)
    completion: dict[str, Any]  # the non-streaming `chat.completion`
    error: ApiError | None = None  # the non-streaming answer instead, when failing

    @property
    def ends_with_done(self) -> bool:
        """Whether `data: [DONE]` follows the chunks (not after a mid-stream error)."""
        return self.error is None


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


class ChatModel:
    def __init__(self, pacing: Pacing | None = None) -> None:
        self.pacing = pacing or Pacing()

    def plan(
        self,
        request: ChatRequest,
        sim: Simulation,
        *,
        created: int,
        reply: str | None = None,
        fail: bool = False,
    ) -> ChatPlan:
        """`reply` replaces the generated content; `fail` fails mid-stream whatever is asked."""
        scripts = [self._script(request, sim, index, reply) for index in range(request.n)]
        head = completion.Head(
            sim.alnum_id("chatcmpl", 29, "-"),
            created,
            request.model,
            "fp_" + sim.hex_id("", 10)[1:],
        )
        usage = completion.usage(_prompt_tokens(request), sum(s.tokens for s in scripts))
        answer = completion.non_streaming(head, scripts, usage)
        chunker = ChoiceChunks(sim, request.logprobs, request.top_logprobs)
        entries = interleave([chunker.of(script) for script in scripts])
        if request.logprobs:
            answer = completion.with_logprobs(answer, entries)
        failing = fail or has_word(last_user_text(request.messages), FAIL)
        chunks = self._timed(
            request=request, sim=sim, head=head, entries=entries, usage=usage, failing=failing
        )
        error = ApiError(500, SERVER_ERROR, type="server_error") if failing else None
        return ChatPlan(request, LazyEvents(chunks), answer, error)

    def _script(
        self, request: ChatRequest, sim: Simulation, index: int, reply: str | None
    ) -> ChoiceScript:
        text = last_user_text(request.messages)
        last = request.messages[-1]
        called = [] if last.get("role") == "tool" else _called(request, text)
        if called:
            calls = [_call(sim, tool) for tool in called]
            return ChoiceScript(index, "tool_calls", calls=calls, finish_reason="tool_calls")
        if has_word(text, REFUSE) and last.get("role") != "tool":
            return ChoiceScript(index, "refusal", text_pieces(REFUSAL))
        content = reply if reply is not None else _content(request, sim, last)
        pieces = text_pieces(content)
        limit = request.max_tokens
        if limit is not None and len(pieces) > limit:
            return ChoiceScript(index, "content", pieces[:limit], finish_reason="length")
        return ChoiceScript(index, "content", pieces)

    def _timed(
        self,
        *,
        request: ChatRequest,
        sim: Simulation,
        head: completion.Head,
        entries: list[dict[str, Any]],
        usage: dict[str, Any],
        failing: bool,
    ) -> Iterator[PlannedEvent]:
        chunk: Callable[..., dict[str, Any]] = completion.chunk_maker(request, sim, head)
        clock = self.pacing.first_output_s
        for number, entry in enumerate(entries):
            if failing and number == FAILED_AFTER:
                error = {
                    "message": SERVER_ERROR,
                    "type": "server_error",
                    "param": None,
                    "code": None,
                }
                yield PlannedEvent(round(clock, 6), {"error": error})
                return
            yield PlannedEvent(round(clock, 6), chunk([entry]))
            clock += self.pacing.token_s
        if request.include_usage:
            yield PlannedEvent(round(clock, 6), chunk([], usage=usage))


def _called(request: ChatRequest, text: str) -> list[dict[str, Any]]:
    functions = [tool["function"] for tool in request.tools if tool["type"] == "function"]
    choice = request.tool_choice
    if choice == "none" or not functions:
        return []
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name")
        return [spec for spec in functions if spec["name"] == wanted]
    named = [spec for spec in functions if names_tool(text, spec["name"])]
    if not named and choice == "required":
        named = functions[:1]
    return named if request.parallel_tool_calls else named[:1]


def _call(sim: Simulation, spec: dict[str, Any]) -> Call:
    arguments = json.dumps(
        sim.json_for(spec.get("parameters") or {"type": "object"}), separators=(",", ":")
    )
    return Call(sim.alnum_id("call", 24), spec["name"], arguments, argument_pieces(arguments))


def _content(request: ChatRequest, sim: Simulation, last: dict[str, Any]) -> str:
    if last.get("role") == "tool":
        return f"The tool returned: {str(last.get('content'))[:120]}."
    fmt = request.response_format
    if fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema", {})
        return json.dumps(sim.json_for(schema), separators=(",", ":"))
    if fmt.get("type") == "json_object":
        return json.dumps({"answer": sim.sentences(1)}, separators=(",", ":"))
    return sim.sentences(2)


def _prompt_tokens(request: ChatRequest) -> int:
    return sum(count_tokens(json.dumps(m.get("content") or "")) + 4 for m in request.messages)
