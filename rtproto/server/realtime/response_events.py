"""The GA events of one response, built with the field order of the recorded ones.

The one builder of response events: the simulated model (`realtime.response.ResponseRun`) and
the scripted templates (`play.responses`) both use it, so they share the order of the 2026-09
GA capture (PROTOCOL.md §2): `response.created`; per item `output_item.added`,
`conversation.item.added`, `content_part.added`, the deltas, the part's `*.done`,
`content_part.done`, `conversation.item.done`, `output_item.done`; `response.done`;
`rate_limits.updated`. Both a response that runs to its end and one that is cancelled midway
close their items with the same `closing` events (the `*.done` events are sent whatever the
outcome), built from what was produced so far.
"""

from __future__ import annotations

import base64
import copy
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from realtime_conformance.rtproto.events import EventBuilder
from realtime_conformance.rtproto.ids import RandomText
from realtime_conformance.rtproto.server.realtime.response_output import (
    ItemStatus,
    OutputItem,
    item_dict,
    part_dict,
)
from realtime_conformance.rtproto.wire import obfuscation, obfuscator

Event = dict[str, Any]
TEXT_DELTA = "response.output_text.delta"
TRANSCRIPT_DELTA = "response.output_audio_transcript.delta"


@dataclass(frozen=True)
class ResponseSettings:
    """What a response reports about itself (session defaults with response.create overrides)."""

    output_modalities: list[str]
    audio_output: dict[str, Any]  # {"format": ..., "voice": ...}
    max_output_tokens: Any
    metadata: dict[str, Any] | None
    conversation_id: str | None  # None for an out-of-band response


def response_resource(  # noqa: PLR0917 - the resource's own fields, in its order
    response_id: str,
    settings: ResponseSettings,
    status: str,
    details: Any,
    output: list[Event],
    usage: dict[str, Any] | None,
) -> dict[str, Any]:
    """The `realtime.response` object that `response.created` and `response.done` carry."""
    copied = copy.deepcopy  # parts came from client events: not shared (field by field: a
    # dataclass's deepcopy goes through __reduce_ex__, several times slower)
    return {
        "object": "realtime.response",
        "id": response_id,
        "status": status,
        "status_details": details,
        "output": output,
        "conversation_id": settings.conversation_id,
        "output_modalities": copied(settings.output_modalities),
        "max_output_tokens": copied(settings.max_output_tokens),
        "audio": {"output": copied(settings.audio_output)},
        "usage": usage,
        "metadata": copied(settings.metadata),
    }


