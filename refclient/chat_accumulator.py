"""The Chat Completions stream, accumulated: chunks in, the seed's derived events out.

Sans-I/O and on plain dicts. It follows the official `openai` package's `chat.completions.stream()`
helper (`ChatCompletionStreamState`, openai-python 3.x) rule for rule, so an application gets the
same events, in the same order, with the same content as that helper gives a Python program:

- per chunk: `Chunk`, then per choice `ContentDelta` (when the delta has `content`, even ""),
  `RefusalDelta`, one `FunctionToolCallArgumentsDelta` per tool call fragment,
  `LogProbsContentDelta`, `LogProbsRefusalDelta`, then the choice's done events;
- done events: when a choice gets its `finish_reason`, and when a tool call starts after content
  or after another tool call: `ContentDone` (non-empty content), `RefusalDone`,
  `LogProbsContentDone`, `LogProbsRefusalDone`, each once; `FunctionToolCallArgumentsDone` once
  per call;
- `parsed_arguments` is the JSON of the arguments only for tools the request declared `strict`
  (partial JSON while streaming), as the helper does; `parsed` is always None (the request's
  `response_format` is a dict, never a class).

`Content` is the one seed event the Python helper lacks: it is openai-node's `content` event
(`(delta, snapshot)` for each content delta that leaves a non-empty snapshot), raised just before
the matching `ContentDelta`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

import jiter

from realtime_conformance.refclient.events import ChatCompletionsAPIEvents as Chat

Derived = tuple[Chat, dict[str, Any]]


class FinishReasonError(Exception):
    """`length` or `content_filter` cut a completion whose output was to be parsed (a strict
    tool was offered): the helper raises these, and so does the accumulator."""


def accumulate_delta(acc: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """Merge one delta into a message: strings and numbers add up, dicts merge, lists of
    indexed dicts merge by `index`, other lists extend; `index` and `type` are replaced."""
    for key, value in delta.items():
        if acc.get(key) is None:
            if not _indexed(value):
                acc[key] = value
                continue
            acc[key] = []
        current = acc[key]
        if key in ("index", "type"):
            acc[key] = value
        elif _addable(current, value):
            acc[key] = current + value
        elif isinstance(current, dict) and isinstance(value, dict):
            acc[key] = accumulate_delta(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            _merge_list(current, value)
    return acc


def _addable(current: Any, value: Any) -> bool:
    """Strings concatenate and numbers add up (bools count as numbers, as in the helper)."""
    if isinstance(current, str):
        return isinstance(value, str)
    return isinstance(current, int | float) and isinstance(value, int | float)


def _indexed(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(e, dict) and "index" in e for e in value)


def _merge_list(current: list[Any], entries: list[Any]) -> None:
    if all(isinstance(x, str | int | float) for x in current) and (
        current or not _indexed(entries)
    ):
        current.extend(entries)
        return
    for entry in entries:
        index = entry["index"]
        if index < len(current):
            current[index] = accumulate_delta(current[index], entry)
        else:
            current.insert(index, entry)


class ChoiceDone:
    """Which done events one choice has had (the helper's `ChoiceEventState`)."""

    def __init__(self, strict_tools: frozenset[str]) -> None:
        self.strict_tools = strict_tools
        self.content = self.refusal = self.logprobs_content = self.logprobs_refusal = False
        self.tools_done: set[int] = set()
        self.current_tool: int | None = None

    def events(self, choice: dict[str, Any], snapshot: dict[str, Any]) -> list[Derived]:
        out: list[Derived] = []
        if snapshot.get("finish_reason"):
            out += self.content_done(snapshot)
            if self.current_tool is not None and self.current_tool not in self.tools_done:
                out += self.tool_done(snapshot, self.current_tool)
        for call in _delta(choice).get("tool_calls") or []:
            if self.current_tool != call["index"]:
                out += self.content_done(snapshot)
                if self.current_tool is not None:
                    out += self.tool_done(snapshot, self.current_tool)
            self.current_tool = call["index"]
        return out

    def content_done(self, snapshot: dict[str, Any]) -> list[Derived]:
        out: list[Derived] = []
        message, logprobs = snapshot["message"], snapshot.get("logprobs") or {}
        if message.get("content") and not self.content:
            self.content = True
            out.append((Chat.ContentDone, {"content": message["content"], "parsed": None}))
        if message.get("refusal") is not None and not self.refusal:
            self.refusal = True
            out.append((Chat.RefusalDone, {"refusal": message["refusal"]}))
        if logprobs.get("content") is not None and not self.logprobs_content:
            self.logprobs_content = True
            out.append((Chat.LogProbsContentDone, {"content": logprobs["content"]}))
        if logprobs.get("refusal") is not None and not self.logprobs_refusal:
            self.logprobs_refusal = True
            out.append((Chat.LogProbsRefusalDone, {"refusal": logprobs["refusal"]}))
        return copy.deepcopy(out)

    def tool_done(self, snapshot: dict[str, Any], index: int) -> list[Derived]:
        if index in self.tools_done:
            return []
        self.tools_done.add(index)
        function = snapshot["message"]["tool_calls"][index]["function"]
        name, arguments = function.get("name"), function.get("arguments") or ""
        parsed = json.loads(arguments) if name in self.strict_tools else None
        function["parsed_arguments"] = parsed
        data = {"name": name, "index": index, "arguments": arguments, "parsed_arguments": parsed}
        return [(Chat.FunctionToolCallArgumentsDone, copy.deepcopy(data))]


def _delta(choice: dict[str, Any]) -> dict[str, Any]:
    delta = choice.get("delta")
    return delta if isinstance(delta, dict) else {}


def strict_tool_names(tools: Iterable[Any] | None) -> frozenset[str]:
    """Function tools declared `strict: true` in a request: their arguments are parsed."""
    names = set()
    for tool in tools or []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if tool.get("type") == "function" and isinstance(function, dict) and function.get("strict"):
            names.add(str(function.get("name")))
    return frozenset(names)


class ChatStreamAccumulator:
    """One streamed completion: `handle_chunk` returns the events each chunk derives, in the
    helper's order; `snapshot` is the completion so far (`object: chat.completion`)."""

    def __init__(self, tools: Iterable[Any] | None = None) -> None:
        self.strict_tools = strict_tool_names(tools)
        self.snapshot: dict[str, Any] | None = None
        self._choices: dict[int, ChoiceDone] = {}

    def handle_chunk(self, chunk: dict[str, Any]) -> list[Derived]:
        chunk = copy.deepcopy(chunk)
        self._accumulate(chunk)
        assert self.snapshot is not None
        out: list[Derived] = [(Chat.Chunk, chunk)]
        for choice in chunk.get("choices") or []:
            snapshot = self.snapshot["choices"][choice["index"]]
            out += self._deltas(choice, snapshot)
            state = self._choices.setdefault(choice["index"], ChoiceDone(self.strict_tools))
            out += state.events(choice, snapshot)
        return out

    # -- accumulation ---------------------------------------------------------------------------

    def _accumulate(self, chunk: dict[str, Any]) -> None:
        if self.snapshot is None:
            self.snapshot = _initial_snapshot(chunk)
            return
        for choice in chunk.get("choices") or []:
            self._accumulate_choice(self.snapshot["choices"], choice)
        self.snapshot["usage"] = chunk.get("usage")
        self.snapshot["system_fingerprint"] = chunk.get("system_fingerprint")

    def _accumulate_choice(self, choices: list[Any], choice: dict[str, Any]) -> None:
        index = choice["index"]
        if index < len(choices):
            snapshot = choices[index]
            accumulate_delta(snapshot["message"], copy.deepcopy(_delta(choice)))
        else:
            snapshot = _new_choice(choice)
            choices.append(snapshot)
        if choice.get("finish_reason"):
            snapshot["finish_reason"] = choice["finish_reason"]
            if self.strict_tools and choice["finish_reason"] in ("length", "content_filter"):
                raise FinishReasonError(
                    f"the completion stopped early (finish_reason {choice['finish_reason']!r})"
                    " and its tool arguments cannot be parsed"
                )
        self._parse_partial_arguments(snapshot, choice)
        _merge_logprobs(snapshot, choice.get("logprobs"))

    def _parse_partial_arguments(self, snapshot: dict[str, Any], choice: dict[str, Any]) -> None:
        calls = snapshot["message"].get("tool_calls") or []
        for fragment in _delta(choice).get("tool_calls") or []:
            function = calls[fragment["index"]].get("function") or {}
            if function.get("name") in self.strict_tools and function.get("arguments"):
                function["parsed_arguments"] = jiter.from_json(
                    function["arguments"].encode(), partial_mode=True
                )

    # -- derived delta events -------------------------------------------------------------------

    def _deltas(self, choice: dict[str, Any], snapshot: dict[str, Any]) -> list[Derived]:
        out: list[Derived] = []
        delta, message = _delta(choice), snapshot["message"]
        if delta.get("content") is not None and message.get("content") is not None:
            if message["content"] and message.get("role") == "assistant":
                out.append(
                    (Chat.Content, {"delta": delta["content"], "snapshot": message["content"]})
                )
            data = {"delta": delta["content"], "snapshot": message["content"], "parsed": None}
            out.append((Chat.ContentDelta, data))
        if delta.get("refusal") is not None and message.get("refusal") is not None:
            data = {"delta": delta["refusal"], "snapshot": message["refusal"]}
            out.append((Chat.RefusalDelta, data))
        for fragment in delta.get("tool_calls") or []:
            out.append(_arguments_delta(message, fragment))
        out += _logprobs_deltas(choice.get("logprobs"), snapshot.get("logprobs"))
        return copy.deepcopy(out)


def _initial_snapshot(chunk: dict[str, Any]) -> dict[str, Any]:
    snapshot = {"system_fingerprint": None, **copy.deepcopy(chunk), "object": "chat.completion"}
    snapshot.pop("obfuscation", None)
    snapshot["choices"] = [_new_choice(choice) for choice in chunk.get("choices") or []]
    return snapshot


def _new_choice(choice: dict[str, Any]) -> dict[str, Any]:
    fields = {key: copy.deepcopy(value) for key, value in choice.items() if key != "delta"}
    return {**fields, "message": accumulate_delta({}, copy.deepcopy(_delta(choice)))}


def _merge_logprobs(snapshot: dict[str, Any], logprobs: Any) -> None:
    """The helper's merge, applied to a choice's first chunk too (which doubles that chunk's
    logprobs when a choice first appears after the stream's first chunk, as the helper does)."""
    if not isinstance(logprobs, dict):
        return
    if snapshot.get("logprobs") is None:
        snapshot["logprobs"] = {
            "content": copy.deepcopy(logprobs.get("content")),
            "refusal": copy.deepcopy(logprobs.get("refusal")),
        }
        return
    for key in ("content", "refusal"):
        if logprobs.get(key):
            if snapshot["logprobs"].get(key) is None:
                snapshot["logprobs"][key] = []
            snapshot["logprobs"][key].extend(copy.deepcopy(logprobs[key]))


def _arguments_delta(message: dict[str, Any], fragment: dict[str, Any]) -> Derived:
    call = message["tool_calls"][fragment["index"]]
    function = call.get("function") or {}
    data = {
        "name": function.get("name"),
        "index": fragment["index"],
        "arguments": function.get("arguments"),
        "parsed_arguments": function.get("parsed_arguments"),
        "arguments_delta": (fragment.get("function") or {}).get("arguments") or "",
    }
    return (Chat.FunctionToolCallArgumentsDelta, data)


def _logprobs_deltas(logprobs: Any, snapshot: Any) -> list[Derived]:
    if not isinstance(logprobs, dict) or not isinstance(snapshot, dict):
        return []
    out: list[Derived] = []
    if logprobs.get("content") and snapshot.get("content"):
        data = {"content": logprobs["content"], "snapshot": snapshot["content"]}
        out.append((Chat.LogProbsContentDelta, data))
    if logprobs.get("refusal") and snapshot.get("refusal"):
        data = {"refusal": logprobs["refusal"], "snapshot": snapshot["refusal"]}
        out.append((Chat.LogProbsRefusalDelta, data))
    return out
