"""Tiny HTTP servers for the Chat and Responses client tests, on 127.0.0.1, port 0, stopping
with their context: a scripted one (each request gets the next scripted answer: status, headers,
body written in small pieces, optionally cut; every request is kept), and a stalling one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SSE_TYPE = "text/event-stream"
PIECE_BYTES = 97  # odd, so messages and UTF-8 characters are split across reads


@dataclass
class Answer:
    body: bytes
    status: int = 200
    content_type: str = SSE_TYPE
    cut: bool = False  # abort the connection after the body instead of ending it


def json_answer(payload: Any, status: int = 200) -> Answer:
    return Answer(json.dumps(payload).encode(), status, "application/json")


def api_error(status: int, message: str, kind: str = "invalid_request_error") -> Answer:
    error = {"message": message, "type": kind, "param": None, "code": None}
    return json_answer({"error": error}, status)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class StreamServer:
    answers: list[Answer] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    base_url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        self.requests.append(
            Request(request.method, request.path, dict(request.query), body, dict(request.headers))
        )
        if not self.answers:
            return web.json_response({"error": {"message": "no answer scripted"}}, status=599)
        answer = self.answers.pop(0)
        response = web.StreamResponse(status=answer.status)
        response.content_type = answer.content_type
        await response.prepare(request)
        for start in range(0, len(answer.body), PIECE_BYTES):
            await response.write(answer.body[start : start + PIECE_BYTES])
        if answer.cut and request.transport is not None:
            request.transport.abort()
            return response
        await response.write_eof()
        return response


@asynccontextmanager
async def stream_server(*answers: Answer) -> AsyncIterator[StreamServer]:
    server = StreamServer(list(answers))
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.base_url = f"http://127.0.0.1:{port}/v1"
    try:
        yield server
    finally:
        await runner.cleanup()


@asynccontextmanager
async def stalling_server(head: bytes) -> AsyncIterator[str]:
    """A server that answers every request with `head` (status line, headers, part of a
    body), then says nothing more until the context ends: a stalled stream. Yields the base
    URL."""
    release = asyncio.Event()
    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await reader.readuntil(b"\r\n\r\n")
        writer.write(head)
        await writer.drain()
        await release.wait()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        release.set()
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


SocketHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def socket_server(handler: SocketHandler) -> AsyncIterator[str]:
    """A server answering `GET /v1/responses` with `handler` (a WebSocket mode stand-in).
    Yields the base URL."""
    app = web.Application()
    app.router.add_get("/v1/responses", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
