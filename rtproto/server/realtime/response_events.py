"""The GA events of one response, built with the field order of the recorded ones.

Both a response that runs to its end and one that is cancelled midway close their items with
the same `closing` events (PROTOCOL.md §2: the `*.done` events are sent whatever the outcome),
built from what was produced so far.
"""

from __future__ import annotations

import base64
import random
import string
from typing import Any

from rtproto.events import EventBuilder
from rtproto.server.realtime.response_output import ItemStatus, OutputItem, item_dict, part_dict

Event = dict[str, Any]
OBFUSCATION_BLOCK = 16  # recorded deltas pad delta + obfuscation to 16 characters
OBFUSCATION_ALPHABET = string.ascii_letters + string.digits


def obfuscation_for(delta: str, rng: random.Random) -> str:
    """Random characters that pad `delta` to a multiple of 16, as the recorded deltas are."""
    length = OBFUSCATION_BLOCK - len(delta) % OBFUSCATION_BLOCK
    return "".join(rng.choices(OBFUSCATION_ALPHABET, k=length))


class ResponseEvents:
    """Builds the events of one response; `in_conversation` adds the conversation.item.* ones."""

    def __init__(
        self,
        build: EventBuilder,
        response_id: str,
        in_conversation: bool,
        obfuscation: random.Random,
    ) -> None:
        self.build = build
        self.response_id = response_id
        self.in_conversation = in_conversation
        self.random = obfuscation

    def _obfuscation(self, delta: str) -> str:
        return obfuscation_for(delta, self.random)

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
        event_type = (
            "response.output_audio_transcript.delta" if item.audio else "response.output_text.delta"
        )
        return self._in_part(event_type, item, delta=token, obfuscation=self._obfuscation(token))

    def audio_delta(self, item: OutputItem, chunk: bytes) -> Event:
        delta = base64.b64encode(chunk).decode("ascii")
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
