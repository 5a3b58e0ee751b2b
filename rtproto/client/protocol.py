"""The Realtime client protocol, sans I/O: GA server events in, intents out.

`ClientProtocol.receive(event)` takes one server event (GA-shaped: a beta connection's pump
translates with rtproto.dialects.to_ga first) and returns the intents it calls for;
`send(event)` takes what the application wants to send and applies the same rules (a second
`response.create` is queued, a function call is answered once); `playout_stopped(played)` takes
the media bridge's answer to a `StopPlayout` and returns the truncates. The rules themselves
are the overridable methods of `ClientRules`.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from realtime_conformance.rtproto.client.intents import Intent, Notice, PlayAudio, Played, SendEvent
from realtime_conformance.rtproto.client.rules import ClientRules
from realtime_conformance.rtproto.client.shapes import (
    calls_in_output,
    known_server_types,
    request_of,
    truncate_event,
)
from realtime_conformance.rtproto.client.state import (
    ActiveResponse,
    ClientState,
    Event,
    FunctionCall,
)
from realtime_conformance.rtproto.ids import IdFactory

MALFORMED = (KeyError, TypeError, AttributeError, ValueError)
# Errors that answer a `response.create` instead of `response.created` even when they do not
# echo its event_id (the rate-limit error of a real capture does not).
RESPONSE_REFUSALS = frozenset({"rate_limit_exceeded", "conversation_already_has_active_response"})


class ClientRuleError(ValueError):
    """The application asked for something a correct client never sends."""


class ClientProtocol(ClientRules):
    """One connection's client side: state plus rules (see ClientRules)."""

    def __init__(self, tool_outputs: Mapping[str, str] | None = None, seed: Any = None) -> None:
        self.state = ClientState()
        self.tool_outputs: dict[str, str] = dict(tool_outputs or {})
        self.ids = IdFactory(seed)
        self._handlers: dict[str, Callable[[Event], list[Intent]]] = {
            "session.created": self._on_session,
            "session.updated": self._on_session,
            "conversation.item.added": self._on_item,
            "conversation.item.done": self._on_item,
            "conversation.item.retrieved": self._on_item,
            "conversation.item.deleted": self._on_item_deleted,
            "response.created": self._on_response_created,
            "response.output_item.added": self._on_output_item,
            "response.output_item.done": self._on_output_item,
            "response.function_call_arguments.done": self._on_arguments_done,
            "response.output_audio.delta": self._on_audio_delta,
            "response.output_audio.done": self._on_audio_done,
            "input_audio_buffer.speech_started": self.on_speech_started,
            "response.done": self._on_response_done,
            "error": self._on_error,
        }

    # -- inputs ------------------------------------------------------------------------------

    def receive(self, event: Event) -> list[Intent]:
        """The intents one server event calls for. Unknown events go to `on_unknown_event`;
        a known event of an unexpected shape is reported as a `malformed_event` notice."""
        event_type = event.get("type")
        handler = self._handlers.get(event_type) if isinstance(event_type, str) else None
        if handler is None:
            if event_type in known_server_types():
                return []
            return self.on_unknown_event(event)
        try:
            return handler(event)
        except MALFORMED as error:
            return [Notice("malformed_event", {"type": event_type, "error": repr(error)})]

    def send(self, event: Event, reason: str = "application") -> list[Intent]:
        """What sending `event` (GA-shaped) amounts to under the rules; gives it an
        `event_id` so the server's errors can name it. Raises ClientRuleError for a second
        answer to one function call."""
        event = copy.deepcopy(event)
        event.setdefault("event_id", self.ids.new("event"))
        if event.get("type") == "response.create":
            return self._send_response_create(event, reason)
        if event.get("type") == "session.update":
            self.state.session.requested(event["event_id"], event.get("session"))
        item = event.get("item")
        if event.get("type") == "conversation.item.create" and isinstance(item, dict):
            self._note_if_answer(item)
        return [SendEvent(event, reason)]

    def playout_stopped(self, played: Iterable[Played]) -> list[Intent]:
        """The truncates for what the media bridge reports played when it stopped: one per
        item cut short (not for an item whose audio was complete and fully played)."""
        intents: list[Intent] = []
        for entry in played:
            key = (entry.item_id, entry.content_index)
            received = self.state.audio.received_ms(*key)
            if key not in self.state.audio.received:
                continue
            if key in self.state.audio_done and entry.played_ms >= received:
                continue
            point = self.truncate_point(entry.played_ms, received)
            if point is not None:
                intents += self.send(truncate_event(entry.item_id, entry.content_index, point))
        return intents

    def stop_playout(self, reason: str = "application") -> list[Intent]:
        """The application stops playout (clear_media_buffer): same as on barge-in."""
        return self.stop_playout_intents(reason)

    def cancel(self, reason: str = "application") -> list[Intent]:
        """Cancel the active response, if any (nothing to send otherwise)."""
        if self.state.response is None:
            return []
        response_id = self.state.response.id
        event: Event = {"type": "response.cancel"}
        if response_id is not None:
            event["response_id"] = response_id
        return self.send(event, reason)

    def reset(self) -> None:
        """A new connection: the server's state is gone, the tool outputs stay."""
        self.state = ClientState()

    @property
    def response_active(self) -> bool:
        return self.state.response is not None

    # -- sending -----------------------------------------------------------------------------

    def _send_response_create(self, event: Event, reason: str) -> list[Intent]:
        event = self.tag_response_create(event)
        response = event.get("response")
        if isinstance(response, dict) and response.get("conversation") == "none":
            self.state.out_of_band_requests.add(event["event_id"])
            return [SendEvent(event, reason)]
        if not self.may_create_response():
            self.state.queued_creates.append(event)
            return [Notice("response_create_queued", {"event_id": event["event_id"]})]
        self.state.response = ActiveResponse(request_event_id=event["event_id"])
        return [SendEvent(event, reason)]

    def _note_if_answer(self, item: Event) -> None:
        if item.get("type") == "function_call_output":
            self._note_answer(str(item.get("call_id")))

    def _note_answer(self, call_id: str) -> None:
        if call_id in self.state.answered_calls:
            raise ClientRuleError(f"function call {call_id!r} has already been answered")
        self.state.answered_calls.add(call_id)
        self.state.pending_calls.pop(call_id, None)

    def _release_queued(self) -> list[Intent]:
        if self.state.response is not None or not self.state.queued_creates:
            return []
        return self._send_response_create(self.state.queued_creates.popleft(), "queued")

    # -- server events -----------------------------------------------------------------------

    def _on_session(self, event: Event) -> list[Intent]:
        self.state.session.apply(event["type"], event.get("session"))
        return []

    def _on_item(self, event: Event) -> list[Intent]:
        item = event["item"]
        self.state.items[item["id"]] = item
        return []

    def _on_item_deleted(self, event: Event) -> list[Intent]:
        self.state.items.pop(event["item_id"], None)
        return []

    def _on_response_created(self, event: Event) -> list[Intent]:
        response = event["response"]
        response_id = response["id"]
        if self._is_out_of_band(response):
            self.state.out_of_band.add(response_id)
            return []
        active = self.state.response
        ours = active is not None and active.id is None
        echoed = request_of(response)
        if ours and active is not None and echoed in (None, active.request_event_id):
            active.id = response_id
        else:
            self.state.response = ActiveResponse(id=response_id)  # the server started it
        return []

    def _is_out_of_band(self, response: Event) -> bool:
        requests = self.state.out_of_band_requests
        echoed = request_of(response)
        if echoed in requests:
            requests.discard(echoed)
            return True
        if requests and echoed is None and response.get("conversation_id", "") is None:
            requests.pop()
            return True
        return False

    def _calls_of(self, event: Event) -> dict[str, FunctionCall]:
        active = self.state.response
        return active.calls if active is not None else self.state.pending_calls

    def _on_output_item(self, event: Event) -> list[Intent]:
        item = event["item"]
        if item.get("type") == "function_call":
            calls = self._calls_of(event)
            call = FunctionCall(item["call_id"], item["name"], item.get("arguments") or "")
            call.done = event["type"] == "response.output_item.done"
            calls[call.call_id] = call
        return []

    def _on_arguments_done(self, event: Event) -> list[Intent]:
        call = self._calls_of(event).get(event["call_id"])
        if call is not None:
            call.arguments, call.done = event["arguments"], True
        return []

    def _on_audio_delta(self, event: Event) -> list[Intent]:
        item_id, content_index = event["item_id"], int(event.get("content_index", 0))
        audio = base64.b64decode(event["delta"], validate=True)
        self.state.audio.add(item_id, content_index, len(audio), self.output_format())
        if item_id in self.state.stopped:
            return []  # trailing audio of an item whose playout was stopped
        self.state.playing.add((item_id, content_index))
        return [PlayAudio(item_id, content_index, audio)]

    def _on_audio_done(self, event: Event) -> list[Intent]:
        self.state.audio_done.add((event["item_id"], int(event.get("content_index", 0))))
        return []

    def on_speech_started(self, event: Event) -> list[Intent]:
        """Barge-in: the caller speaks. Stop playout (then truncate what was cut short, see
        `playout_stopped`), and cancel the response when the server will not."""
        intents: list[Intent] = []
        if self.stops_playout_on_speech():
            intents += self.stop_playout_intents("speech_started")
        if self.cancels_on_speech():
            intents += self.cancel("speech_started")
        return intents

    def _on_response_done(self, event: Event) -> list[Intent]:
        response = event["response"]
        response_id = response.get("id")
        if response_id in self.state.out_of_band:
            self.state.out_of_band.discard(response_id)
            return []
        active, self.state.response = self.state.response, None
        calls = dict(active.calls) if active is not None else {}
        calls.update(calls_in_output(response, calls))
        return self._answer_calls(response, list(calls.values())) + self._release_queued()

    def _answer_calls(self, response: Event, calls: list[FunctionCall]) -> list[Intent]:
        fresh = [call for call in calls if call.call_id not in self.state.answered_calls]
        if not fresh or not self.answers_calls_of(response):
            return []
        known = [call for call in fresh if call.name in self.tool_outputs]
        notices: list[Intent] = []
        for call in fresh:
            if call.name not in self.tool_outputs:
                self.state.pending_calls[call.call_id] = call
                notices.append(Notice("function_call_pending", {"call_id": call.call_id}))
        intents: list[Intent] = []
        for intent in self.function_call_answer(known, self.tool_outputs):
            intents += (
                self.send(intent.event, intent.reason)
                if isinstance(intent, SendEvent)
                else [intent]
            )
        return notices + intents

    def _on_error(self, event: Event) -> list[Intent]:
        """An error naming our pending `response.create` (or, naming nothing, one of the
        codes that refuse a response) means no response is coming: release the queue."""
        error = event.get("error")
        details = error if isinstance(error, dict) else {}
        self.state.session.refused(details.get("event_id"))
        active = self.state.response
        if active is None or active.id is not None:
            return []
        offending = details.get("event_id")
        if offending == active.request_event_id or (
            offending is None and details.get("code") in RESPONSE_REFUSALS
        ):
            self.state.response = None
            return self._release_queued()
        return []

    def output_format(self) -> Any:
        return self.state.session.audio_format("output")
