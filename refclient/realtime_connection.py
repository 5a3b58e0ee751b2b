"""The reference Realtime client's pump: one WebSocket at a time around a ClientProtocol.

Frames in are traced and counted, decoded (a malformed frame is reported as
`WebSocketError` and skipped: never a hang, never a lost frame after it), translated to GA for
a beta connection, handed to the protocol, and the intents carried out before listeners hear
of the event (barge-in latency comes first). Frames out are checked, translated, written under
one lock, so the protocol's order is the wire's order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp

from realtime_conformance.refclient import outgoing
from realtime_conformance.refclient.endpoint import handshake_headers, realtime_url
from realtime_conformance.refclient.events import RealtimeAPIEvents
from realtime_conformance.refclient.frame_log import FrameLog
from realtime_conformance.refclient.listeners import EventListeners
from realtime_conformance.refclient.privacy import redacted
from realtime_conformance.refclient.realtime_options import ClientClosedError, RealtimeOptions
from realtime_conformance.refclient.reconnect import EXPIRED_CODE, reconnect
from realtime_conformance.refclient.statistics import Statistics
from realtime_conformance.refclient.trace import TraceWriter, trace_file
from realtime_conformance.rtproto.client import (
    ClientProtocol,
    Intent,
    Notice,
    PlayAudio,
    SendEvent,
    StopPlayout,
)
from realtime_conformance.rtproto.client.shapes import known_server_types
from realtime_conformance.rtproto.dialects import to_ga

log = logging.getLogger("refclient")
COMPACT = (",", ":")
CLOSE_TIMEOUT_S = 5.0
CLIENT_CLOSE_CODE = 1000
CONSTANTS = frozenset(constant.value for constant in RealtimeAPIEvents)


class RealtimeConnection:
    """Connection, reading, writing and reconnecting; RealtimeAPIClient adds the methods."""

    def __init__(self, options: RealtimeOptions, protocol: ClientProtocol, client_id: str) -> None:
        if options.dialect not in ("ga", "beta"):
            raise ValueError(f"dialect must be 'ga' or 'beta', not {options.dialect!r}")
        self.options = options
        self.client_id = client_id
        self.dialect = options.dialect
        self.protocol = protocol
        self.url = realtime_url(options.base_url, options.model)
        self.listeners = EventListeners(self._handler_failed)
        self.stats = Statistics() if options.statistics else None
        self.trace: TraceWriter | None = None
        self.frames = FrameLog(None, self.stats, options.privacy)
        self.connection_id: str | None = None
        self.closed = False
        self._closing = False
        self._expired = False
        self.last_session_update: dict[str, Any] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._send_lock = asyncio.Lock()
        self.ended = asyncio.Event()  # set when the client is closed for good

    # -- opening ------------------------------------------------------------------------------

    @property
    def trace_path(self) -> Path | None:
        return self.trace.path if self.trace else None

    async def open(self) -> None:
        """Open the WebSocket: aiohttp's error when the upgrade fails, TimeoutError when it
        takes longer than `connect_timeout_s` (a server that accepts and never answers)."""
        headers = handshake_headers(self.options.api_key, self.dialect)
        if self.trace is None and (path := trace_file(self.options.trace, self.client_id)):
            self.trace = TraceWriter(path, self.options.privacy)
            self.frames.trace = self.trace
        if self._http is None:
            self._http = aiohttp.ClientSession()
        connecting = self._http.ws_connect(
            self.url, headers=headers, ssl=self.options.ssl or True, max_msg_size=0
        )
        self._ws = await asyncio.wait_for(connecting, self.options.connect_timeout_s)
        self.connection_id = "ws_" + secrets.token_hex(8)
        self._expired = False
        if self.trace:
            self.trace.handshake(self.url, headers)
        self._reader = asyncio.create_task(self._read(self._ws))

    def ensure_open(self) -> None:
        if self.closed or self._closing or self._ws is None:
            raise ClientClosedError("the Realtime client is closed; create a new client")

    # -- reading ------------------------------------------------------------------------------

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        reason = ""
        try:
            while True:
                message = await ws.receive()
                if message.type == aiohttp.WSMsgType.TEXT:
                    await self._on_text(message.data)
                elif message.type == aiohttp.WSMsgType.BINARY:
                    self._on_binary(message.data)
                elif message.type == aiohttp.WSMsgType.CLOSE:
                    reason = str(message.extra or "")
                    break
                elif message.type in (aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                    break
                elif message.type == aiohttp.WSMsgType.ERROR:
                    reason = repr(ws.exception())
                    break
        except Exception as error:  # a bug here must not leave the client hanging
            log.exception("reading the Realtime socket failed")
            reason = repr(error)
        if not self._closing:  # a close we asked for is finished by shutdown(), after the
            await self._connection_ended(ws.close_code, reason)  # close handshake

    async def _on_text(self, text: str) -> None:
        now = time.monotonic()
        try:
            event = json.loads(text)
        except ValueError:
            event = None
        self.frames.received_text(text, event)
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            shown = redacted(text) if self.options.privacy else text[:500]
            self.emit(RealtimeAPIEvents.WebSocketError, {"kind": "malformed_frame", "data": shown})
            return
        for ga_event in to_ga(event) if self.dialect == "beta" else [event]:
            await self._on_event(ga_event, now)

    async def _on_event(self, event: dict[str, Any], now: float) -> None:
        self.frames.received_event(event, now, self.protocol.state.session)
        error = event.get("error")
        if (
            event["type"] == "error"
            and isinstance(error, dict)
            and error.get("code") == EXPIRED_CODE
        ):
            self._expired = True
        try:
            await self.run_intents(self.protocol.receive(event))
        except ClientClosedError:
            pass  # the socket died under the answer: the reader sees the close next
        except Exception as failure:
            self.on_protocol_error(event, failure)
        self.emit(event["type"], event)
        if event["type"] not in CONSTANTS and event["type"] not in known_server_types():
            self.emit(RealtimeAPIEvents.Unknown, event)

    def on_protocol_error(self, event: dict[str, Any], failure: Exception) -> None:
        """The protocol (or carrying out its intents) failed on an event: report it and go on
        with the next frame (the reference client's way)."""
        log.exception("the client protocol failed on %s", event.get("type"))
        self.emit(
            RealtimeAPIEvents.ConnectorInformation,
            {"kind": "protocol_error", "event": event.get("type"), "error": repr(failure)},
        )

    def _on_binary(self, data: bytes) -> None:
        self.frames.received_binary(len(data))
        self.emit(RealtimeAPIEvents.WebSocketError, {"kind": "binary_frame", "size": len(data)})

    # -- listeners ----------------------------------------------------------------------------

    def emit(self, name: Any, data: Any) -> None:
        self.listeners.emit(name, self, data)

    def _handler_failed(self, name: str, error: BaseException) -> None:
        log.error("a handler of %s raised %r", name, error)
        if name != RealtimeAPIEvents.ConnectorInformation:
            self.emit(
                RealtimeAPIEvents.ConnectorInformation,
                {"kind": "handler_error", "event": name, "error": repr(error)},
            )

    # -- writing ------------------------------------------------------------------------------

    async def send_event(self, event_type: str, parameters: Mapping[str, Any] | None) -> None:
        """Check, apply the protocol's rules, and send (raises ClientEventError, nothing sent)."""
        event = outgoing.build(event_type, dict(parameters) if parameters is not None else None)
        self.ensure_open()
        outgoing.for_wire(event, self.dialect)
        if event_type == "session.update":
            self.last_session_update = event
        await self.run_intents(self.protocol.send(event))

    async def run_intents(self, intents: list[Intent]) -> None:
        for intent in intents:
            if isinstance(intent, SendEvent):
                await self._write(intent.event)
            elif isinstance(intent, PlayAudio):
                self.play(intent)
            elif isinstance(intent, StopPlayout):
                await self.run_intents(self.protocol.playout_stopped(self.stop_playout()))
            elif isinstance(intent, Notice):
                self.emit(
                    RealtimeAPIEvents.ConnectorInformation, {"kind": intent.kind, **intent.data}
                )

    def play(self, intent: PlayAudio) -> None:
        """Hand model audio to the media bridge (MediaLink overrides nothing: see client)."""

    def stop_playout(self) -> list[Any]:
        return []

    async def _write(self, event: dict[str, Any]) -> None:
        wire_events = outgoing.for_wire(event, self.dialect)
        async with self._send_lock:
            ws = self._ws
            if ws is None or ws.closed:
                raise ClientClosedError("the Realtime connection is closed; nothing was sent")
            for wire_event in wire_events:
                text = json.dumps(wire_event, separators=COMPACT)
                try:
                    await ws.send_str(text)
                except (ConnectionError, aiohttp.ClientError) as error:  # the socket just died
                    raise ClientClosedError(f"the Realtime connection is gone: {error}") from error
                self.frames.sent(wire_event, text, self.protocol.state.session)

    async def write_unchecked(self, event: dict[str, Any]) -> None:
        """Send `event` as it is: no check, no rules, no translation. Only for the conformance
        suite's deliberately broken clients; a correct application never needs it."""
        async with self._send_lock:
            if self._ws is None or self._ws.closed:
                raise ClientClosedError("the Realtime connection is closed; nothing was sent")
            text = json.dumps(event, separators=COMPACT)
            await self._ws.send_str(text)
            self.frames.sent(event, text, self.protocol.state.session)

    # -- closing and reconnecting -------------------------------------------------------------

    async def _connection_ended(self, code: int | None, reason: str) -> None:
        side = "client" if self._closing else "server"
        if code is None and self._closing:
            code = CLIENT_CLOSE_CODE  # ours; aiohttp reports it once the server has echoed it
        if self.trace:
            self.trace.close(side, code, reason)
        facts = {"code": code, "reason": reason, "expired": self._expired, "by": side}
        self._call_close_callback(facts)
        if not self._closing and await reconnect(self, self.options.reconnect, facts):
            return
        if not self._closing:
            self.emit(RealtimeAPIEvents.WebSocketError, {"kind": "closed", **facts})
        await self._finish()

    def _call_close_callback(self, facts: dict[str, Any]) -> None:
        callback = self.options.on_web_socket_close
        if callback is None:
            return
        try:
            callback(facts)
        except Exception as error:
            self._handler_failed("on_web_socket_close", error)

    async def abandon(self) -> None:
        """Release what a failed first `open()` left (the HTTP session, the trace file)."""
        if not self.closed:
            await self._finish()

    async def _finish(self) -> None:
        self.closed = True
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self.trace:
            self.trace.finish()
        self.ended.set()

    async def shutdown(self) -> None:
        """Close the connection (1000), finish the close handshake, then release everything.
        Idempotent; safe from inside a handler (the reader is not awaited then)."""
        if self.closed or self._closing:
            return
        self._closing = True
        ws = self._ws
        if ws is not None and not ws.closed:
            try:
                await asyncio.wait_for(ws.close(), CLOSE_TIMEOUT_S)
            except (TimeoutError, aiohttp.ClientError, OSError):
                log.warning("the Realtime socket did not close cleanly")
        reader = self._reader
        if reader is not None and reader is not asyncio.current_task():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(reader), CLOSE_TIMEOUT_S)
        if not self.closed:
            await self._connection_ended(ws.close_code if ws is not None else None, "")

    def statistics(self) -> dict[str, Any] | None:
        """Frames, bytes, audio ms both ways and latencies (None unless `statistics=True`)."""
        return self.stats.as_dict() if self.stats else None
