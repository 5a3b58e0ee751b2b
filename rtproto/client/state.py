"""What the client knows of its connection: the session, the conversation, the active
response, the audio received per item, and the function calls pending and answered.

Plain data, updated by `ClientProtocol`; nothing here decides what to send.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.rtproto.audio.formats import (
    PCM16,
    AudioFormat,
    AudioFormatError,
    parse_format,
)

# The server's defaults for a realtime session's turn detection (one home: the server's config).
from realtime_conformance.rtproto.server.realtime.session_config import RESPONSE_FLAGS

Event = dict[str, Any]


@dataclass
class SessionView:
    """The session as the server last described it (`session.created` / `session.updated`),
    overlaid with the updates sent and not yet answered: the server applies a `session.update`
    before any later event, so audio appended after it is already in the format it asks for."""

    config: dict[str, Any] | None = None
    configured: bool = False  # a `session.updated` has confirmed an update
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)  # event_id -> session

    def apply(self, event_type: str, session: Any) -> None:
        if isinstance(session, dict):
            self.config = session
        if event_type == "session.updated":
            self.configured = True
            if self.pending:  # answers the oldest update (the server keeps their order)
                del self.pending[next(iter(self.pending))]

    def requested(self, event_id: str, session: Any) -> None:
        if isinstance(session, dict):
            self.pending[event_id] = session

    def refused(self, event_id: Any) -> None:
        self.pending.pop(event_id, None)

    def _audio(self, direction: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for session in [self.config or {}, *self.pending.values()]:
            audio = session.get("audio")
            part = audio.get(direction) if isinstance(audio, dict) else None
            merged.update(part if isinstance(part, dict) else {})
        return merged

    def audio_format(self, direction: str) -> AudioFormat:
        """The session's input or output audio format (PCM16 when unknown or unparsable)."""
        try:
            return parse_format(self._audio(direction).get("format"))
        except (AudioFormatError, AttributeError):
            return PCM16

    def server_interrupts(self) -> bool:
        """True when the server cancels the active response itself on speech_started
        (server VAD with `interrupt_response`, on by default)."""
        audio_input = self._audio("input")
        if "turn_detection" not in audio_input:
            return RESPONSE_FLAGS["interrupt_response"]
        detection = audio_input["turn_detection"]
        if not isinstance(detection, dict):
            return False
        return bool(detection.get("interrupt_response", RESPONSE_FLAGS["interrupt_response"]))


@dataclass
class FunctionCall:
    call_id: str
    name: str
    arguments: str = ""
    done: bool = False  # the arguments are complete


@dataclass
class ActiveResponse:
    """The one response that writes to the default conversation."""

    id: str | None = None  # None until `response.created` names it
    request_event_id: str | None = None  # our `response.create`, when we asked for it
    calls: dict[str, FunctionCall] = field(default_factory=dict)


@dataclass
class AudioLedger:
    """Model audio received per (item, content index), in ms of the output format."""

    received: dict[tuple[str, int], float] = field(default_factory=dict)

    def add(self, item_id: str, content_index: int, byte_count: int, fmt: AudioFormat) -> None:
        key = (item_id, content_index)
        self.received[key] = self.received.get(key, 0.0) + byte_count / fmt.bytes_per_ms

    def received_ms(self, item_id: str, content_index: int) -> int:
        """Whole milliseconds received: the most any truncate may claim was heard."""
        return int(self.received.get((item_id, content_index), 0.0))


@dataclass
class ClientState:
    session: SessionView = field(default_factory=SessionView)
    items: OrderedDict[str, Event] = field(default_factory=OrderedDict)
    response: ActiveResponse | None = None
    out_of_band_requests: set[str] = field(default_factory=set)  # their event ids, until created
    out_of_band: set[str] = field(default_factory=set)  # their response ids, until done
    queued_creates: deque[Event] = field(default_factory=deque)
    audio: AudioLedger = field(default_factory=AudioLedger)
    playing: set[tuple[str, int]] = field(default_factory=set)  # handed to playout, not stopped
    stopped: set[str] = field(default_factory=set)  # items whose playout was stopped
    audio_done: set[tuple[str, int]] = field(default_factory=set)  # output_audio.done seen
    pending_calls: dict[str, FunctionCall] = field(default_factory=dict)
    answered_calls: set[str] = field(default_factory=set)
