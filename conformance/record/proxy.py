"""The recording proxy: the client talks to it as to the server named by `upstream`; every frame
both ways (WebSocket) and every request with its answer (HTTP, Server-Sent Events read as they
stream) is passed on unchanged and written to a transcript, as the mock writes its own
(mockserver.recorder): the same lines, so checks and `validate` read both alike.

Secrets never reach a transcript: request headers and the query go through rtproto.handshake's
allow-lists (the key in `Authorization` or the key subprotocol is replaced, the scheme kept).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import WSMsgType, web
from yarl import URL

from realtime_conformance.mockserver.recorder import Recording, binary_frame, text_frame
from realtime_conformance.rtproto.events import read_client_text
from realtime_conformance.rtproto.handshake import (
    HandshakeRequest,
    dialect_of,
    redacted_header_map,
    redacted_query_string,
)
from realtime_conformance.rtproto.sse import SseParser

# Not passed on: hop-by-hop headers, and what each side's HTTP stack sets for itself.
NOT_FORWARDED = frozenset(
    {
        "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
        "te", "trailer", "content-length", "content-encoding", "accept-encoding",
        "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
        "sec-websocket-protocol", "sec-websocket-accept",
    }
)  # fmt: skip
CHUNK_BYTES = 64 * 1024
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


@dataclass
class ProxyOptions:
    upstream: str  # the server's origin (and path prefix): https://api.openai.com
    host: str = "127.0.0.1"
    port: int = 0
    output: Path | None = None  # one <id>.jsonl per connection or exchange


@dataclass
class Exchange:
    """One proxied connection or HTTP exchange and its transcript."""

    connection_id: str
    recording: Recording
    done: asyncio.Event = field(default_factory=asyncio.Event)


def forwarded(headers: Any) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in NOT_FORWARDED}


class RecordingProxy:
    """The proxy's state: where it forwards to, what it recorded (see the module docstring)."""

    def __init__(self, options: ProxyOptions) -> None:
        self.options = options
        self.upstream = URL(options.upstream.rstrip("/"))
        self.exchanges: list[Exchange] = []
        self.on_done: list[Callable[[Exchange], None]] = []
        self._numbers = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None

    def upstream_url(self, request: web.Request, websocket: bool) -> URL:
        scheme = {"http": "ws", "https": "wss"} if websocket else {"ws": "http", "wss": "https"}
        base = self.upstream.with_scheme(scheme.get(self.upstream.scheme, self.upstream.scheme))
        return URL(str(base) + request.path_qs, encoded=True)

    def open(self, request: web.Request) -> Exchange:
        connection_id = f"rec-{next(self._numbers):04d}-{secrets.token_hex(4)}"
        output = self.options.output
        path = output / f"{connection_id}.jsonl" if output else None
        exchange = Exchange(connection_id, Recording(connection_id, time.monotonic(), path))
        self.exchanges.append(exchange)
        return exchange

    def close(self, exchange: Exchange) -> None:
        exchange.recording.finish()
        exchange.done.set()
        for callback in self.on_done:
            callback(exchange)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(auto_decompress=True)
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        exchange = self.open(request)
        try:
            if request.headers.get("Upgrade", "").lower() == "websocket":
                return await proxy_websocket(self, request, exchange)
            return await proxy_http(self, request, exchange)
        finally:
            self.close(exchange)


def request_meta(request: web.Request, kind: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "path": request.path,
        "query": redacted_query_string(request.query_string),
        "request_headers": redacted_header_map(request.headers.items()),
        "recorded_by": "realtime-conformance record",
    }


async def proxy_websocket(
    proxy: RecordingProxy, request: web.Request, exchange: Exchange
) -> web.StreamResponse:
    recording = exchange.recording
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
    try:
        upstream = await proxy.session.ws_connect(
            proxy.upstream_url(request, websocket=True),
            headers=forwarded(request.headers),
            protocols=[p for p in offered if p],
            max_msg_size=MAX_MESSAGE_BYTES,
            autoping=True,
        )
    except aiohttp.WSServerHandshakeError as error:
        recording.meta(
            time.monotonic(), {**request_meta(request, "handshake"), "http_status": error.status}
        )
        return web.json_response(
            {"error": {"message": f"upstream refused: {error.message}"}}, status=error.status
        )
    client = web.WebSocketResponse(
        protocols=[upstream.protocol] if upstream.protocol else [], max_msg_size=MAX_MESSAGE_BYTES
    )
    await client.prepare(request)
    hs = HandshakeRequest.from_pairs(request.path, dict(request.query), request.headers.items())
    recording.meta(
        recording.started_at,
        {
            **request_meta(request, "handshake"),
            "http_status": 101,
            "subprotocol": client.ws_protocol,
            "dialect": dialect_of(hs),
            "connection_id": exchange.connection_id,
        },
    )
    async with upstream:
        await pump_both_ways(client, upstream, recording)
    return client


