"""The correct client's rules, one small overridable method each (`ClientRules`).

`ClientProtocol` calls these at the points where a client decides something; a deliberately
broken client (conformance/clients/broken.py) overrides one of them in a few lines. Each
docstring states the rule and why it is right (shared/PROTOCOL.md §2 Cancel and barge-in).
"""

from __future__ import annotations

from realtime_conformance.rtproto.client.intents import Intent, SendEvent, StopPlayout
from realtime_conformance.rtproto.client.shapes import METADATA_KEY, function_call_output
from realtime_conformance.rtproto.client.state import ClientState, Event, FunctionCall


class ClientRules:
    """The rules of a correct Realtime client; `state` is the protocol's `ClientState`."""

    state: ClientState

    def truncate_point(self, played_ms: int, received_ms: int) -> int | None:
        """Where to truncate an item cut short by barge-in: at the milliseconds the far end
        actually played, never more than the audio received (the server rejects that: "Audio
        content of 2450ms is already shorter than 2535ms"), never negative. An item queued but
        never played is truncated at 0. None means: do not truncate."""
        return max(0, min(played_ms, received_ms))

    def stops_playout_on_speech(self) -> bool:
        """On `input_audio_buffer.speech_started`, stop playout at once: the caller is talking
        over the model, and every further frame played is audio the caller did not want."""
        return True

    def cancels_on_speech(self) -> bool:
        """On `speech_started`, cancel the active response only when the server will not:
        with server VAD and `interrupt_response` on (the default) the server cancels it itself
        (`response.done` cancelled, `turn_detected`) and a client cancel would race it; with
        `interrupt_response` off the response would go on talking over the caller."""
        return self.state.response is not None and not self.state.session.server_interrupts()

    def may_create_response(self) -> bool:
        """Send `response.create` only when no response is active in the default
        conversation; otherwise queue it until `response.done` (the server would answer
        `conversation_already_has_active_response` and drop it)."""
        return self.state.response is None

    def answers_calls_of(self, response: Event) -> bool:
        """Answer the function calls of a response once it is done and `completed`: a call
        in a cancelled or incomplete response was interrupted, and answering it would make
        the model speak over the caller."""
        return response.get("status") == "completed"

    def function_call_answer(
        self, calls: list[FunctionCall], outputs: dict[str, str]
    ) -> list[Intent]:
        """Each call once, with a `function_call_output` carrying its `call_id`, then exactly
        one `response.create` (one answer for all the calls of a response), never before the
        outputs: the model must see every output when it answers."""
        intents: list[Intent] = [
            SendEvent(function_call_output(call.call_id, outputs[call.name]), "function_call")
            for call in calls
        ]
        if intents:
            intents.append(SendEvent({"type": "response.create"}, "function_call"))
        return intents

    def tag_response_create(self, event: Event) -> Event:
        """Tag every `response.create` with `metadata` naming its own `event_id` (unless the
        application set metadata): the server echoes it in `response.created` and
        `response.done`, which is how a client tells its responses from the server's (VAD
        turns) and from out-of-band ones, whatever order they come in."""
        response = event.get("response")
        params = dict(response) if isinstance(response, dict) else {}
        if params.get("metadata") is None:
            params["metadata"] = {METADATA_KEY: event["event_id"]}
        return {**event, "response": params}

    def on_unknown_event(self, event: Event) -> list[Intent]:
        """Tolerate events this client does not know (the API adds some): ignore them."""
        return []

    def stop_playout_intents(self, reason: str) -> list[Intent]:
        """Stop playout (when something is playing) and stop playing the rest of the items
        already received: their trailing deltas must not start playout again."""
        if not self.state.playing:
            return []
        self.state.stopped |= {item_id for item_id, _ in self.state.playing}
        self.state.playing.clear()
        return [StopPlayout(reason)]
