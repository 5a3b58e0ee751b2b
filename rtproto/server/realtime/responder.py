"""`response.create` and `response.cancel`: which responses run, and with what settings.

One response at a time may write to the default conversation; a second `response.create`
while it runs is refused (`conversation_already_has_active_response`, no `response.created`
follows). Out-of-band responses (`conversation: "none"`) run beside it: their items stay out
of the conversation and they carry no `conversation.item.*` events. A response's `input`
items, when given, replace the conversation as its context (`item_reference`s name
conversation items). A VAD barge-in (`interrupt`) cancels the conversation's response with the
reason `turn_detected`.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.events import EventBuilder
from realtime_conformance.rtproto.ids import IdFactory, RandomText
from realtime_conformance.rtproto.server.realtime import errors
from realtime_conformance.rtproto.server.realtime.conversation import Conversation, Entry
from realtime_conformance.rtproto.server.realtime.outbox import Timeline
from realtime_conformance.rtproto.server.realtime.response import (
    TURN_DETECTED,
    ResponseRun,
    RunContext,
)
from realtime_conformance.rtproto.server.realtime.response_events import (
    ResponseEvents,
    ResponseSettings,
)
from realtime_conformance.rtproto.server.realtime.response_output import OutputItem, make_output
from realtime_conformance.rtproto.server.realtime.session_config import (
    SessionConfig,
    complete_format,
)
from realtime_conformance.rtproto.server.realtime.simulated_model import ReplyPlanner
from realtime_conformance.rtproto.server.realtime.timing import AudioDelivery, Timing
from realtime_conformance.rtproto.server.realtime.usage import (
    RateLimits,
    Usage,
    audio_tokens,
    text_tokens,
)


@dataclass(frozen=True)
class ResponseRequest:
    """A `response.create`'s parameters over the session's defaults."""

    out_of_band: bool
    output_modalities: list[str]
    audio_output: dict[str, Any]
    max_output_tokens: Any
    metadata: dict[str, Any] | None
    instructions: str
    tools: list[dict[str, Any]]
    tool_choice: Any
    input: list[dict[str, Any]] | None


def read_request(params: dict[str, Any], config: SessionConfig) -> ResponseRequest:
    conversation = params.get("conversation", "auto")
    if conversation not in ("auto", "none"):
        raise errors.unsupported_conversation(str(conversation))
    audio_output = config.output_audio
    override = params.get("audio", {}).get("output", {})
    if "format" in override:
        audio_output["format"] = complete_format(copy.deepcopy(override["format"]))
    if "voice" in override:
        audio_output["voice"] = override["voice"]
    return ResponseRequest(
        out_of_band=conversation == "none",
        output_modalities=params.get("output_modalities", config.get("output_modalities")),
        audio_output=audio_output,
        max_output_tokens=params.get("max_output_tokens", config.get("max_output_tokens")),
        metadata=params.get("metadata"),
        instructions=params.get("instructions", config.get("instructions", "")),
        tools=params.get("tools", config.get("tools", [])),
        tool_choice=params.get("tool_choice", config.get("tool_choice", "auto")),
        input=params.get("input"),
    )


def item_text(item: dict[str, Any]) -> str:
    if item.get("type") == "message":
        parts = item.get("content") or []
        return " ".join(str(part.get("text") or part.get("transcript") or "") for part in parts)
    return str(item.get("arguments") or item.get("output") or "")


def as_heard(entry: Entry) -> dict[str, Any]:
    """The item as the model takes it in: a user turn's audio with what the caller said in it."""
    item = entry.item
    if entry.heard is None or not any(
        part.get("type") == "input_audio" for part in item["content"]
    ):
        return item
    content = [
        {**part, "transcript": part.get("transcript") or entry.heard}
        if part.get("type") == "input_audio"
        else part
        for part in item["content"]
    ]
    return {**item, "content": content}


@dataclass
class Responder:
    ids: IdFactory
    build: EventBuilder
    timeline: Timeline
    timing: Timing
    config: SessionConfig
    conversation: Conversation
    brain: ReplyPlanner
    obfuscation: RandomText
    conversation_id: str
    delivery: AudioDelivery = field(default_factory=AudioDelivery.burst)
    rate_limits: RateLimits = field(default_factory=RateLimits)
    runs: dict[str, ResponseRun] = field(default_factory=dict)

    def active_default(self, now: float) -> ResponseRun | None:
        return next(
            (run for run in self.runs.values() if run.in_conversation and run.active(now)), None
        )

    def context(self, request: ResponseRequest) -> list[dict[str, Any]]:
        if request.input is None:
            return [as_heard(entry) for entry in self.conversation.entries()]
        items = []
        for item in request.input:
            if item.get("type") == "item_reference":
                entry = self.conversation.get(str(item.get("id")))
                items += [as_heard(entry)] if entry else []
            else:
                items.append(item)
        return items

    def input_usage(
        self, request: ResponseRequest, context: list[dict[str, Any]], now: float
    ) -> Usage:
        text = request.instructions + json.dumps(request.tools)
        text += "".join(item_text(item) for item in context)
        audio_ms = 0.0
        for item in context:
            entry = self.conversation.get(str(item.get("id")))
            if entry is not None:
                audio_ms += entry.input_audio_ms + (entry.audio.known_ms(now) if entry.audio else 0)
        return Usage(input_text=text_tokens(text), input_audio=audio_tokens(audio_ms))

    def create(self, params: dict[str, Any], now: float) -> ResponseRun:
        request = read_request(params, self.config)
        active = None if request.out_of_band else self.active_default(now)
        if active is not None:
            raise errors.active_response(active.response_id)
        context = self.context(request)
        plans = self.brain.answer(context, request.tools, request.tool_choice)
        audio = request.audio_output["format"] if "audio" in request.output_modalities else None
        output = make_output(plans, audio, request.max_output_tokens, self.ids)
        run = self._run(request, output, self.input_usage(request, context, now))
        run.start(now)
        self.runs = {rid: r for rid, r in self.runs.items() if r.active(now)}
        self.runs[run.response_id] = run
        return run

    def _run(
        self, request: ResponseRequest, output: tuple[list[OutputItem], bool], usage: Usage
    ) -> ResponseRun:
        response_id = self.ids.new("resp")
        in_conversation = not request.out_of_band
        settings = ResponseSettings(
            output_modalities=request.output_modalities,
            audio_output=request.audio_output,
            max_output_tokens=request.max_output_tokens,
            metadata=request.metadata,
            conversation_id=self.conversation_id if in_conversation else None,
        )
        conversation = self.conversation if in_conversation else None
        return ResponseRun(
            response_id=response_id,
            settings=settings,
            output=output,
            events=ResponseEvents(self.build, response_id, in_conversation, self.obfuscation),
            input_usage=usage,
            context=RunContext(
                self.timeline, self.timing, self.rate_limits, conversation, self.delivery
            ),
        )

    def cancel(self, response_id: str | None, now: float) -> None:
        run = self.runs.get(response_id) if response_id else self.active_default(now)
        if run is None or not run.cancellable(now):
            raise errors.cancel_not_active()
        run.cancel(now)

    def interrupt(self, now: float, speech_at: float) -> bool:
        """Barge-in: cancel the conversation's response, if one is still being generated."""
        run = self.active_default(now)
        if run is None or not run.cancellable(now):
            return False
        run.cancel(now, TURN_DETECTED, not_before=speech_at)
        return True
