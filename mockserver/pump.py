"""The one pump loop of the mock: a sans-I/O session on one side, a transport on the other.

Every transport uses it: the Realtime WebSocket (a `Behaviour`), the Responses WebSocket mode
(its socket session) and the HTTP streams (Server-Sent Events). The session never sees a socket
or a clock: the pump performs what `due(now)` returns, hands over what arrives, and waits until
the next frame or the session's `next_deadline()`, whichever comes first. One clock,
`time.monotonic`, drives the session and stamps the recording.

Frames are read by one reader task that queues them and wakes the pump; the pump waits on a
future and at most one timer per deadline, so no timeout object, cancellation or exception is
made per frame: one wait costs ~6.9 µs of CPU where a `ws.receive(timeout=...)` that times out
cost ~9.0 µs (2-core bench machine, aiohttp 3.14; most of either is the event loop's own turn).

A text frame that arrives while the pump is parked, with nothing queued before it and nothing
of the session due, is handed over by the reader itself (`_take_at_once`), as the pump would
have done first thing on waking; the pump is woken only when the frame made something due
before the deadline it sleeps towards (or closed the exchange). A call's appends (50 a second,
each answered by nothing) then cost no task switch, no timer re-armed and no `due()` each.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from aiohttp import WSMessage, WSMsgType, web

from realtime_conformance.rtproto.server.realtime.outbox import Outgoing

MIN_WAIT_S = 0.001  # the wait when a deadline has passed but nothing fell due: never spin
Clock = Callable[[], float]
EventCheck = Callable[[dict[str, Any]], None]  # test mode's check of each event as it is sent
PerformAll = Callable[[Sequence[Outgoing]], Awaitable[None]]
# What ends a WebSocket's stream of messages: the reader stops after one of these.
LAST_MESSAGES = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR})


class Session(Protocol):
    """The sans-I/O side: what is due at `now`, and when something next falls due."""

    def due(self, now: float) -> Sequence[Outgoing]: ...

    def next_deadline(self) -> float | None: ...


class Transport(Protocol):
    """The wire side: performs each item (writes and records it) while the exchange is open."""

    @property
    def open(self) -> bool: ...

    async def perform(self, item: Outgoing) -> None: ...


class Wakeup:
    """What the pump waits on: a frame queued by the reader, or the deadline's timer."""

    def __init__(self) -> None:
        self._waiter: asyncio.Future[None] | None = None
        self.until: float | None = None  # the deadline the parked pump wakes at (None: none)

    @property
    def parked(self) -> bool:
        """The pump is waiting and nothing has woken it yet."""
        return self._waiter is not None and not self._waiter.done()

    def set(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait(self, timeout: float | None) -> None:
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        timer = None if timeout is None else loop.call_later(timeout, self.set)
        try:
            await self._waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()


class FrameReader:
    """One task reading a WebSocket's messages into a queue for the pump, until the last one."""

    def __init__(self, ws: web.WebSocketResponse, wakeup: Wakeup) -> None:
        self.ws = ws
        self._wakeup = wakeup
        self._messages: deque[WSMessage] = deque()
        self._failure: Exception | None = None
        # The pump's hand-over of a text frame when nothing is ahead of it (run_pump sets it).
        self.take_at_once: Callable[[WSMessage], bool] | None = None
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                message = await self.ws.receive()
                take = self.take_at_once
                if take and message.type is WSMsgType.TEXT and not self._messages and take(message):
                    continue
                self._messages.append(message)
                self._wakeup.set()
                if message.type in LAST_MESSAGES:
                    return
        except Exception as error:  # the pump raises it, as if it had read the frame itself
            self._failure = error
            self._wakeup.set()

    def pop(self) -> WSMessage | None:
        """The next message read, None when none is waiting (raises what the reader hit)."""
        if self._messages:
            return self._messages.popleft()
        if self._failure is not None:
            raise self._failure
        return None

    async def stop(self) -> None:
        """Stop reading (before a close, which reads the client's reply itself); what was read
        stays to be taken. A cancelled read loses nothing: aiohttp keeps the frame."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def run_pump(
    session: Session,
    transport: Transport,
    *,
    clock: Clock = time.monotonic,
    reader: FrameReader | None = None,
    on_message: Callable[[WSMessage, float], None] | None = None,
    wakeup: Wakeup | None = None,
) -> None:
    """Pump until the transport closes (or, with nothing to read, the session has no more)."""
    wakeup = wakeup or Wakeup()
    perform_all = _performer(transport)
    if reader is not None and on_message is not None:
        reader.take_at_once = _taker(session, transport, clock, on_message, wakeup)
    while True:
        sent = await _flush(session, perform_all, clock)
        if not transport.open:
            return
        message = reader.pop() if reader is not None else None
        if message is not None:
            if on_message is not None:
                on_message(message, clock())
            continue
        deadline = session.next_deadline()
        if deadline is None and reader is None:
            return
        await _wait(wakeup, deadline, clock, sent)


def _taker(
    session: Session,
    transport: Transport,
    clock: Clock,
    on_message: Callable[[WSMessage, float], None],
    wakeup: Wakeup,
) -> Callable[[WSMessage], bool]:
    """The reader's hand-over of a frame while the pump is parked and nothing is due: whether
    it took the frame. It wakes the pump only for what the frame changed before its deadline."""

    def take_at_once(message: WSMessage) -> bool:
        if not wakeup.parked:
            return False
        now = clock()
        due = session.next_deadline()
        if due is not None and due <= now:
            return False  # the pump sends that first, then reads the frame
        on_message(message, now)
        due = session.next_deadline()
        sleeping_until = wakeup.until
        earlier = due is not None and (sleeping_until is None or due < sleeping_until)
        if earlier or not transport.open:
            wakeup.set()
        return True

    return take_at_once


def _performer(transport: Transport) -> PerformAll:
    """The transport's own `perform_all` when it has one (one coroutine for a batch, not one
    per item), else `perform` item by item."""
    own: PerformAll | None = getattr(transport, "perform_all", None)
    if own is not None:
        return own

    async def perform_all(items: Sequence[Outgoing]) -> None:
        for item in items:
            await transport.perform(item)  # a transport that closed drops the rest itself

    return perform_all


async def _flush(session: Session, perform_all: PerformAll, clock: Clock) -> bool:
    """Perform what is due; whether anything was."""
    items = session.due(clock())
    if items:
        await perform_all(items)
    return bool(items)


async def _wait(wakeup: Wakeup, deadline: float | None, clock: Clock, sent: bool) -> None:
    wakeup.until = deadline
    if deadline is None:
        await wakeup.wait(None)
        return
    timeout = deadline - clock()
    if timeout > 0:
        await wakeup.wait(timeout)
    elif sent:  # late (the sending took the time): go on at once, after the others' turn
        await asyncio.sleep(0)
    else:  # due but nothing came out: wait a little rather than spin
        await wakeup.wait(MIN_WAIT_S)
