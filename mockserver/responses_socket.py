"""The Responses API's WebSocket mode: `GET /v1/responses` upgraded, one session per connection.

The session (rtproto.server.responses.socket.ResponsesSocketSession) is sans-I/O like the Realtime
behaviours and runs in the same pump (mockserver.pump). Its time is Unix seconds (it stamps
`created_at`), the pump's is monotonic: `UnixTimeSession` shifts between the two by one offset
taken at the upgrade, so driving and recording read the same clock.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from aiohttp import WSMessage, WSMsgType, web

from realtime_conformance.mockserver.http_common import answer_error, authenticate, open_exchange
from realtime_conformance.mockserver.pump import FrameReader, Wakeup, run_pump
from realtime_conformance.mockserver.recorder import Recording, binary_frame, text_frame
from realtime_conformance.mockserver.state import STATE
from realtime_conformance.mockserver.websocket import WebSocketTransport, received_close_code
from realtime_conformance.rtproto.api_errors import ApiError
from realtime_conformance.rtproto.events import read_client_text
from realtime_conformance.rtproto.server.realtime.outbox import Send
from realtime_conformance.rtproto.server.responses.socket import ResponsesSocketSession

log = logging.getLogger(__name__)
INTERNAL_ERROR_CODE = 1011


class UnixTimeSession:
    """The socket session seen on the monotonic clock: its Unix seconds are `now + offset`."""

    def __init__(self, session: ResponsesSocketSession, offset_s: float) -> None:
        self.session = session
        self.offset_s = offset_s

    def due(self, now: float) -> list[Send]:
        return self.session.due(now + self.offset_s)

    def next_deadline(self) -> float | None:
        deadline = self.session.next_deadline()
        return None if deadline is None else deadline - self.offset_s

    def on_message(self, data: str | bytes, now: float) -> None:
        self.session.on_message(data, now + self.offset_s)

    def on_json_object(self, value: dict[str, Any], now: float) -> None:
        self.session.on_json_object(value, now + self.offset_s)


async def responses_socket(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    ws = web.WebSocketResponse(compress=True, max_msg_size=state.options.max_message_bytes)
    if not ws.can_prepare(request).ok:  # a plain GET /v1/responses is not an endpoint
        return answer_error(None, _no_such_endpoint(request))
    denied = authenticate(request, state)
    if denied is not None:  # refused before the upgrade (UNVERIFIED: no capture of this case)
        return answer_error(None, denied)
    record = open_exchange(request, state, {})
    await ws.prepare(request)
    offset_s = time.time() - time.monotonic()
    session = ResponsesSocketSession(state.responses, connected_at=time.monotonic() + offset_s)
    try:
        await _pump(request, ws, UnixTimeSession(session, offset_s), record.recording)
    except Exception:  # a bug of ours: this connection only ends, with a close frame
        log.exception("Responses WebSocket %s failed", record.connection_id)
        await ws.close(code=INTERNAL_ERROR_CODE, message=b"internal error in the mock server")
    finally:
        record.recording.close(time.monotonic(), "client", received_close_code(ws.close_code))
        state.close_connection(record)
    return ws


async def _pump(
    request: web.Request, ws: web.WebSocketResponse, session: UnixTimeSession, recording: Recording
) -> None:
    clock = time.monotonic
    transport = WebSocketTransport(request, ws, recording, clock)
    wakeup = Wakeup()
    reader = FrameReader(ws, wakeup)

    def on_message(message: WSMessage, now: float) -> None:
        if message.type is WSMsgType.TEXT:
            _on_text(recording, session, message.data, now)
        elif message.type is WSMsgType.BINARY:
            recording.frame(now, "client", binary_frame(message.data))
            session.on_message(message.data, now)
        else:  # close, closing, error: the client is gone
            transport.open = False

    try:
        await run_pump(
            session, transport, clock=clock, reader=reader, on_message=on_message, wakeup=wakeup
        )
    finally:
        await reader.stop()


def _on_text(recording: Recording, session: UnixTimeSession, text: str, now: float) -> None:
    """Parsed once: a JSON object is recorded as the text received and handed over parsed; any
    other text is recorded as a frame, and the session words the error (parsing it itself)."""
    frame = read_client_text(text)
    if frame.value is None:
        recording.frame(now, "client", text_frame(text))
        session.on_message(text, now)
    else:
        recording.event(now, "client", frame.text)
        session.on_json_object(frame.value, now)


def _no_such_endpoint(request: web.Request) -> ApiError:
    return ApiError(404, f"Invalid URL ({request.method} {request.path})")