async def pump_both_ways(
    client: web.WebSocketResponse, upstream: aiohttp.ClientWebSocketResponse, recording: Recording
) -> None:
    """Pass frames until either side closes; then close the other with the same code."""
    to_upstream = asyncio.create_task(pump(client, upstream, recording, "client"))
    to_client = asyncio.create_task(pump(upstream, client, recording, "server"))
    done, pending = await asyncio.wait(
        {to_upstream, to_client}, return_when=asyncio.FIRST_COMPLETED
    )
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()


async def pump(source: Any, sink: Any, recording: Recording, direction: str) -> None:
    """Frames from `source` to `sink`, each recorded as sent by `direction`."""
    async for message in source:
        now = time.monotonic()
        if message.type is WSMsgType.TEXT:
            record_text(recording, now, direction, message.data)
            await sink.send_str(message.data)
        elif message.type is WSMsgType.BINARY:
            recording.frame(now, direction, binary_frame(message.data))
            await sink.send_bytes(message.data)
    code = source.close_code
    recording.close(time.monotonic(), direction, code, "")
    if not sink.closed:
        await sink.close(code=code or 1000)


def record_text(recording: Recording, now: float, direction: str, text: str) -> None:
    frame = read_client_text(text)  # the one JSON reader the mock uses for what it receives
    if isinstance(frame.value, dict):
        recording.event(now, direction, text)
    else:
        recording.frame(now, direction, text_frame(text))


async def proxy_http(
    proxy: RecordingProxy, request: web.Request, exchange: Exchange
) -> web.StreamResponse:
    recording = exchange.recording
    body = await request.read()
    recording.meta(
        recording.started_at,
        {
            **request_meta(request, "http_request"),
            "method": request.method,
            "body": json_or_size(body),
        },
    )
    async with proxy.session.request(
        request.method,
        proxy.upstream_url(request, websocket=False),
        headers=forwarded(request.headers),
        data=body,
    ) as answer:
        if answer.content_type == "text/event-stream":
            return await relay_stream(request, answer, recording)
        data = await answer.read()
        recording.meta(
            time.monotonic(),
            {"kind": "http_response", "status": answer.status, "body": json_or_size(data)},
        )
        return web.Response(body=data, status=answer.status, headers=forwarded(answer.headers))


async def relay_stream(
    request: web.Request, answer: aiohttp.ClientResponse, recording: Recording
) -> web.StreamResponse:
    """Server-Sent Events passed on chunk by chunk, each message recorded as it completes."""
    response = web.StreamResponse(status=answer.status, headers=forwarded(answer.headers))
    await response.prepare(request)
    recording.meta(
        time.monotonic(), {"kind": "http_response", "status": answer.status, "stream": True}
    )
    parser = SseParser()
    async for chunk in answer.content.iter_any():
        await response.write(chunk)
        for message in parser.feed(chunk):
            now = time.monotonic()
            if message.is_done:
                recording.done(now)
            elif message.data.startswith("{"):
                recording.event(now, "server", message.data, message.event)
            else:
                recording.frame(now, "server", text_frame(message.data))
    await response.write_eof()
    return response


def json_or_size(body: bytes) -> Any:
    """A body as the transcript keeps it: its JSON, or its size when it is no JSON."""
    try:
        return json.loads(body) if body else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"size_bytes": len(body)}


@dataclass
class RunningProxy:
    proxy: RecordingProxy
    host: str
    port: int

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """`websocket_base_url` for SDK clients."""
        return f"ws://{self.host}:{self.port}/v1"


@asynccontextmanager
async def running_proxy(options: ProxyOptions) -> AsyncIterator[RunningProxy]:
    proxy = RecordingProxy(options)
    if options.output is not None:
        options.output.mkdir(parents=True, exist_ok=True)
    app = web.Application(client_max_size=MAX_MESSAGE_BYTES)
    app.router.add_route("*", "/{tail:.*}", proxy.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, options.host, options.port)
        await site.start()
        yield RunningProxy(proxy, options.host, int(runner.addresses[0][1]))
    finally:
        await runner.cleanup()
        await proxy.aclose()
