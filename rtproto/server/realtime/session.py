"""`RealtimeSession`: the simulated Realtime API server for one connection (a `Behaviour`).

Client events come in GA-shaped; each is checked the way the real server checks it (a type
it accepts, then the GA client schema, then rules no schema can state) and either changes the
session at once or is answered with an `error` carrying the real code and text and the
client's `event_id`; the session goes on either way. Answers are scheduled on a `Timeline`
with the delays of `Timing`, so the driver only asks what is due and when to ask again.

Audio: the input side (buffer, VAD turns, idle timeout) is rtproto.server.realtime.turns; the
session
answers its news: speech that starts while the conversation's response is being generated
cancels it when `interrupt_response` is on (barge-in, reason `turn_detected`); a turn that VAD
or the idle timeout committed gets a response when `create_response` is on (a transcription
session never responds; a client's commit "will not create a response", SDK); every commit is
transcribed when `audio.input.transcription` is set (rtproto.server.realtime.transcription).
Response
audio is speech-like (rtproto.server.realtime.speech), delivered as `SessionOptions.audio_delivery`
says.

Beyond PROTOCOL.md, UNVERIFIED: `session.close` (accepted by the real server, undocumented)
closes the connection with 1000; `session.input_audio_buffer.append` is read as
`input_audio_buffer.append`; the close reason at expiry follows the recorded
`<type>.<code>` pattern of the handshake failures; a VAD turn that finds a response still
running (with `interrupt_response` off) gets `conversation_already_has_active_response` ("this
may fail to create a response", SDK) and no response.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from realtime_conformance.rtproto.audio.buffer import CommittedAudio
from realtime_conformance.rtproto.audio.vad import DEFAULT_FRAME_MS
from realtime_conformance.rtproto.events import EventBuilder, RealtimeError
from realtime_conformance.rtproto.ids import IdFactory, RandomText
from realtime_conformance.rtproto.server.realtime import errors
from realtime_conformance.rtproto.server.realtime.client_items import input_audio_ms, server_item
from realtime_conformance.rtproto.server.realtime.conversation import Conversation, Entry
from realtime_conformance.rtproto.server.realtime.outbox import (
    Abort,
    Close,
    Outgoing,
    Send,
    Timeline,
)
from realtime_conformance.rtproto.server.realtime.responder import Responder
from realtime_conformance.rtproto.server.realtime.session_config import (
    SESSION_LIFETIME_S,
    Intent,
    SessionConfig,
)
from realtime_conformance.rtproto.server.realtime.simulated_model import ReplyPlanner
from realtime_conformance.rtproto.server.realtime.timing import AudioDelivery, Timing
from realtime_conformance.rtproto.server.realtime.transcription import SpokenLine, Transcriber, hear
from realtime_conformance.rtproto.server.realtime.turns import InputTurns, announce_item
from realtime_conformance.rtproto.validation import EventValidator

DEFAULT_CREATED_AT = 1_767_229_435  # epoch seconds; drivers pass the wall clock's
BUFFER_ALIAS = "session.input_audio_buffer.append"
EXPIRED_CLOSE_CODE = 1001
RESPONSE_EVENTS = frozenset({"response.create", "response.cancel"})


@dataclass(frozen=True)
class SessionLimits:
    max_duration_s: float = SESSION_LIFETIME_S


@dataclass(frozen=True)
class SessionOptions:
    model: str = "gpt-realtime"
    seed: int | str = 0
    timing: Timing = field(default_factory=Timing.realistic)
    intent: Intent = "realtime"
    limits: SessionLimits = field(default_factory=SessionLimits)
    created_at: int = DEFAULT_CREATED_AT  # for `expires_at`; rtproto reads no clock
    audio_delivery: AudioDelivery = field(default_factory=AudioDelivery.burst)
    # What the caller says and when, on the input audio timeline (the harness knows its
    # script): input transcripts, and what the simulated model hears in an audio turn.
    caller_transcript: tuple[SpokenLine, ...] = ()
    transcription_fails: bool = False  # every input transcription ends in `.failed`
    vad_frame_ms: int = DEFAULT_FRAME_MS  # 32: the grid the real server's VAD events fall on


# An append with `audio`, keys among these and every value a string is one the GA schema accepts
# (required type and audio, event_id a string, nothing else): checked without jsonschema (~30 µs
# of the ~100 an append cost, 50 times a second per call). Anything else is validated as before.
APPEND_KEYS = frozenset({"type", "audio", "event_id"})


@cache
def shared_validator() -> EventValidator:
    """One validator for every session (building one costs far more than using it)."""
    return EventValidator()


class RealtimeSession:
    def __init__(
        self, options: SessionOptions | None = None, validator: EventValidator | None = None
    ) -> None:
        self.options = options = options or SessionOptions()
        self.timing = options.timing
        self.validator = validator or shared_validator()
        self.ids = IdFactory(f"ids:{options.seed}")
        self.build = EventBuilder(self.ids)
        self.timeline = Timeline()
        self.closed = False
        session_id = self.ids.new("sess")
        self.config = SessionConfig(options.intent, session_id, options.model, options.created_at)
        self.conversation = Conversation()
        self.responder = self._responder(options)
        self.transcriber = Transcriber(
            self.build,
            self.timeline,
            self.timing,
            seed=options.seed,
            always_fail=options.transcription_fails,
        )
        self.turns = InputTurns(
            ids=self.ids,
            build=self.build,
            timeline=self.timeline,
            timing=self.timing,
            conversation=self.conversation,
            listener=self,
            frame_ms=options.vad_frame_ms,
        )
        self.turns.configure(self.config.input_format, self.config.turn_detection)

    def _responder(self, options: SessionOptions) -> Responder:
        return Responder(
            ids=self.ids,
            build=self.build,
            timeline=self.timeline,
            timing=self.timing,
            config=self.config,
            conversation=self.conversation,
            brain=ReplyPlanner(options.seed),
            obfuscation=RandomText(f"obfuscation:{options.seed}"),
            conversation_id=self.ids.new("conv"),
            delivery=options.audio_delivery,
        )

    # --- the Behaviour protocol ---------------------------------------------------------

    def start(self, now: float) -> None:
        created = self.build.event("session.created", session=self.config.snapshot())
        self.timeline.schedule(now + self.timing.session_created, Send(created))
        limit = self.options.limits.max_duration_s
        expired = errors.session_expired(limit)
        self.timeline.schedule(now + limit, Send(self.build.error(expired)))
        reason = f"{expired.type}.{expired.code}"
        self.timeline.schedule(now + limit, Close(EXPIRED_CLOSE_CODE, reason))

    def on_client_event(self, event: dict[str, Any], now: float) -> None:
        """Answer a client event. A lazily built response is settled (built whole) first, as
        before anything else is built, except for an append: it builds (and settles) only when
        the buffer has news (InputTurns.append), so a call's appends keep a reply lazy."""
        if self.closed:
            return
        event_id = event.get("event_id")
        try:
            self._dispatch(event, now)
        except RealtimeError as error:
            echoed = event_id if isinstance(event_id, str) else None
            self._error(errors.with_event_id(error, echoed), now)

    def on_frame_error(self, error: RealtimeError, now: float) -> None:
        if not self.closed:
            self._error(error, now)

    def on_client_closed(self, now: float) -> None:
        self._shut()

    def due(self, now: float) -> list[Outgoing]:
        if self.closed:
            return []
        items = self.timeline.due(now)
        for index, item in enumerate(items):
            if isinstance(item, Close | Abort):  # nothing goes out after the connection ends
                self._shut()
                return items[: index + 1]
        return items

    def next_deadline(self) -> float | None:
        return None if self.closed else self.timeline.next_deadline()

    # --- plumbing -----------------------------------------------------------------------

    def _shut(self) -> None:
        """The connection is gone: what is still scheduled never goes out."""
        self.closed = True

    def _send(self, at: float, event_type: str, **fields: Any) -> None:
        self.timeline.schedule(at, Send(self.build.event(event_type, **fields)))

    def _error(self, error: RealtimeError, now: float) -> None:
        self.timeline.settle()  # the reply's events draw their ids before the error's
        self.timeline.schedule(now + self.timing.error, Send(self.build.error(error)))

    def _dispatch(self, event: dict[str, Any], now: float) -> None:
        event_type = event.get("type")
        if event_type not in errors.SUPPORTED_CLIENT_EVENTS:
            raise errors.unknown_event_type(str(event_type))
        if event_type == "session.close":
            self.timeline.schedule(now, Close(1000))
            return
        if event_type == BUFFER_ALIAS:
            event = {**event, "type": "input_audio_buffer.append"}
        plain_append = (
            event["type"] == "input_audio_buffer.append"
            and "audio" in event
            and event.keys() <= APPEND_KEYS
            and all(type(value) is str for value in event.values())
        )
        if not plain_append:
            self.timeline.settle()
        problems = [] if plain_append else self.validator.validate(event, "realtime", "ga")
        if problems:
            raise errors.problem_to_error(problems[0])
        if self.config.intent == "transcription" and event["type"] in RESPONSE_EVENTS:
            raise errors.not_in_transcription_session(event["type"])
        HANDLERS[event["type"]](self, event, now)

    # --- handlers -----------------------------------------------------------------------

    def session_update(self, event: dict[str, Any], now: float) -> None:
        audio_present = self.conversation.assistant_audio_present(now)
        self.config.apply(event["session"], audio_present)
        self.turns.configure(self.config.input_format, self.config.turn_detection)
        at = now + self.timing.session_updated
        self._send(at, "session.updated", session=self.config.snapshot())

    def buffer_append(self, event: dict[str, Any], now: float) -> None:
        self.turns.append(event["audio"], now)

    def buffer_commit(self, event: dict[str, Any], now: float) -> None:
        self.turns.commit(now)

    def buffer_clear(self, event: dict[str, Any], now: float) -> None:
        self.turns.clear(now)

    def item_create(self, event: dict[str, Any], now: float) -> None:
        client_item = event["item"]
        item = server_item(client_item, client_item.get("id") or self.ids.new("item"), self.ids)
        audio_ms = input_audio_ms(client_item, self.config.input_format)
        entry = Entry(item, input_audio_ms=audio_ms)
        previous = self.conversation.insert(entry, event.get("previous_item_id"))
        at = now + self.timing.item_added
        done_at = at + self.timing.step
        announce_item(self.timeline, self.build, previous, item, added_at=at, done_at=done_at)

    def item_delete(self, event: dict[str, Any], now: float) -> None:
        self.conversation.delete(event["item_id"])
        self._send(now + self.timing.reply, "conversation.item.deleted", item_id=event["item_id"])

    def item_retrieve(self, event: dict[str, Any], now: float) -> None:
        item = self.conversation.retrieve(event["item_id"])
        self._send(now + self.timing.reply, "conversation.item.retrieved", item=item)

    def item_truncate(self, event: dict[str, Any], now: float) -> None:
        item_id, index, end = event["item_id"], event["content_index"], event["audio_end_ms"]
        self.conversation.truncate(item_id, index, end, now)
        self._send(
            now + self.timing.reply,
            "conversation.item.truncated",
            item_id=item_id,
            content_index=index,
            audio_end_ms=end,
        )

    def response_create(self, event: dict[str, Any], now: float) -> None:
        run = self.responder.create(event.get("response", {}), now)
        if run.in_conversation:
            self.turns.arm_idle_after(run)

    def response_cancel(self, event: dict[str, Any], now: float) -> None:
        self.responder.cancel(event.get("response_id"), now)

    # --- the input side's news (rtproto.server.realtime.turns.TurnListener) ----------------------

    def speech_started(self, now: float, at: float) -> None:
        if self.config.turn_flag("interrupt_response"):
            self.responder.interrupt(now, at)

    def turn_committed(
        self, entry: Entry, audio: CommittedAudio, at: float, automatic: bool
    ) -> None:
        settings = self.config.input_transcription
        if self.options.caller_transcript or settings is not None:
            hearing = hear(self.options.caller_transcript, audio)
            entry.heard = hearing.scripted_text
            if settings is not None:
                item_id = entry.item["id"]
                transcript = self.transcriber.transcribe(item_id, audio, hearing, settings, at)
                if transcript is not None:
                    entry.item = copy.deepcopy(entry.item)
                    entry.item["content"][0]["transcript"] = transcript
        if automatic and self.config.turn_flag("create_response"):
            self._respond(at + self.timing.step)  # after conversation.item.done

    def _respond(self, at: float) -> None:
        try:
            run = self.responder.create({}, at)
        except RealtimeError as error:
            self._error(error, at)
            return
        self.turns.arm_idle_after(run)


Handler = Callable[[RealtimeSession, dict[str, Any], float], None]
HANDLERS: dict[str, Handler] = {
    "session.update": RealtimeSession.session_update,
    "input_audio_buffer.append": RealtimeSession.buffer_append,
    "input_audio_buffer.commit": RealtimeSession.buffer_commit,
    "input_audio_buffer.clear": RealtimeSession.buffer_clear,
    "conversation.item.create": RealtimeSession.item_create,
    "conversation.item.delete": RealtimeSession.item_delete,
    "conversation.item.retrieve": RealtimeSession.item_retrieve,
    "conversation.item.truncate": RealtimeSession.item_truncate,
    "response.create": RealtimeSession.response_create,
    "response.cancel": RealtimeSession.response_cancel,
}
