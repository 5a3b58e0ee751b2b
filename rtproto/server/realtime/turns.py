"""The input side of a session: the audio buffer, turn detection, and the events they cause.

Appends run through rtproto.audio.buffer.InputAudioBuffer in the session's input format, with
the VAD its `turn_detection` asks for; what the buffer reports becomes the GA events, in the
order of PROTOCOL.md §2 and the sip-gateway trace:

    input_audio_buffer.speech_started {audio_start_ms, item_id}
    input_audio_buffer.speech_stopped {audio_end_ms, item_id}        (the same item_id)
    input_audio_buffer.committed {previous_item_id, item_id}
    conversation.item.added, conversation.item.done (user, [{input_audio, transcript: null}])

then, through the session (`TurnListener`), barge-in at speech start and a response and input
transcription after the commit. `idle_timeout_ms` gives `input_audio_buffer.timeout_triggered
{audio_start_ms, audio_end_ms, item_id}` and the commit of that silent stretch. Times on the
audio timeline are the buffer's (rtproto.audio.buffer); VAD events go out `Timing.vad` after
the append that completed the decision.

The idle timer is armed when the last response's audio has played out (`response.done` plus
its duration, SDK), at the timeline position of the first append from then on: the timeline
moves only as audio arrives, so a client that sends no audio never times out (UNVERIFIED: the
real server may use its own clock). A manual commit during speech takes the speech's item id
(capture p07) and restarts detection there, so speech that goes on opens a new item with its
own speech_started (UNVERIFIED).
"""

from __future__ import annotations

import copy
from typing import Any, Protocol

from realtime_conformance.rtproto.audio.buffer import BufferEvent, CommittedAudio, InputAudioBuffer
from realtime_conformance.rtproto.audio.formats import AudioFormat
from realtime_conformance.rtproto.audio.vad import (
    IdleTimedOut,
    IdleTimeout,
    SpeechStarted,
    SpeechStopped,
    vad_from_config,
)
from realtime_conformance.rtproto.events import EventBuilder
from realtime_conformance.rtproto.ids import IdFactory
from realtime_conformance.rtproto.server.realtime.conversation import Conversation, Entry
from realtime_conformance.rtproto.server.realtime.outbox import Send, Timeline
from realtime_conformance.rtproto.server.realtime.timing import Timing


class TurnListener(Protocol):
    """What the session does when the input side has news."""

    def speech_started(self, now: float, at: float) -> None: ...

    def turn_committed(
        self, entry: Entry, audio: CommittedAudio, at: float, automatic: bool
    ) -> None:
        """A user audio item went in; its committed event goes out at `at`."""


class PlayedOut(Protocol):
    """A response whose audio the client plays (rtproto.server.realtime.response.ResponseRun)."""

    def played_out_at(self) -> float: ...


def user_audio_item(item_id: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "message",
        "status": "completed",
        "role": "user",
        "content": [{"type": "input_audio", "transcript": None}],
    }


def idle_timeout_of(turn_detection: dict[str, Any] | None) -> IdleTimeout | None:
    """`idle_timeout_ms` is a server_vad setting (SDK: "only supported for server_vad mode")."""
    if not turn_detection or turn_detection.get("type") != "server_vad":
        return None
    milliseconds = turn_detection.get("idle_timeout_ms")
    return IdleTimeout(int(milliseconds)) if milliseconds else None


