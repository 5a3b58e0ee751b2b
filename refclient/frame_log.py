"""What the client keeps of every frame, both ways: the trace (JSONL transcript), the
statistics, and the debug log (redacted with `privacy`)."""

from __future__ import annotations

import logging
import time
from typing import Any

from realtime_conformance.refclient.outgoing import base64_size
from realtime_conformance.refclient.privacy import redact
from realtime_conformance.refclient.statistics import Statistics
from realtime_conformance.refclient.trace import TraceWriter
from realtime_conformance.rtproto.client.state import SessionView

log = logging.getLogger("refclient")
AUDIO_FIELDS = {  # event type -> the field carrying base64 audio, and its direction
    "response.output_audio.delta": ("delta", "output"),
    "input_audio_buffer.append": ("audio", "input"),
}


class FrameLog:
    def __init__(self, trace: TraceWriter | None, stats: Statistics | None, privacy: bool) -> None:
        self.trace = trace
        self.stats = stats
        self.privacy = privacy

    def received_text(self, text: str, event: Any) -> None:
        if self.trace:
            self.trace.text("server", text, event)
        if self.stats:
            self.stats.frame("server", len(text.encode()))

    def received_event(self, event: dict[str, Any], now: float, session: SessionView) -> None:
        """One GA event of a received frame (what a beta frame says, translated)."""
        if self.stats:
            self.stats.server_event(event, now)
            self.stats.audio("server", audio_ms(event, session))

    def received_binary(self, size: int) -> None:
        if self.trace:
            self.trace.binary("server", size)
        if self.stats:
            self.stats.frame("server", size)

    def sent(self, event: dict[str, Any], text: str, session: SessionView) -> None:
        if self.trace:
            self.trace.text("client", text, event)
        if self.stats:
            self.stats.frame("client", len(text.encode()))
            self.stats.audio("client", audio_ms(event, session))
            self.stats.client_event(event, time.monotonic())
        if log.isEnabledFor(logging.DEBUG):
            log.debug("sent %s", redact(event) if self.privacy else event)


def audio_ms(event: Any, session: SessionView) -> float:
    """Milliseconds of audio an append or a (GA) audio delta carries."""
    if not isinstance(event, dict):
        return 0.0
    field, direction = AUDIO_FIELDS.get(str(event.get("type")), ("", ""))
    payload = event.get(field) if field else None
    if not isinstance(payload, str):
        return 0.0
    return base64_size(payload) / session.audio_format(direction).bytes_per_ms
