"""An unpaced batch goes out corked (full TCP segments) and the socket is uncorked after it;
a single item is sent uncorked."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from aiohttp import WSMsgType

from realtime_conformance.mockserver.recorder import Recording
from realtime_conformance.mockserver.websocket import TCP_CORK, WebSocketTransport
from realtime_conformance.rtproto.server.realtime.outbox import Send

pytestmark = pytest.mark.skipif(TCP_CORK is None, reason="TCP_CORK is Linux only")


class FakeTransport:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str) -> Any:
        return self.sock if name == "socket" else None


class FakeRequest:
    def __init__(self, sock: socket.socket) -> None:
        self.transport = FakeTransport(sock)


class FakeWebSocket:
    """Notes whether the socket was corked as each frame was sent."""

    closed = False

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.corked: list[bool] = []

    async def send_frame(self, data: bytes, opcode: WSMsgType) -> None:
        assert TCP_CORK is not None
        self.corked.append(bool(self.sock.getsockopt(socket.IPPROTO_TCP, TCP_CORK)))


def sent(count: int) -> tuple[list[bool], bool, int]:
    """Whether each frame went out corked, whether the socket is corked after, lines kept."""
    assert TCP_CORK is not None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        ws = FakeWebSocket(sock)
        recording = Recording("c", 0.0, None)
        transport = WebSocketTransport(
            FakeRequest(sock),  # type: ignore[arg-type]
            ws,  # type: ignore[arg-type]
            recording,
            lambda: 1.0,
        )
        items = [Send({"type": "response.output_text.delta", "n": n}) for n in range(count)]
        asyncio.run(transport.perform_all(items))
        after = bool(sock.getsockopt(socket.IPPROTO_TCP, TCP_CORK))
        return ws.corked, after, len(recording.lines)


def test_a_batch_goes_out_corked_and_the_socket_is_uncorked_after() -> None:
    assert sent(5) == ([True] * 5, False, 5)


def test_a_single_event_is_not_corked() -> None:
    assert sent(1) == ([False], False, 1)