class InputTurns:
    def __init__(
        self,
        *,
        ids: IdFactory,
        build: EventBuilder,
        timeline: Timeline,
        timing: Timing,
        conversation: Conversation,
        listener: TurnListener,
        frame_ms: int,
    ) -> None:
        self.ids, self.build, self.timeline, self.timing = ids, build, timeline, timing
        self.conversation = conversation
        self.listener = listener
        self.frame_ms = frame_ms
        self.buffer = InputAudioBuffer()
        self.turn_detection: dict[str, Any] | None = None
        self.turn_item: str | None = None  # the id speech_started (or a timeout) announced
        self.idle_after: PlayedOut | None = None

    def configure(self, fmt: AudioFormat, turn_detection: dict[str, Any] | None) -> None:
        """Take the session's input format and turn detection (after every session.update)."""
        if fmt != self.buffer.fmt:
            self.buffer.set_format(fmt)  # restarts detection: speech in progress is forgotten
            self.turn_item = None
        if turn_detection != self.turn_detection:
            self.turn_detection = copy.deepcopy(turn_detection)
            self.buffer.set_vad(
                vad_from_config(
                    turn_detection, sample_rate=self.buffer.fmt.sample_rate, frame_ms=self.frame_ms
                )
            )
            self.buffer.idle_timeout = idle_timeout_of(turn_detection)
            self.turn_item = None

    def arm_idle_after(self, response: PlayedOut) -> None:
        """The idle timer runs from when this response's audio has played out."""
        self.idle_after = response

    # --- client events ------------------------------------------------------------------

    def append(self, audio: str, now: float) -> None:
        self._arm_idle(now)
        at = now + self.timing.vad
        news = self.buffer.append(audio)
        if news:
            self.timeline.settle()  # a lazy reply's events are built before the news's
        for event in news:
            self._on_buffer_event(event, now, at)

    def commit(self, now: float) -> None:
        committed = self.buffer.commit()
        item_id, self.turn_item = self.turn_item or self.ids.new("item"), None
        vad = self.buffer.vad
        if vad is not None and vad.in_speech:
            position = round(self.buffer.position_ms)
            vad.restart(position, self.buffer.fmt.sample_rate, position)
        self._commit(committed, item_id, now + self.timing.reply, automatic=False)

    def clear(self, now: float) -> None:
        self.buffer.clear()
        self.turn_item = None
        self._send(now + self.timing.reply, "input_audio_buffer.cleared")

    # --- what the buffer reports ----------------------------------------------------------

    def _on_buffer_event(self, event: BufferEvent, now: float, at: float) -> None:
        if isinstance(event, SpeechStarted):
            self.turn_item, self.idle_after = self.ids.new("item"), None
            self._send(
                at,
                "input_audio_buffer.speech_started",
                audio_start_ms=event.audio_start_ms,
                item_id=self.turn_item,
            )
            self.listener.speech_started(now, at)
        elif isinstance(event, SpeechStopped):
            self.turn_item = self.turn_item or self.ids.new("item")
            self._send(
                at,
                "input_audio_buffer.speech_stopped",
                audio_end_ms=event.audio_end_ms,
                item_id=self.turn_item,
            )
        elif isinstance(event, IdleTimedOut):
            self.turn_item = self.ids.new("item")
            self._send(
                at,
                "input_audio_buffer.timeout_triggered",
                audio_start_ms=event.audio_start_ms,
                audio_end_ms=event.audio_end_ms,
                item_id=self.turn_item,
            )
        else:
            item_id, self.turn_item = self.turn_item or self.ids.new("item"), None
            self._commit(event, item_id, at, automatic=True)

    def _arm_idle(self, now: float) -> None:
        idle, response = self.buffer.idle_timeout, self.idle_after
        if idle is None or response is None or now < response.played_out_at():
            return
        self.idle_after = None
        if self.buffer.vad is None or not self.buffer.vad.in_speech:
            idle.arm(round(self.buffer.position_ms))

    def _commit(self, committed: CommittedAudio, item_id: str, at: float, automatic: bool) -> None:
        entry = Entry(user_audio_item(item_id), input_audio_ms=committed.duration_ms)
        previous = self.conversation.insert(entry)
        self._send(at, "input_audio_buffer.committed", previous_item_id=previous, item_id=item_id)
        done_at = at + self.timing.step
        announce_item(self.timeline, self.build, previous, entry.item, added_at=at, done_at=done_at)
        self.listener.turn_committed(entry, committed, at, automatic)

    def _send(self, at: float, event_type: str, **fields: Any) -> None:
        self.timeline.schedule(at, Send(self.build.event(event_type, **fields)))


def announce_item(
    timeline: Timeline,
    build: EventBuilder,
    previous: str | None,
    item: dict[str, Any],
    *,
    added_at: float,
    done_at: float,
) -> None:
    """conversation.item.added, then .done: a user item is complete at once."""
    for event_type, at in (
        ("conversation.item.added", added_at),
        ("conversation.item.done", done_at),
    ):
        event = build.event(event_type, previous_item_id=previous, item=copy.deepcopy(item))
        timeline.schedule(at, Send(event))
