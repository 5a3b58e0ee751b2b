"""An unpaced batch goes out framed by the transport in one write (the very bytes aiohttp's
writer would send, frame by frame), or, with compression on, corked frame by frame with the
socket uncorked after it; a single item is sent by aiohttp, uncorked."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest
from aiohttp import WSMsgType
from aiohttp.http_websocket import WebSocketWriter

from realtime_conformance.mockserver.recorder import Recording
from realtime_conformance.mockserver.websocket import (
    TCP_CORK,
    WebSocketTransport,
    encode_event,
)
from realtime_conformance.rtproto.server.realtime.outbox import Note, Send

pytestmark = pytest.mark.skipif(TCP_CORK is None, reason="TCP_CORK is Linux only")


class FakeTransport:
    """Keeps what is written; the socket is a real one, to read TCP_CORK from."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.written: list[bytes] = []

    def get_extra_info(self, name: str) -> Any:
        return self.sock if name == "socket" else None

    def write(self, data: bytes) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return False


class FakeProtocol:
    writing_paused = False


class FakeRequest:
    def __init__(self, sock: socket.socket) -> None:
        self.transport = FakeTransport(sock)
        self.protocol = FakeProtocol()


class FakeWebSocket:
    """Notes whether the socket was corked as each frame was sent through aiohttp."""

    closed = False

    def __init__(self, sock: socket.socket, compress: bool) -> None:
        self.sock = sock
        self.compress = compress
        self.corked: list[bool] = []

    async def send_frame(self, data: bytes, opcode: WSMsgType) -> None:
        assert TCP_CORK is not None
        self.corked.append(bool(self.sock.getsockopt(socket.IPPROTO_TCP, TCP_CORK)))


def delta(n: int, size: int = 10) -> dict[str, Any]:
    return {"type": "response.output_text.delta", "n": n, "delta": "x" * size}


def aiohttp_frames(events: list[dict[str, Any]]) -> bytes:
    """What aiohttp's own server-side writer sends for these events, one frame each."""
    transport = FakeTransport(socket.socket())
    writer = WebSocketWriter(FakeProtocol(), transport)  # type: ignore[arg-type]
    for event in events:
        asyncio.run(writer.send_frame(encode_event(event), WSMsgType.TEXT))
    transport.sock.close()
    return b"".join(transport.written)


def perform(items: list[Any], compress: bool) -> tuple[FakeRequest, FakeWebSocket, Recording]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    request, ws = FakeRequest(sock), FakeWebSocket(sock, compress)
    recording = Recording("c", 0.0, None)
    transport = WebSocketTransport(
        request,  # type: ignore[arg-type]
        ws,  # type: ignore[arg-type]
        recording,
        lambda: 1.0,
    )
    try:
        asyncio.run(transport.perform_all(items))
        assert TCP_CORK is not None
        assert not sock.getsockopt(socket.IPPROTO_TCP, TCP_CORK)  # never left corked
    finally:
        sock.close()
    return request, ws, recording


def test_a_batch_goes_out_in_one_write_of_aiohttps_frames() -> None:
    # Payload lengths on each side of the 7-bit, 16-bit and 64-bit length forms.
    events = [delta(0), delta(1, 125), delta(2, 200), delta(3, 70_000), delta(4)]
    request, ws, recording = perform([Send(event) for event in events], compress=False)
    assert request.transport.written == [aiohttp_frames(events)]
    assert ws.corked == []
    recorded = [json.loads(line)["event"] for line in recording.lines]
    assert recorded == events


def test_an_item_that_is_not_an_event_goes_out_after_the_frames_before_it() -> None:
    items = [Send(delta(0)), Note({"kind": "rule"}), Send(delta(1))]
    request, _, recording = perform(items, compress=False)
    assert request.transport.written == [aiohttp_frames([delta(0)]), aiohttp_frames([delta(1)])]
    kinds = [next(iter(json.loads(line).keys() - {"t_ms", "dir"})) for line in recording.lines]
    assert kinds == ["event", "meta", "event"]


def test_with_compression_a_batch_goes_out_corked_frame_by_frame() -> None:
    request, ws, recording = perform([Send(delta(n)) for n in range(5)], compress=True)
    assert (ws.corked, request.transport.written, len(recording.lines)) == ([True] * 5, [], 5)


def test_a_single_event_goes_through_aiohttp_uncorked() -> None:
    request, ws, recording = perform([Send(delta(0))], compress=False)
    assert (ws.corked, request.transport.written, len(recording.lines)) == ([False], [], 1)
