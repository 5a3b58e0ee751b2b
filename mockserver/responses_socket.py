"""The Responses API's WebSocket mode: `GET /v1/responses` upgraded, one session per connection.

The session (rtproto.server.responses.socket.ResponsesSocketSession) is sans-I/O like the Realtime
behaviours: frames in with the time, `due(now)` out, sleep until the next frame or deadline.
Its clock is Unix seconds (it stamps `created_at`), so this pump uses `time.time()`.
"""

from __future__ import annotations

import json
import time

from aiohttp import WSMsgType, web

from mockserver.connection import encode_event
from mockserver.http_common import answer_error, authenticate, open_exchange
from mockserver.recorder import Recording, binary_frame
from mockserver.state import STATE
from rtproto.api_errors import ApiError
from rtproto.server.responses.socket import ResponsesSocketSession

MIN_WAIT_S = 0.001


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
    session = ResponsesSocketSession(state.responses, connected_at=time.time())
    try:
        await _pump(ws, session, record.recording)
    finally:
        record.recording.close(time.monotonic(), "client", ws.close_code)
        state.close_connection(record)
    return ws


async def _pump(
    ws: web.WebSocketResponse, session: ResponsesSocketSession, recording: Recording
) -> None:
    while not ws.closed:
        for item in session.due(time.time()):
            text = encode_event(item.event)
            await ws.send_str(text)
            recording.event(time.monotonic(), "server", item.event, text)
        deadline = session.next_deadline()
        timeout = None if deadline is None else max(deadline - time.time(), MIN_WAIT_S)
        try:
            message = await ws.receive(timeout=timeout)
        except TimeoutError:
            continue
        if message.type == WSMsgType.TEXT:
            _record_client_text(recording, message.data)
            session.on_message(message.data, time.time())
        elif message.type == WSMsgType.BINARY:
            recording.frame(time.monotonic(), "client", binary_frame(message.data))
            session.on_message(message.data, time.time())
        else:  # close, closing, error: the client is gone
            return


def _record_client_text(recording: Recording, text: str) -> None:
    try:
        event = json.loads(text)
    except ValueError:
        event = None
    if isinstance(event, dict):
        recording.event(time.monotonic(), "client", event, text)
    else:
        recording.frame(time.monotonic(), "client", {"opcode": "TEXT", "data": text})


def _no_such_endpoint(request: web.Request) -> ApiError:
    return ApiError(404, f"Invalid URL ({request.method} {request.path})")
