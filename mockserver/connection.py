"""One Realtime connection: its behaviour pumped (mockserver.pump) over a WebSocket.

The behaviour never sees a socket or a clock: the pump hands it decoded client events with the
time, sends what `due(now)` returns, and waits until the next frame or the behaviour's next
deadline. Beta connections are translated at this edge, so behaviours are written once, in GA
shapes. A client frame is decoded once (`rtproto.events.read_client_text`) and recorded as the
text received.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import WSMessage, WSMsgType, web
from aiohttp.http_websocket import WebSocketError

from realtime_conformance.mockserver.options import Dialect
from realtime_conformance.mockserver.pump import Clock, EventCheck, FrameReader, Wakeup, run_pump
from realtime_conformance.mockserver.recorder import Recording, binary_frame, text_frame
from realtime_conformance.mockserver.websocket import LOST, WebSocketTransport, received_close_code
from realtime_conformance.rtproto.dialects import to_beta, to_ga
from realtime_conformance.rtproto.events import binary_frame_error, read_client_text
from realtime_conformance.rtproto.server.realtime.behaviour import Behaviour

log = logging.getLogger(__name__)

INTERNAL_ERROR_CODE = 1011
INTERNAL_ERROR_REASON = "internal error in the mock server"
GOING_AWAY_CODE = 1001
PING_PAYLOAD_BYTES = 4
ECHO_CODE = 1000  # aiohttp answers a client's close frame with 1000, whatever its code
LAST_CLIENT_MESSAGES = (WSMsgType.CLOSE, WSMsgType.ERROR)


class ConnectionPump:
    """Runs one connection until either side closes it."""

    def __init__(
        self,
        request: web.Request,
        ws: web.WebSocketResponse,
        make_behaviour: Callable[[], Behaviour],
        dialect: Dialect,
        recording: Recording,
        *,
        check_event: EventCheck | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.request = request
        self.ws = ws
        self._make_behaviour = make_behaviour
        self._behaviour: Behaviour | None = None
        self._reader: FrameReader | None = None
        self.dialect = dialect
        self.recording = recording
        self.clock = clock
        translate = to_beta if dialect == "beta" else None
        self.transport = WebSocketTransport(
            request, ws, recording, clock, check_event=check_event, translate=translate
        )

    async def run(self, ping_interval_s: float | None) -> None:
        """Pump until closed; a failure here closes this connection only, with 1011."""
        pinger = asyncio.create_task(self._ping_forever(ping_interval_s))
        try:
            try:
                await self._pump()
            except ConnectionResetError:
                self._client_lost("the connection broke while sending")
        except Exception as error:
            log.exception("connection %s failed", self.recording.connection_id)
            await self._fail(error)
        finally:
            pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pinger
            if self._reader is not None:
                await self._reader.stop()

    async def refuse(self, event: dict[str, Any], code: int, reason: str) -> None:
        """A refused handshake: one event, then the close; no behaviour is ever made."""
        try:
            await self.transport.send_event(event)
            await self.transport.close(code, reason)
        except ConnectionResetError:
            self._client_lost("the connection broke while it was being refused")

    @property
    def behaviour(self) -> Behaviour:
        if self._behaviour is None:
            raise RuntimeError("the behaviour is made when the pump starts")
        return self._behaviour

    async def _pump(self) -> None:
        self._behaviour = self._make_behaviour()  # inside the guard: a failing factory is a 1011
        self.behaviour.start(self.clock())
        wakeup = Wakeup()
        self._reader = self.transport.reader = FrameReader(self.ws, wakeup)
        await run_pump(
            self.behaviour,
            self.transport,
            clock=self.clock,
            reader=self._reader,
            on_message=self._on_message,
            wakeup=wakeup,
        )
        self._take_the_clients_close(self._reader)

    def _take_the_clients_close(self, reader: FrameReader) -> None:
        """The client's close, when it crossed ours (read, not yet taken): record it. Data
        frames left over are dropped, as a close drops what arrives after it."""
        while (message := reader.pop()) is not None:
            if message.type in LAST_CLIENT_MESSAGES:
                self._on_message(message, self.clock())

    def _on_message(self, message: WSMessage, now: float) -> None:
        if message.type is WSMsgType.TEXT:
            self._on_text(message.data, now)
        elif message.type is WSMsgType.BINARY:
            self.recording.frame(now, "client", binary_frame(message.data))
            self.behaviour.on_frame_error(binary_frame_error(), now)
        elif message.type is WSMsgType.CLOSE:
            code = received_close_code(message.data)
            self.recording.close(now, "client", code, message.extra or "")
            self.recording.close(now, "server", ECHO_CODE, note="echo of the client's close")
            self._client_gone(now)
        elif message.type is WSMsgType.ERROR and isinstance(message.data, WebSocketError):
            self.recording.close(now, "server", message.data.code, note=str(message.data))
            self._client_gone(now)
        elif message.type is WSMsgType.CLOSING:
            self.transport.open = False  # closed from elsewhere (shutdown), which recorded it
        else:  # CLOSED, or ERROR from the transport: the client went away without a close
            self._client_lost("connection lost without a close frame")

    def _on_text(self, text: str, now: float) -> None:
        frame = read_client_text(text)  # the one decode
        if frame.value is None:
            self.recording.frame(now, "client", text_frame(text))
        else:
            self.recording.event(now, "client", frame.text)
        if frame.error is not None:
            self.behaviour.on_frame_error(frame.error, now)
            return
        event = frame.event()
        for ga_event in to_ga(event) if self.dialect == "beta" else [event]:
            self.behaviour.on_client_event(ga_event, now)

    def _client_gone(self, now: float) -> None:
        self.transport.open = False
        if self._behaviour is not None:
            self._behaviour.on_client_closed(now)

    def _client_lost(self, note: str) -> None:
        now = self.clock()
        self.recording.close(now, "client", LOST, note=note)
        self._client_gone(now)

    async def _fail(self, error: Exception) -> None:
        problem = f"{type(error).__name__}: {error}"
        self.recording.meta(self.clock(), {"kind": "internal_error", "error": problem})
        if not self.ws.closed:
            with contextlib.suppress(Exception):
                await self.transport.close(INTERNAL_ERROR_CODE, INTERNAL_ERROR_REASON)
        self.transport.open = False

    async def _ping_forever(self, interval_s: float | None) -> None:
        """Server PINGs with a 4-byte payload, as the real API sends while idle."""
        if not interval_s:
            return
        count = 0
        while True:
            await asyncio.sleep(interval_s)
            if self.ws.closed:
                return
            count += 1
            try:
                await self.ws.ping(count.to_bytes(PING_PAYLOAD_BYTES, "big"))
            except (ConnectionResetError, RuntimeError):
                return
            ping = {"kind": "ping", "from": "server", "payload_bytes": PING_PAYLOAD_BYTES}
            self.recording.meta(self.clock(), ping)

    async def shut_down(self) -> None:
        """Close for a server shutdown (1001), from outside the pump."""
        await self.transport.close(GOING_AWAY_CODE, "server shutting down", from_pump=False)
