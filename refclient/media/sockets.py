"""Media units over a WebSocket: Twilio Media Streams and the raw PCM16 socket.

Each works in both roles: dial the call's media URL (`TwilioUnit(url)`: the harness's virtual
call accepts), or accept the call's connection on `url` after `listen()` (`TwilioUnit()`: as a
real bridge is dialled by Twilio). `open()` returns once the stream's `start` has arrived (its
custom parameters and, for Twilio, the stream sid that tags the unit). Malformed messages from
the far end are logged and skipped (kept in `errors`); the call goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import ClientSession, ClientWebSocketResponse, WSMsgType, web

from realtime_conformance.rtproto.audio.formats import AudioFormat
from realtime_conformance.rtproto.telephony import pcm16, twilio

log = logging.getLogger(__name__)
Socket = web.WebSocketResponse | ClientWebSocketResponse
DEFAULT_PATH = "/media-stream"


class SocketUnit:
    """The machinery both formats share: connect, read, hand out caller frames, close."""

    audio_format: AudioFormat

    def __init__(
        self, url: str | None = None, *, host: str = "127.0.0.1", port: int = 0,
        path: str = DEFAULT_PATH, open_timeout_s: float = 10.0,
    ) -> None:  # fmt: skip
        """`url`: dial it; None: accept one connection on host:port/path (`listen()`)."""
        self.url = url or ""
        self._dial = url is not None
        self._host, self._port, self._path = host, port, path
        self.open_timeout_s = open_timeout_s
        self.tag = ""
        self.custom_parameters: dict[str, str] = {}
        self.errors: list[str] = []
        self._socket: Socket | None = None
        self._http: ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._connected: asyncio.Future[Socket] | None = None
        self._started = asyncio.Event()
        self._caller: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._mark_handlers: list[Callable[[str], None]] = []
        self._reader: asyncio.Task[None] | None = None
        self._done = asyncio.Event()

    async def listen(self) -> str:
        """Accept role: serve host:port/path and return its ws:// URL (port 0 picks one)."""
        if self._runner is None:
            self._connected = asyncio.get_running_loop().create_future()
            app = web.Application()
            app.router.add_get(self._path, self._accept)
            self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await self._runner.setup()
            await web.TCPSite(self._runner, self._host, self._port).start()
            port = self._runner.addresses[0][1]
            self.url = f"ws://{self._host}:{port}{self._path}"
        return self.url

    async def _accept(self, request: web.Request) -> web.StreamResponse:
        assert self._connected is not None
        if self._connected.done():
            raise web.HTTPConflict(text="this unit already has its call")
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._connected.set_result(socket)
        await self._done.wait()
        return socket

    async def open(self) -> None:
        if self._socket is None:
            self._socket = await asyncio.wait_for(self._connect(), self.open_timeout_s)
            self._reader = asyncio.create_task(self._read(self._socket))
        await asyncio.wait_for(self._started.wait(), self.open_timeout_s)

    async def _connect(self) -> Socket:
        if self._dial:
            self._http = ClientSession()
            return await self._http.ws_connect(self.url)
        await self.listen()
        assert self._connected is not None
        return await self._connected

    async def _read(self, socket: Socket) -> None:
        try:
            async for message in socket:
                try:
                    if message.type == WSMsgType.TEXT:
                        self._on_text(message.data)
                    elif message.type == WSMsgType.BINARY:
                        self._on_binary(message.data)
                except ValueError as error:
                    self.errors.append(str(error))
                    log.warning("media unit %s: %s", self.tag or self.url, error)
        finally:
            self._caller.put_nowait(None)
            self._started.set()  # nobody waits for a start that will never come

    def _on_text(self, text: str) -> None:
        raise NotImplementedError

    def _on_binary(self, data: bytes) -> None:
        raise NotImplementedError

    async def send_frame(self, frame: bytes) -> None:
        raise NotImplementedError

    async def send_mark(self, name: str) -> None:
        raise NotImplementedError

    async def clear(self) -> None:
        raise NotImplementedError

    def _echoed(self, name: str) -> None:
        for handler in list(self._mark_handlers):
            handler(name)

    def on_mark(self, handler: Callable[[str], None]) -> None:
        self._mark_handlers.append(handler)

    async def caller_frames(self) -> AsyncIterator[bytes]:
        while (frame := await self._caller.get()) is not None:
            yield frame

    async def _send(self, message: dict[str, Any] | bytes) -> None:
        socket = self._socket
        if socket is None or socket.closed:
            raise ConnectionError(f"media unit {self.tag or self.url} is not connected")
        if isinstance(message, bytes):
            await socket.send_bytes(message)
        else:
            await socket.send_str(json.dumps(message, separators=(",", ":")))

    async def close(self) -> None:
        self._done.set()
        if self._socket is not None and not self._socket.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self._socket.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()


class TwilioUnit(SocketUnit):
    """A Twilio Media Streams call: mu-law 8 kHz JSON media, marks, clear."""

    audio_format = twilio.AUDIO_FORMAT

    def _on_text(self, text: str) -> None:
        message = twilio.parse_call_message(text)
        if isinstance(message, twilio.Start):
            self.tag, self.custom_parameters = message.stream_sid, dict(message.custom_parameters)
            self._started.set()
        elif isinstance(message, twilio.Media):
            self._caller.put_nowait(message.payload)
        elif isinstance(message, twilio.Mark):
            self._echoed(message.name)

    def _on_binary(self, data: bytes) -> None:
        raise twilio.TwilioMessageError("Media Streams sends text frames, got a binary frame")

    async def send_frame(self, frame: bytes) -> None:
        await self._send(twilio.bridge_media(self.tag, frame))

    async def send_mark(self, name: str) -> None:
        await self._send(twilio.bridge_mark(self.tag, name))

    async def clear(self) -> None:
        await self._send(twilio.bridge_clear(self.tag))


class Pcm16SocketUnit(SocketUnit):
    """The raw PCM16 socket: binary 20 ms PCM16 24 kHz frames, JSON start/mark/clear/stop."""

    audio_format = pcm16.AUDIO_FORMAT

    def _on_text(self, text: str) -> None:
        control = pcm16.parse_control(text, pcm16.CALL_EVENTS)
        if control.event == "start":
            self.tag = self.tag or "pcm16"
            self.custom_parameters = dict(control.custom_parameters)
            self._started.set()
        elif control.event == "mark" and control.name is not None:
            self._echoed(control.name)

    def _on_binary(self, data: bytes) -> None:
        pcm16.check_audio(data)
        self._caller.put_nowait(data)

    async def send_frame(self, frame: bytes) -> None:
        await self._send(frame)

    async def send_mark(self, name: str) -> None:
        await self._send(pcm16.mark(name))

    async def clear(self) -> None:
        await self._send(pcm16.clear())
