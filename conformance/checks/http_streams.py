"""The server-stream grammar of the HTTP APIs (shared/PROTOCOL.md §6, §7 and §8), so recorded
Responses and Chat streams are judged like Realtime ones.

Responses (SSE or WebSocket mode): `sequence_number` rises by 1 from the first event (0, or
the `starting_after` + 1 of a resumed stream); one terminal event (`response.completed |
failed | incomplete`) ends each stream, and nothing of that stream follows it; every item event
comes after its item's `output_item.added` (the SDK accumulator raises otherwise). Not required,
because real streams break it: `output_item.done` for every item (MCP list-tools backfill).

Chat: every chunk of a stream has one id; nothing for a choice after its `finish_reason` but the
usage chunk (`choices: []`), which is last; the stream ends with `data: [DONE]` (a
`{"done": true}` line).

Streams in one recording are split where one ends (a terminal event, `[DONE]`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from realtime_conformance.conformance.checks.registry import BoundCheck, Violation, check
from realtime_conformance.conformance.recording import CaseRecording, Entry
from realtime_conformance.rtproto.transcript import api_of_event

TERMINAL = frozenset({"response.completed", "response.failed", "response.incomplete"})
ITEM_STARTS = frozenset({"response.output_item.added"})


def _http_server_lines(recording: CaseRecording, api: str) -> list[Entry]:
    return [
        entry
        for entry in recording.on("openai", "server")
        if entry.record.get("done") is True
        or (entry.event is not None and api_of_event(entry.event) == api)
    ]


def _violation(entry: Entry, expected: str, actual: str) -> Violation:
    where = f"recording line {entry.line.number}"
    return Violation((expected,), actual, entry.t_ms, detail=where)


class ResponsesStream:
    """One Responses stream being read."""

    def __init__(self) -> None:
        self.next_sequence: int | None = None
        self.items: set[Any] = set()
        self.ended = False

    def feed(self, entry: Entry, event: dict[str, Any]) -> Iterator[Violation]:
        kind, sequence = event.get("type"), event.get("sequence_number")
        if self.next_sequence is not None and sequence != self.next_sequence:
            yield _violation(
                entry, f"sequence_number {self.next_sequence}", f"sequence_number {sequence}"
            )
        self.next_sequence = sequence + 1 if isinstance(sequence, int) else None
        item = event.get("item") if isinstance(event.get("item"), dict) else None
        if kind in ITEM_STARTS and item is not None:
            self.items.add(item.get("id"))
        elif "item_id" in event and event["item_id"] not in self.items:
            yield _violation(
                entry,
                "an item event after its item's response.output_item.added",
                f"{kind} for item {event['item_id']}, never added",
            )
        self.ended = kind in TERMINAL


def responses_violations(recording: CaseRecording) -> Iterator[Violation]:
    stream: ResponsesStream | None = None
    for entry in _http_server_lines(recording, "responses"):
        event = entry.event or {}
        if stream is not None and stream.ended:
            if event.get("type") != "response.created":
                actual = f"{event.get('type')} after the stream's terminal event"
                yield _violation(entry, "nothing after a terminal event", actual)
                continue
            stream = None
        stream = stream or ResponsesStream()
        yield from stream.feed(entry, event)
    if stream is not None and not stream.ended:
        expected = "response.completed, response.failed or response.incomplete last"
        yield Violation((expected,), "the stream ended without a terminal event")


@check(
    "order.responses_stream",
    "order",
    "MUST",
    "A Responses stream MUST number its events with sequence_number rising by 1, send every "
    "item event after the item's response.output_item.added, and end with exactly one "
    "terminal event (response.completed, response.failed or response.incomplete) and nothing "
    "after it; there is no [DONE].",
)
def responses_stream(bound: BoundCheck) -> Iterator[Violation]:
    return responses_violations(bound.recording)


class ChatStream:
    def __init__(self) -> None:
        self.id: Any = None
        self.finished: set[Any] = set()
        self.usage_seen = False

    def feed(self, entry: Entry, chunk: dict[str, Any]) -> Iterator[Violation]:
        if self.id is not None and chunk.get("id") != self.id:
            yield _violation(entry, f"chunk id {self.id}", f"chunk id {chunk.get('id')}")
        self.id = chunk.get("id")
        if self.usage_seen:
            yield _violation(entry, "the usage chunk last", "a chunk after the usage chunk")
        choices = chunk.get("choices")
        if choices == []:
            self.usage_seen = True
        for choice in choices if isinstance(choices, list) else []:
            index = choice.get("index") if isinstance(choice, dict) else None
            if index in self.finished:
                actual = f"a chunk for choice {index} after its finish_reason"
                yield _violation(entry, "nothing for a choice after its finish_reason", actual)
            if isinstance(choice, dict) and choice.get("finish_reason"):
                self.finished.add(index)


def chat_violations(recording: CaseRecording) -> Iterator[Violation]:
    stream: ChatStream | None = None
    for entry in _http_server_lines(recording, "chat"):
        if entry.record.get("done") is True:
            if stream is None:
                yield _violation(entry, "[DONE] after the chunks", "[DONE] with no stream")
            stream = None
            continue
        stream = stream or ChatStream()
        yield from stream.feed(entry, entry.event or {})
    if stream is not None:
        yield Violation(("data: [DONE] at the end of the stream",), "the stream ended without it")


@check(
    "order.chat_stream",
    "order",
    "MUST",
    "A Chat Completions stream MUST keep one chunk id, send nothing for a choice after its "
    "finish_reason except the usage chunk (choices: []), which comes last, and end with "
    "data: [DONE].",
)
def chat_stream(bound: BoundCheck) -> Iterator[Violation]:
    return chat_violations(bound.recording)
