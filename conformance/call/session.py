"""One call over one media WebSocket: the caller speaks in real time, the carrier plays back.

The caller's audio goes out in 20 ms frames, frame k when its last sample has been spoken
(origin + (k + 1) * 20 ms, absolute deadlines), then silence until hang-up, as a live line
sends. What the client sends is fed to the carrier's playout model (`playout`), which says
when to echo each mark; `clear` echoes pending marks at once. Malformed client messages are
recorded (a `call_error` meta line) and ignored, as carriers ignore them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType
from aiohttp.client_ws import ClientWebSocketResponse
from aiohttp.web_ws import WebSocketResponse

from realtime_conformance.conformance.call.playout import CarrierPlayout, EchoedMark, apply
from realtime_conformance.conformance.call.recorder import CallRecorder
from realtime_conformance.conformance.call.wire import CallWire, FromClient, event_or_none
from realtime_conformance.rtproto.telephony import FRAME_MS, silence

Socket = WebSocketResponse | ClientWebSocketResponse


@dataclass(frozen=True)
class CallPlan:
    """What the caller does on the line."""

    caller: bytes  # the caller's audio in the wire's format
    custom_parameters: Mapping[str, str]
    trailing_silence: bool  # keep sending silence after the script, as a live line does


class CallSession:
    def __init__(
        self, socket: Socket, wire: CallWire, recorder: CallRecorder, plan: CallPlan
    ) -> None:
        self.socket, self.wire, self.recorder = socket, wire, recorder
        self.caller, self.custom_parameters = plan.caller, plan.custom_parameters
        self.trailing_silence = plan.trailing_silence
        self.model = CarrierPlayout()
        self.received_audio: list[bytes] = []  # the client's frames, as the model numbers them
        self.caller_done = asyncio.Event()
        self._marks_changed = asyncio.Event()
        self._send_lock = asyncio.Lock()

    async def run(self) -> None:
        """Open the stream, then speak, listen and echo marks until either side hangs up."""
        for message in self.wire.opening(self.custom_parameters):
            await self._send(message)
        speaking = asyncio.create_task(self._speak())
        echoing = asyncio.create_task(self._echo_marks())
        try:
            await self._listen()
        finally:
            for task in (speaking, echoing):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(speaking, echoing)
            self.caller_done.set()

    async def hang_up(self) -> None:
        if not self.socket.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self._send(self.wire.stop())
                await self.socket.close()

    async def _send(self, message: dict[str, Any] | bytes) -> None:
        async with self._send_lock:
            if self.socket.closed:
                return
            if isinstance(message, bytes):
                await self.socket.send_bytes(message)
                self.recorder.frame("server", message)
            else:
                await self.socket.send_json(message)
                self.recorder.event("server", message)

    def _frames(self) -> tuple[list[bytes], bytes]:
        """The caller's frames (the last padded with silence) and a frame of silence."""
        fmt = self.wire.audio_format
        size = fmt.bytes_for_ms(FRAME_MS)
        padded = self.caller + silence(fmt, -len(self.caller) % size)
        return [padded[i : i + size] for i in range(0, len(padded), size)], silence(fmt, size)

    async def _speak(self) -> None:
        frames, silence = self._frames()
        loop = asyncio.get_running_loop()
        origin, index = loop.time(), 0
        self.recorder.meta({"kind": "caller_audio", "origin_ms": self.recorder.now_ms(),
                            "frame_ms": FRAME_MS, "script_frames": len(frames)})  # fmt: skip
        while index < len(frames) or self.trailing_silence:
            await asyncio.sleep(max(0.0, origin + (index + 1) * FRAME_MS / 1000 - loop.time()))
            audio = frames[index] if index < len(frames) else silence
            await self._send(self.wire.caller_frame(audio, index * FRAME_MS))
            index += 1
            if index == len(frames):
                self.caller_done.set()
        self.caller_done.set()

    async def _listen(self) -> None:
        async for message in self.socket:
            if message.type == WSMsgType.TEXT:
                await self._on_text(message.data)
            elif message.type == WSMsgType.BINARY:
                await self._on_binary(message.data)
            elif message.type == WSMsgType.ERROR:
                self.recorder.meta({"kind": "call_error", "error": str(self.socket.exception())})
        self.recorder.meta({"kind": "call_closed", "close_code": self.socket.close_code})

    async def _on_text(self, text: str) -> None:
        event = event_or_none(text)
        t_ms = (
            self.recorder.event("client", event) if event is not None
            else self.recorder.frame("client", text)
        )  # fmt: skip
        try:
            understood = self.wire.read_text(text)
        except ValueError as error:
            self.recorder.meta({"kind": "call_error", "error": str(error)})
            return
        await self._apply(t_ms, understood)

    async def _on_binary(self, data: bytes) -> None:
        t_ms = self.recorder.frame("client", data)
        try:
            understood = self.wire.read_binary(data)
        except ValueError as error:
            self.recorder.meta({"kind": "call_error", "error": str(error)})
            return
        await self._apply(t_ms, understood)

    async def _apply(self, t_ms: float, message: FromClient) -> None:
        if message.kind == "clear":
            await self._echo(self.model.clear(t_ms))
            return
        apply(self.model, t_ms, message, self.wire.audio_format)
        if message.kind == "media":
            self.received_audio.append(message.audio)
        if message.kind == "mark":
            self._marks_changed.set()

    async def _echo(self, marks: list[EchoedMark]) -> None:
        for mark in marks:
            await self._send(self.wire.mark_echo(mark.name))

    async def _echo_marks(self) -> None:
        """Echo each mark when the model says its audio has played."""
        while True:
            self._marks_changed.clear()
            due_ms = self.model.next_echo_ms()
            timeout = None
            if due_ms is not None:
                timeout = max(0.0, self.recorder.at(due_ms) - self.recorder.clock())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._marks_changed.wait(), timeout)
            await self._echo(self.model.due_marks(self.recorder.now_ms()))
