"""A tiny builder of synthetic two-sided case recordings, for the tests of the checks.

Time moves only when a test says so (`at`, `wait`); every helper writes the lines a correct
client or server would, and a test then adds the one bug it is about.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from realtime_conformance.conformance.checks.registry import CheckContext, Failure, run_checks
from realtime_conformance.conformance.recording import CaseRecording
from realtime_conformance.rtproto.telephony import twilio

PCM16_BYTES_PER_MS = 48
ULAW_BYTES_PER_MS = 8
FRAME_MS = 20
GA_SESSION = {
    "type": "realtime",
    "audio": {
        "input": {"format": {"type": "audio/pcm", "rate": 24000}},
        "output": {"format": {"type": "audio/pcm", "rate": 24000}},
    },
}


def pcm_audio(ms: float) -> str:
    return base64.b64encode(bytes(int(ms * PCM16_BYTES_PER_MS))).decode()


def ulaw_audio(ms: float, level: int = 0x40) -> str:
    """`ms` of mu-law audio; the default byte is loud, 0xFF is digital silence."""
    return base64.b64encode(bytes([level]) * int(ms * ULAW_BYTES_PER_MS)).decode()


class RecordingBuilder:
    def __init__(self, dialect: str = "ga", handshake: bool = True) -> None:
        self.dialect = dialect
        self.t_ms = 0.0
        self.records: list[dict[str, Any]] = []
        self._ids = 0
        if handshake:
            headers = {"OpenAI-Beta": "realtime=v1"} if dialect == "beta" else {}
            self.meta({"kind": "handshake", "http_status": 101, "request_headers": headers})

    # --- time and raw lines -------------------------------------------------------------------
    def at(self, t_ms: float) -> RecordingBuilder:
        self.t_ms = float(t_ms)
        return self

    def wait(self, ms: float) -> RecordingBuilder:
        self.t_ms += ms
        return self

    def line(self, direction: str, key: str, value: Any, wire: str = "openai") -> RecordingBuilder:
        record: dict[str, Any] = {"t_ms": round(self.t_ms, 1), "dir": direction, key: value}
        if wire != "openai":
            record["wire"] = wire
        self.records.append(record)
        return self

    def meta(self, fields: dict[str, Any]) -> RecordingBuilder:
        self.line("meta", "meta", fields)
        return self

    def server(self, event_type: str, **fields: Any) -> RecordingBuilder:
        self.line(
            "server", "event", {"type": event_type, "event_id": self.new_id("event"), **fields}
        )
        return self

    def client(self, event_type: str, **fields: Any) -> RecordingBuilder:
        event = {"type": event_type, "event_id": self.new_id("evt"), **fields}
        self.line("client", "event", event)
        return self

    def client_frame(self, frame: dict[str, Any]) -> RecordingBuilder:
        self.line("client", "frame", frame)
        return self

    def new_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}_{self._ids}"

    # --- the driver ---------------------------------------------------------------------------
    def step(self, action: str, error: str | None = None, **args: Any) -> RecordingBuilder:
        fields = {"kind": "step", "action": action, "args": args, "error": error}
        self.line("meta", "meta", fields, wire="driver")
        return self

    def report(self, name: str, **data: Any) -> RecordingBuilder:
        self.line("meta", "meta", {"kind": "report", "name": name, "data": data}, wire="driver")
        return self

    def close(self, side: str, code: int | None, reason: str = "") -> RecordingBuilder:
        return self.meta({"kind": "close", "from": side, "code": code, "reason": reason})

    # --- the OpenAI side ----------------------------------------------------------------------
    def session(self, session: dict[str, Any] | None = None) -> RecordingBuilder:
        """session.created, then the client's session.update and the server's session.updated."""
        body = session or GA_SESSION
        self.server("session.created", session={"id": "sess_1", **body})
        self.wait(5).client("session.update", session=body)
        return self.wait(5).server("session.updated", session={"id": "sess_1", **body})

    def item_added(self, response_id: str, item: dict[str, Any]) -> RecordingBuilder:
        return self.server(
            "response.output_item.added", response_id=response_id, output_index=0, item=item
        )

    def response_created(self, response_id: str) -> RecordingBuilder:
        body = {"id": response_id, "object": "realtime.response", "status": "in_progress"}
        return self.server("response.created", response={**body, "output": []})

    def response_done(self, response_id: str, status: str = "completed") -> RecordingBuilder:
        body = {"id": response_id, "object": "realtime.response", "status": status}
        return self.server("response.done", response={**body, "output": []})

    def audio_item(
        self, response_id: str, item_id: str, ms: float, chunk_ms: float = 100, every_ms: float = 0
    ) -> RecordingBuilder:
        """One assistant audio item: added, audio deltas of `chunk_ms` every `every_ms`, done."""
        ids = {"response_id": response_id, "item_id": item_id, "output_index": 0}
        item = {"id": item_id, "type": "message", "role": "assistant", "status": "in_progress"}
        self.server(
            "response.output_item.added", response_id=response_id, output_index=0, item=item
        )
        self.server("conversation.item.added", item=item)
        self.server("response.content_part.added", **ids, content_index=0, part={"type": "audio"})
        sent = 0.0
        while sent < ms:
            chunk = min(chunk_ms, ms - sent)
            self.server(
                "response.output_audio.delta", **ids, content_index=0, delta=pcm_audio(chunk)
            )
            sent += chunk
            self.wait(every_ms)
        self.server("response.output_audio.done", **ids, content_index=0)
        self.server("response.content_part.done", **ids, content_index=0, part={"type": "audio"})
        done = {**item, "status": "completed"}
        return self.server("response.output_item.done", response_id=response_id, item=done)

    def audio_response(
        self, response_id: str, item_id: str, ms: float, every_ms: float = 0
    ) -> RecordingBuilder:
        self.response_created(response_id)
        self.audio_item(response_id, item_id, ms, every_ms=every_ms)
        return self.response_done(response_id)

    def text_response(self, response_id: str, item_id: str, text: str = "Hi") -> RecordingBuilder:
        ids = {"response_id": response_id, "item_id": item_id, "output_index": 0}
        item = {"id": item_id, "type": "message", "role": "assistant", "status": "in_progress"}
        self.response_created(response_id)
        self.server(
            "response.output_item.added", response_id=response_id, output_index=0, item=item
        )
        self.server("response.content_part.added", **ids, content_index=0, part={"type": "text"})
        self.server("response.output_text.delta", **ids, content_index=0, delta=text)
        self.server("response.output_text.done", **ids, content_index=0, text=text)
        self.server("response.content_part.done", **ids, content_index=0, part={"type": "text"})
        self.server("response.output_item.done", response_id=response_id, item=item)
        return self.response_done(response_id)

    def call_response(self, response_id: str, item_id: str, call_id: str) -> RecordingBuilder:
        item = {"id": item_id, "type": "function_call", "call_id": call_id, "name": "lookup"}
        ids = {"response_id": response_id, "item_id": item_id, "output_index": 0}
        self.response_created(response_id)
        self.server(
            "response.output_item.added", response_id=response_id, output_index=0, item=item
        )
        self.server("response.function_call_arguments.delta", **ids, call_id=call_id, delta="{}")
        self.server("response.function_call_arguments.done", **ids, call_id=call_id, arguments="{}")
        self.server("response.output_item.done", response_id=response_id, item=item)
        return self.response_done(response_id)

    def user_text(self, text: str = "Hello") -> RecordingBuilder:
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
        return self.client("conversation.item.create", item=item)

    def tool_output(self, call_id: str, output: str = "42") -> RecordingBuilder:
        item = {"type": "function_call_output", "call_id": call_id, "output": output}
        return self.client("conversation.item.create", item=item)

    def append(self, ms: float, bytes_per_ms: int = PCM16_BYTES_PER_MS) -> RecordingBuilder:
        audio = base64.b64encode(bytes(int(ms * bytes_per_ms))).decode()
        return self.client("input_audio_buffer.append", audio=audio)

    # --- the call side ------------------------------------------------------------------------
    def call_in(self, event: dict[str, Any]) -> RecordingBuilder:
        """A message the virtual call sent the client."""
        self.line("server", "event", event, wire="call")
        return self

    def call_out(self, event: dict[str, Any]) -> RecordingBuilder:
        """A message the client sent into the call."""
        self.line("client", "event", event, wire="call")
        return self

    def call_start(self) -> RecordingBuilder:
        self.call_in({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        start = {"streamSid": "MZ1", "callSid": "CA1", "tracks": ["inbound"]}
        return self.call_in({"event": "start", "streamSid": "MZ1", "start": start})

    def caller_media(self, ms: float, level: int = 0x40) -> RecordingBuilder:
        """`ms` of the caller's audio from the call, 20 ms frames in real time."""
        for _ in range(int(ms // FRAME_MS)):
            media = {"track": twilio.INBOUND_TRACK, "payload": ulaw_audio(FRAME_MS, level)}
            self.call_in({"event": "media", "streamSid": "MZ1", "media": media})
            self.wait(FRAME_MS)
        return self

    def play(self, ms: float, every_ms: float = FRAME_MS, level: int = 0x40) -> RecordingBuilder:
        """The client sends `ms` of audio into the call in 20 ms frames, one every `every_ms`."""
        for _ in range(int(ms // FRAME_MS)):
            self.call_out(
                {
                    "event": "media",
                    "streamSid": "MZ1",
                    "media": {"payload": ulaw_audio(FRAME_MS, level)},
                }
            )
            self.wait(every_ms)
        return self

    def clear(self) -> RecordingBuilder:
        return self.call_out({"event": "clear", "streamSid": "MZ1"})

    def mark(self, name: str) -> RecordingBuilder:
        return self.call_out({"event": "mark", "streamSid": "MZ1", "mark": {"name": name}})

    def build(self) -> CaseRecording:
        """The recording in time order (stable: lines written at one time keep their order),
        as a live recording is; a test may write one wire, then go back and write another."""
        return CaseRecording.from_dicts(sorted(self.records, key=lambda r: float(r["t_ms"])))


def judge(
    recording: CaseRecording | RecordingBuilder,
    names: Iterable[str],
    *,
    dialect: str = "ga",
    tolerances: dict[str, float] | None = None,
    expect: dict[str, Any] | None = None,
) -> list[Failure]:
    """The failures of the named checks on one recording, as the runner would get them."""
    if isinstance(recording, RecordingBuilder):
        recording = recording.build()
    ctx = CheckContext(
        "9.9.9",
        "synthetic case",
        recording,
        dialect=dialect,
        tolerances=tolerances or {},
        expect=expect or {},
    )
    return run_checks(ctx, list(names))
