"""The pump for one accepted connection: frames in, behaviour, frames out, all recorded.

The behaviour never sees a socket or a clock: the pump hands it decoded client events with the
time, sends what `due(now)` returns, and sleeps until the next frame or the behaviour's next
deadline, whichever comes first. Beta connections are translated at this edge, so behaviours are
written once, in GA shapes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import WSMessage, WSMsgType, web
from aiohttp.http_websocket import WebSocketError

from mockserver.options import Dialect
from mockserver.recorder import Recording, binary_frame, text_frame
from mockserver.state import EventCheck
from rtproto.dialects import to_beta, to_ga
from rtproto.events import RealtimeError, decode_client_frame
from rtproto.server.realtime.behaviour import Behaviour
from rtproto.server.realtime.outbox import Abort, Close, Outgoing, Send, SendRaw

log = logging.getLogger(__name__)

Clock = Callable[[], float]
MIN_WAIT_S = 0.001  # a floor on sleeps, so a behaviour whose deadline never passes cannot spin
INTERNAL_ERROR_CODE = 1011
INTERNAL_ERROR_REASON = "internal error in the mock server"
GOING_AWAY_CODE = 1001
PING_PAYLOAD_BYTES = 4
ECHO_CODE = 1000  # aiohttp answers a client's close frame with 1000, whatever its code
LOST = 1006  # the RFC 6455 code for "closed without a close frame"; never sent on the wire


# One encoder for every event: json.dumps with options builds a new encoder on each call.
encode_event = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _as_json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


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
        self.dialect = dialect
        self.recording = recording
        self.check_event = check_event
        self.clock = clock
        self.open = True

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

    async def refuse(self, event: dict[str, Any], code: int, reason: str) -> None:
        """A refused handshake: one event, then the close; no behaviour is ever made."""
        try:
            await self.send_event(event)
            await self.close(code, reason)
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
        while True:
            await self._flush()
            if not self.open:
                return
            message = await self._receive_until_deadline()
            if message is not None:
                await self._on_message(message)

    async def _receive_until_deadline(self) -> WSMessage | None:
        deadline = self.behaviour.next_deadline()
        timeout = None if deadline is None else max(deadline - self.clock(), MIN_WAIT_S)
        try:
            return await self.ws.receive(timeout=timeout)
        except TimeoutError:
            return None

    async def _flush(self) -> None:
        for item in self.behaviour.due(self.clock()):
            if not self.open:  # e.g. the rest of a response when the client has gone
                log.debug("dropped %r, due after the connection closed", item)
                continue
            await self._perform(item)

    async def _perform(self, item: Outgoing) -> None:
        if isinstance(item, Send):
            for event in to_beta(item.event) if self.dialect == "beta" else [item.event]:
                await self.send_event(event)
        elif isinstance(item, SendRaw):
            await self._send_raw(item.data)
        elif isinstance(item, Close):
            await self.close(item.code, item.reason)
        elif isinstance(item, Abort):
            self.abort()

    async def send_event(self, event: dict[str, Any]) -> None:
        if self.check_event is not None:
            self.check_event(event)
        text = encode_event(event)
        await self.ws.send_str(text)
        self.recording.event(self.clock(), "server", event, text)

    async def _send_raw(self, data: str | bytes) -> None:
        if isinstance(data, bytes):
            await self.ws.send_bytes(data)
            self.recording.frame(self.clock(), "server", binary_frame(data))
            return
        await self.ws.send_str(data)
        now = self.clock()
        event = _as_json_object(data)
        if event is None:
            self.recording.frame(now, "server", text_frame(data))
        else:
            self.recording.event(now, "server", event, data)

    async def close(self, code: int, reason: str = "", note: str | None = None) -> None:
        """Close with a close frame, and record the client's reply when one comes."""
        self.open = False
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

    async def _on_message(self, message: WSMessage) -> None:
        now = self.clock()
        if message.type is WSMsgType.TEXT:
            self._on_text(message.data, now)
        elif message.type is WSMsgType.BINARY:
            self.recording.frame(now, "client", binary_frame(message.data))
            self._on_undecodable(message.data, now)
        elif message.type is WSMsgType.CLOSE:
            self.recording.close(now, "client", message.data, message.extra or "")
            self.recording.close(now, "server", ECHO_CODE, note="echo of the client's close")
            self._client_gone(now)
        elif message.type is WSMsgType.ERROR and isinstance(message.data, WebSocketError):
            self.recording.close(now, "server", message.data.code, note=str(message.data))
            self._client_gone(now)
        elif message.type is WSMsgType.CLOSING:
            self.open = False  # closed from elsewhere (shutdown), which recorded it
        else:  # CLOSED, or ERROR from the transport: the client went away without a close
            self._client_lost("connection lost without a close frame")

    def _on_text(self, text: str, now: float) -> None:
        try:
            event = decode_client_frame(text)
        except RealtimeError as error:
            self._record_client_text(text, now)
            self.behaviour.on_frame_error(error, now)
            return
        self.recording.event(now, "client", event, text)
        for ga_event in to_ga(event) if self.dialect == "beta" else [event]:
            self.behaviour.on_client_event(ga_event, now)

    def _record_client_text(self, text: str, now: float) -> None:
        event = _as_json_object(text)
        if event is None:
            self.recording.frame(now, "client", text_frame(text))
        else:
            self.recording.event(now, "client", event, text)

    def _on_undecodable(self, data: bytes, now: float) -> None:
        try:
            decode_client_frame(data)
        except RealtimeError as error:
            self.behaviour.on_frame_error(error, now)

    def _client_gone(self, now: float) -> None:
        self.open = False
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
                await self.close(INTERNAL_ERROR_CODE, INTERNAL_ERROR_REASON)
        self.open = False

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
        await self.close(GOING_AWAY_CODE, "server shutting down")
