"""The scripted server's ears (`vad:`): server VAD on the audio a client appends.

Each `input_audio_buffer.append` is decoded in the session's input format as the scenario last
announced it (session.created / session.updated) and fed to rtproto.audio.buffer.
InputAudioBuffer with the scenario's VAD settings. What it hears becomes GA events, as the
simulated model sends them (rtproto.server.realtime.turns):

    speech start:  input_audio_buffer.speech_started {audio_start_ms, item_id}
    speech stop:   input_audio_buffer.speech_stopped {audio_end_ms, item_id}   (same item_id)
                   input_audio_buffer.committed {previous_item_id, item_id}
                   conversation.item.added, .done (user, [{input_audio, transcript: null}])

and each committed turn a pseudo client event for the rules, `vad.turn` {turn (1-based),
item_id, audio_start_ms, audio_end_ms}, so a scenario answers a caller's turn with
`when: {type: vad.turn}`. Each decision, and the format the appends are decoded in, comes with a
note for the transcript (rtproto.scenario.notes), from which conformance.checks judges
`expect_vad`. Invalid audio raises the RealtimeError the real server answers with.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from realtime_conformance.rtproto.audio.buffer import InputAudioBuffer
from realtime_conformance.rtproto.audio.formats import (
    PCM16,
    AudioFormat,
    AudioFormatError,
    parse_format,
)
from realtime_conformance.rtproto.audio.vad import SpeechStarted, SpeechStopped
from realtime_conformance.rtproto.scenario.caller import server_vad
from realtime_conformance.rtproto.scenario.matchers import lookup
from realtime_conformance.rtproto.scenario.names import VAD_TURN
from realtime_conformance.rtproto.scenario.notes import (
    DetectedTurn,
    Meta,
    speech_started_note,
    speech_stopped_note,
    vad_format_note,
)
from realtime_conformance.rtproto.scenario.spec import EventStep, Step, TemplateStep, VadSettings
from realtime_conformance.rtproto.server.play.state import ConnectionState
from realtime_conformance.rtproto.server.realtime.turns import user_audio_item

Event = dict[str, Any]


@dataclass(frozen=True)
class Heard:
    """What one VAD decision sends, the turn it hands to the rules (at a speech stop), and
    what the player notes of it."""

    steps: tuple[Step, ...]
    note: Meta
    turn: Event | None = None


class VadListener:
    def __init__(self, settings: VadSettings, state: ConnectionState) -> None:
        self.settings = settings
        self.state = state
        self._seen_session: dict[str, Any] | None = None
        self._announced: AudioFormat | None = None
        fmt = self._session_format(PCM16)
        self.buffer = InputAudioBuffer(fmt, server_vad(settings, fmt.sample_rate))
        self.turns: list[DetectedTurn] = []

    @property
    def audio_ms(self) -> float:
        """Audio appended so far: the end of the session's input audio timeline."""
        return self.buffer.position_ms

    def format_note(self) -> Meta:
        return vad_format_note(self.buffer.fmt.beta_name)

    def append(self, event: Event) -> list[Heard]:
        """An append's audio through the VAD; what it decided, in order (a change of the
        session's input format first, as a decision that sends nothing)."""
        heard: list[Heard] = []
        fmt = self._session_format(self.buffer.fmt)
        if fmt != self.buffer.fmt:
            self.buffer.set_format(fmt)  # restarts detection, as a real format change does
            heard.append(Heard((), self.format_note()))
        audio: Any = event.get("audio")  # not a string: the buffer's invalid-audio error
        for found in self.buffer.append(audio):
            if isinstance(found, SpeechStarted):
                heard.append(self._started(found))
            elif isinstance(found, SpeechStopped):
                heard.append(self._stopped(found))
        return heard

    def _session_format(self, current: AudioFormat) -> AudioFormat:
        """The input format of the session as last announced (none or unreadable: `current`).
        Read again only when a session event replaced the session (state.observe keeps a copy
        of each), not on every append."""
        session = self.state.session
        if session is not self._seen_session:
            self._seen_session, self._announced = session, _announced_format(session)
        return self._announced or current

    def _started(self, started: SpeechStarted) -> Heard:
        item_id = self.state.ids.new("item")
        self.turns.append(DetectedTurn(item_id, started.audio_start_ms))
        note = speech_started_note(len(self.turns), item_id, started.audio_start_ms)
        return Heard(started_steps(started.audio_start_ms, item_id), note)

    def _stopped(self, stopped: SpeechStopped) -> Heard:
        turn = replace(self.turns[-1], audio_end_ms=stopped.audio_end_ms)
        self.turns[-1] = turn
        number = len(self.turns)
        note = speech_stopped_note(number, turn.item_id, turn.audio_end_ms)
        return Heard(stopped_steps(turn), note, turn_event(number, turn))


def _announced_format(session: dict[str, Any] | None) -> AudioFormat | None:
    announced = lookup(session, "audio.input.format")
    if not isinstance(announced, dict | str):
        return None
    try:
        return parse_format(announced)
    except AudioFormatError:
        return None


def started_steps(audio_start_ms: int, item_id: str) -> tuple[Step, ...]:
    event = {
        "type": "input_audio_buffer.speech_started",
        "audio_start_ms": audio_start_ms,
        "item_id": item_id,
    }
    return (EventStep(event),)


def stopped_steps(turn: DetectedTurn) -> tuple[Step, ...]:
    """speech_stopped, committed, and the user's audio item (added, done)."""
    stopped = {
        "type": "input_audio_buffer.speech_stopped",
        "audio_end_ms": turn.audio_end_ms,
        "item_id": turn.item_id,
    }
    return (
        EventStep(stopped),
        TemplateStep("input_audio_buffer.committed", {"item_id": turn.item_id}),
        TemplateStep("item_added_done", {"item": user_audio_item(turn.item_id)}),
    )


def turn_event(number: int, turn: DetectedTurn) -> Event:
    """The `vad.turn` pseudo client event the rules see for a committed turn."""
    return {
        "type": VAD_TURN, "turn": number, "item_id": turn.item_id,
        "audio_start_ms": turn.audio_start_ms, "audio_end_ms": turn.audio_end_ms,
    }  # fmt: skip
