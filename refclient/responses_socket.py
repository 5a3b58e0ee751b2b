"""The Responses client's WebSocket mode: `GET /v1/responses` upgraded (Bearer auth, no model in
the URL); `response.create` messages out, the SSE stream's events (without SSE framing) in.

One response at a time (the client's calls are serialised), so every event read belongs to the
call being served. A socket that drops mid-response ends that call with `ResponsesAPIError`
(the mode has no resumption: `background` is refused on it) and is reopened by the next call.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Protocol

import aiohttp

from realtime_conformance.refclient.http_stream import HttpOptions, api_url, local_error
from realtime_conformance.refclient.http_trace import HttpTrace
from realtime_conformance.refclient.responses_accumulator import ResponseStreamAccumulator
from realtime_conformance.refclient.statistics import Statistics
from realtime_conformance.rtproto.sse import SseMessage

REFUSED_BY_THE_MODE = ("stream", "background")  # the POST body's switches the mode refuses
COMPACT = (",", ":")
CLOSE_TIMEOUT_S = 5.0  # the longest wait for the server's answer to our close frame


def socket_url(base_url: str) -> str:
    http = api_url(base_url, "/responses")
    return "ws" + http.removeprefix("http")


class SocketOwner(Protocol):
    """What the socket needs of its client (refclient.responses.ResponsesAPIClient)."""

    options: HttpOptions
    trace: HttpTrace | None
    stats: Statistics | None

    def ensure_open(self) -> aiohttp.ClientSession: ...
    def headers(self) -> dict[str, str]: ...
    def handle(self, accumulator: ResponseStreamAccumulator, event: Any, text: str) -> bool: ...
    def failed(self, data: dict[str, Any]) -> None: ...


class ResponsesSocket:
    def __init__(self, client: SocketOwner) -> None:
        self.client = client
        self.url = socket_url(client.options.base_url)
        self.connection_id: str | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    async def open(self) -> None:
        http = self.client.ensure_open()
        headers = self.client.headers()
        if self.client.trace:
            self.client.trace.handshake(self.url, headers)
        options = self.client.options
        self._ws = await http.ws_connect(
            self.url,
            headers=headers,
            ssl=options.ssl or True,
            max_msg_size=0,
            timeout=aiohttp.ClientWSTimeout(
                ws_receive=options.idle_timeout_s, ws_close=CLOSE_TIMEOUT_S
            ),
        )
        self.connection_id = "ws_" + secrets.token_hex(8)

    async def run(self, body: dict[str, Any], accumulator: ResponseStreamAccumulator) -> None:
        """Send one `response.create` and raise its events until it is over."""
        try:
            if self._ws is None or self._ws.closed:
                await self.open()
            await self._send(body)
            await self._read(accumulator)
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            await self.close()  # a stalled or broken socket: the next call opens a new one
            self.client.failed({"status": None, "error": local_error("connection_error", error)})

    async def _send(self, body: dict[str, Any]) -> None:
        assert self._ws is not None
        message = {"type": "response.create"}
        message |= {k: v for k, v in body.items() if k not in REFUSED_BY_THE_MODE}
        text = json.dumps(message, separators=COMPACT)
        if self.client.trace:
            self.client.trace.text("client", text, message)
        if self.client.stats:
            self.client.stats.frame("client", len(text.encode()))
        await self._ws.send_str(text)

    async def _read(self, accumulator: ResponseStreamAccumulator) -> None:
        ws = self._ws
        assert ws is not None
        async for frame in ws:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                continue  # the mode sends text only; aiohttp answers pings itself
            event = self._received(frame.data)
            if not self.client.handle(accumulator, event, frame.data):
                return
        if self._ws is None:
            return  # close() ended it (the client reports nothing after its own close)
        reason = f"the socket closed ({ws.close_code}) before the response ended"
        self._closed_by_server()
        self.client.failed({"status": None, "error": local_error("connection_closed", reason)})

    def _received(self, text: str) -> Any:
        try:
            event = json.loads(text)
        except ValueError:
            event = None
        if self.client.trace:
            self.client.trace.sse(SseMessage(text), event)
        if self.client.stats:
            self.client.stats.frame("server", len(text.encode()))
        return event

    def _closed_by_server(self) -> None:
        if self.client.trace and self._ws is not None:
            self.client.trace.close("server", self._ws.close_code)
        self._ws = None

    async def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None and not ws.closed:
            await ws.close()
            if self.client.trace:
                self.client.trace.close("client", ws.close_code)
