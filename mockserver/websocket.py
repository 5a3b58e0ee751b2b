"""The WebSocket transport of the pump: a session's items as text frames, each one recorded.

Used by the Realtime connection (which translates GA events to beta here) and the Responses
WebSocket mode. Events are encoded once, sent, and recorded as the very text sent.
"""

from __future__ import annotations

import json
import logging
import socket
import struct
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from realtime_conformance.mockserver.pump import Clock, EventCheck, FrameReader
from realtime_conformance.mockserver.recorder import Recording, binary_frame, text_frame
from realtime_conformance.rtproto.server.realtime.outbox import (
    Abort,
    Close,
    Note,
    Outgoing,
    Send,
    SendRaw,
)

log = logging.getLogger(__name__)

LOST = 1006  # the RFC 6455 code for "closed without a close frame"; never sent on the wire
TCP_CORK: int | None = getattr(
    socket, "TCP_CORK", None
)  # Linux only; elsewhere frames go as they are
NO_STATUS = 1005  # RFC 6455: a close frame that carried no status code (aiohttp reports 0)


def received_close_code(code: int | None) -> int | None:
    """A close code as the transcript records it: 1005 for a close frame without one."""
    return NO_STATUS if code == 0 else code


Event = dict[str, Any]
Translate = Callable[[Event], list[Event]]

# What orjson refuses (integers beyond 64 bits, non-string keys) goes through json: one encoder
# kept, since json.dumps with options builds a new one on each call.
_json_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def encode_event(event: Event) -> bytes:
    """An event's compact UTF-8 JSON, as sent: orjson (0.2 µs for a 240-byte event where json
    took 2.6 µs; keys in insertion order, non-ASCII as is, as json with ensure_ascii=False)."""
    try:
        return orjson.dumps(event)
    except (orjson.JSONEncodeError, TypeError):
        return _json_encode(event).encode("utf-8")


_LEN1, _LEN2, _LEN3 = (struct.Struct(f).pack for f in ("!BB", "!BBH", "!BBQ"))


def text_frame_header(size: int) -> bytes:
    """RFC 6455 §5.2: FIN, opcode TEXT, no mask (a server's frames), the payload's length."""
    if size < 126:
        return _LEN1(0x81, size)
    if size < 0x10000:
        return _LEN2(0x81, 126, size)
    return _LEN3(0x81, 127, size)