class ResponseEvents:
    """Builds the events of one response; `in_conversation` adds the conversation.item.* ones."""

    def __init__(
        self,
        build: EventBuilder,
        response_id: str,
        in_conversation: bool,
        obfuscation: random.Random | RandomText,
    ) -> None:
        self.build = build
        self.response_id = response_id
        self.in_conversation = in_conversation
        self.random = obfuscation
        self._event_id = build.ids.maker("event")  # the hot path's: text_delta
        self._padding = obfuscator(obfuscation)

    def _obfuscation(self, delta: str) -> str:
        return obfuscation(delta, self.random)

    def _in_item(self, event_type: str, item: OutputItem, **fields: Any) -> Event:
        return self.build.event(
            event_type,
            response_id=self.response_id,
            item_id=item.item_id,
            output_index=item.index,
            **fields,
        )

    def _in_part(self, event_type: str, item: OutputItem, **fields: Any) -> Event:
        return self._in_item(event_type, item, content_index=0, **fields)

    def created(self, response: dict[str, Any]) -> Event:
        return self.build.event("response.created", response=response)

    def done(self, response: dict[str, Any]) -> Event:
        return self.build.event("response.done", response=response)

    def rate_limits(self, entries: list[dict[str, Any]]) -> Event:
        return self.build.event("rate_limits.updated", rate_limits=entries)

    def output_item(self, event_type: str, item: OutputItem, body: dict[str, Any]) -> Event:
        return self.build.event(
            event_type, response_id=self.response_id, output_index=item.index, item=body
        )

    def conversation_item(self, event_type: str, previous: str | None, body: Event) -> Event:
        return self.build.event(event_type, previous_item_id=previous, item=body)

    def opening(self, item: OutputItem, previous: str | None) -> list[Event]:
        """output_item.added (+ conversation.item.added) and, for a message, its part."""
        body = item_dict(item, "in_progress")
        events = [self.output_item("response.output_item.added", item, body)]
        if self.in_conversation:
            events.append(self.conversation_item("conversation.item.added", previous, body))
        if item.kind == "message":
            part = part_dict(item, "")
            events.append(self._in_part("response.content_part.added", item, part=part))
        return events

    def text_delta(self, item: OutputItem, token: str) -> Event:
        if item.kind == "function_call":
            return self._in_item(
                "response.function_call_arguments.delta",
                item,
                call_id=item.call_id,
                delta=token,
                obfuscation=self._obfuscation(token),
            )
        # The hottest event of all (one per token): built as one literal, in _in_part's order.
        return {
            "type": TRANSCRIPT_DELTA if item.audio else TEXT_DELTA,
            "event_id": self._event_id(),
            "response_id": self.response_id,
            "item_id": item.item_id,
            "output_index": item.index,
            "content_index": 0,
            "delta": token,
            "obfuscation": self._padding(token),
        }

    def audio_delta(self, item: OutputItem, chunk: bytes) -> Event:
        return self.encoded_audio_delta(item, base64.b64encode(chunk).decode("ascii"))

    def encoded_audio_delta(self, item: OutputItem, delta: str) -> Event:
        """An audio delta whose chunk is already base64 (the scripted tone is cached so)."""
        return self._in_part("response.output_audio.delta", item, delta=delta)

    def _part_closing(self, item: OutputItem, text: str) -> list[Event]:
        if item.audio:
            events = [
                self._in_part("response.output_audio.done", item),
                self._in_part("response.output_audio_transcript.done", item, transcript=text),
            ]
        else:
            events = [self._in_part("response.output_text.done", item, text=text)]
        part = part_dict(item, text)
        return [*events, self._in_part("response.content_part.done", item, part=part)]

    def closing(
        self,
        item: OutputItem,
        text: str,
        status: ItemStatus,
        previous: str | None,
        part_open: bool,
    ) -> list[Event]:
        """Every event that closes an item, given the content produced so far."""
        if item.kind == "function_call":
            events = [
                self._in_item(
                    "response.function_call_arguments.done",
                    item,
                    call_id=item.call_id,
                    name=item.name,
                    arguments=text,
                )
            ]
        else:
            events = self._part_closing(item, text) if part_open else []
        body = item_dict(item, status, text, part=part_open)
        if self.in_conversation:
            events.append(self.conversation_item("conversation.item.done", previous, body))
        events.append(self.output_item("response.output_item.done", item, body))
        return events

    def closing_count(self, item: OutputItem, part_open: bool) -> int:
        """How many events `closing` returns for this item, without building them (the times of
        a lazily built response are known before its events: response_times)."""
        if item.kind == "function_call":
            return 1 + self.in_conversation + 1  # arguments.done, [item.done], output_item.done
        part = (3 if item.audio else 2) if part_open else 0  # [audio.done], *.done, part.done
        return part + self.in_conversation + 1

    def item_events(
        self, item: OutputItem, previous: str | None, deltas: Iterable[Event], text: str
    ) -> Iterator[Event]:
        """A whole item that runs to its end: its opening, `deltas`, its closing (completed)
        with `text`, the content the deltas carry; built one by one as they are taken."""
        yield from self.opening(item, previous)
        yield from deltas
        yield from self.closing(item, text, "completed", previous, item.kind == "message")