def _as_json_object(text: str) -> Event | None:
    """A raw frame's JSON object, if it is one (a raw frame is recorded as what it holds)."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class WebSocketTransport:
    """Sends and records; `open` turns false once this side closed, aborted, or saw the end."""

    def __init__(
        self,
        request: web.Request,
        ws: web.WebSocketResponse,
        recording: Recording,
        clock: Clock,
        *,
        check_event: EventCheck | None = None,
        translate: Translate | None = None,
    ) -> None:
        self.request = request
        self.ws = ws
        self.recording = recording
        self.clock = clock
        self.check_event = check_event
        self.translate = translate
        self.reader: FrameReader | None = None  # stopped before a close: close reads the reply
        self.open = True

    async def perform(self, item: Outgoing) -> None:
        if isinstance(item, Note):
            self.recording.meta(self.clock(), item.meta)
        elif not self.open or self.ws.closed:  # e.g. the rest of a response after the client left
            log.debug("dropped %r, due after the connection closed", item)
        elif isinstance(item, Send):
            for event in self.translate(item.event) if self.translate else [item.event]:
                await self.send_event(event)
        elif isinstance(item, SendRaw):
            await self.send_raw(item.data)
        elif isinstance(item, Close):
            await self.close(item.code, item.reason)
        elif isinstance(item, Abort):
            self.abort()

    async def perform_all(self, items: Sequence[Outgoing]) -> None:
        """`perform` each item in order; an event with no check goes the short way (translated
        for beta, encoded, sent, recorded), the rest through `perform`. Several items (all due
        at once: an unpaced reply's batch) go out framed here and written at once (below);
        with compression on, one frame each but corked, so the kernel sends them in full
        segments instead of one per frame, as it does for a sender whose reader is behind."""
        if len(items) > 1 and not self.ws.compress and self.check_event is None:
            await self._perform_batch(items)
            return
        corked = len(items) > 1 and self._cork(True)
        try:
            for item in items:
                if type(item) is not Send or self.check_event or not self.open or self.ws.closed:
                    await self.perform(item)
                    continue
                for event in self.translate(item.event) if self.translate else (item.event,):
                    data = encode_event(event)
                    await self.ws.send_frame(data, WSMsgType.TEXT)
                    self.recording.event(self.clock(), "server", data)
        finally:
            if corked:
                self._cork(False)

    async def _perform_batch(self, items: Sequence[Outgoing]) -> None:
        """The batch's events framed as aiohttp frames them and handed to the transport in one
        write (one system call for the batch, not one per frame: ~3 µs of an unpaced event's
        ~8), each recorded as sent, stamped when written; any other item goes through
        `perform`, after what came before it is written."""
        frames: list[bytes] = []
        sent: list[bytes] = []
        translate, sending = self.translate, self.open and not self.ws.closed
        for item in items:
            if type(item) is not Send or not sending:
                await self._write_frames(frames, sent)
                await self.perform(item)
                sending = self.open and not self.ws.closed  # nothing else changes it in here
                continue
            for event in translate(item.event) if translate else (item.event,):
                data = encode_event(event)
                size = len(data)
                if 126 <= size < 0x10000:  # the usual event: text_frame_header, inlined
                    frames += (_LEN2(0x81, 126, size), data)
                else:
                    frames += (text_frame_header(size), data)
                sent.append(data)
        await self._write_frames(frames, sent)

    async def _write_frames(self, frames: list[bytes], sent: list[bytes]) -> None:
        if not frames:
            return
        transport = self.request.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("Cannot write to closing transport")  # as aiohttp does
        transport.write(b"".join(frames))
        self.recording.events_sent(self.clock(), sent)
        frames.clear()
        sent.clear()
        protocol = self.request.protocol
        if protocol.writing_paused:  # the flow control aiohttp's writer applies
            await protocol._drain_helper()

    def _cork(self, on: bool) -> bool:
        """TCP_CORK on or off (Linux); whether it could be set."""
        transport = self.request.transport
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is None or TCP_CORK is None:
            return False
        try:
            sock.setsockopt(socket.IPPROTO_TCP, TCP_CORK, int(on))
        except OSError:
            return False
        return True

    async def send_event(self, event: Event) -> None:
        if self.check_event is not None:
            self.check_event(event)
        data = encode_event(event)
        await self.ws.send_frame(data, WSMsgType.TEXT)  # sent as encoded: no str round trip
        self.recording.event(self.clock(), "server", data)  # kept as sent, written out on reading

    async def send_raw(self, data: str | bytes) -> None:
        if isinstance(data, bytes):
            await self.ws.send_bytes(data)
            self.recording.frame(self.clock(), "server", binary_frame(data))
            return
        await self.ws.send_str(data)
        if _as_json_object(data) is None:
            self.recording.frame(self.clock(), "server", text_frame(data))
        else:
            self.recording.event(self.clock(), "server", data)

    async def close(
        self, code: int, reason: str = "", note: str | None = None, *, from_pump: bool = True
    ) -> None:
        """Close with a close frame, and record the client's reply when one comes. From the
        pump, its reader stops first so that the close reads the reply; from outside (shutdown)
        aiohttp interrupts the reader and does not wait for a reply."""
        self.open = False
        if from_pump and self.reader is not None:
            await self.reader.stop()
        if self.ws.closed:
            return
        self.recording.close(self.clock(), "server", code, reason, note)
        await self.ws.close(code=code, message=reason.encode("utf-8"))
        reply = self.ws.close_code
        if reply is not None and reply != LOST:
            self.recording.close(self.clock(), "client", reply, note="reply to the server's close")

    def abort(self) -> None:
        """Drop the TCP connection without a close frame."""
        self.open = False
        self.recording.meta(self.clock(), {"kind": "abort", "from": "server"})
        transport = self.request.transport
        if transport is not None:
            transport.abort()
