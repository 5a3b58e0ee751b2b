"""The Server-Sent Events transport of the pump, and the HTTP streams it carries.

Both kinds of HTTP stream are sessions of the one pump (mockserver.pump): a simulated model's
plan (`PlannedStream`: every event with its due time) and a scenario's `ScenarioStream`. Each
frame is encoded once; the transcript records the text of its `data:` line as written (and,
for Responses, its `event:` name as `sse_event`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Literal, Protocol

from aiohttp import web

from realtime_conformance.mockserver.pump import Clock, EventCheck, Session, run_pump
from realtime_conformance.mockserver.recorder import Recording, text_frame
from realtime_conformance.rtproto.server.pacing import PlannedEvent
from realtime_conformance.rtproto.server.realtime.outbox import (
    Abort,
    Close,
    Note,
    Outgoing,
    Send,
    SendRaw,
    Timeline,
)
from realtime_conformance.rtproto.sse import (
    DONE,
    DONE_FRAME,
    data_frame,
    encode_raw_data,
    event_frame,
)

log = logging.getLogger(__name__)

SSE_HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}
StreamApi = Literal["responses", "chat"]


class StreamSession(Session, Protocol):
    """An HTTP stream's session: told when the client went away mid-stream."""

    def client_closed(self) -> None: ...


class PlannedStream:
    """A simulated model's plan as a session: each event due `at` seconds after the start, in
    the plan's order; then Chat's `[DONE]` when the plan ends with it, and the end. The plan is
    read as its events fall due (a lazy plan builds each just before it goes out: Timeline.feed
    hands out the first few at once, the rest in growing batches)."""

    def __init__(self, planned: Iterable[PlannedEvent], started_at: float, *, done: bool) -> None:
        self._timeline = Timeline()
        self._timeline.feed(_plan_items(planned, started_at, done))

    def due(self, now: float) -> list[Outgoing]:
        return self._timeline.due(now)

    def next_deadline(self) -> float | None:
        return self._timeline.next_deadline()

    def client_closed(self) -> None:
        self._timeline = Timeline()


def _plan_items(
    planned: Iterable[PlannedEvent], started_at: float, done: bool
) -> Iterator[tuple[float, Outgoing]]:
    end = started_at
    for item in planned:
        end = started_at + item.at
        yield end, Send(item.event)
    if done:
        yield end, SendRaw(DONE)
    yield end, Close(1000)


class SseTransport:
    """Writes a session's items as Server-Sent Events and records each as written."""

    def __init__(
        self,
        request: web.Request,
        response: web.StreamResponse,
        recording: Recording,
        api: StreamApi,
        *,
        clock: Clock,
        check_event: EventCheck | None,
    ) -> None:
        self.request = request
        self.response = response
        self.recording = recording
        self.api = api
        self.clock = clock
        self.check_event = check_event
        self.open = True

    async def perform(self, item: Outgoing) -> None:
        if isinstance(item, Note):
            self.recording.meta(self.clock(), item.meta)
        elif not self.open:
            log.debug("dropped %r, due after the stream ended", item)
        elif isinstance(item, Send):
            await self._send(item)
        elif isinstance(item, SendRaw):
            await self._send_raw(item.data)
        elif isinstance(item, Close):
            self.open = False
            await self.response.write_eof()
        elif isinstance(item, Abort):
            self.open = False
            self.recording.meta(self.clock(), {"kind": "abort"})
            if self.request.transport is not None:
                self.request.transport.abort()

    async def _send(self, item: Send) -> None:
        if self.check_event is not None:
            self.check_event(item.event)
        frame = event_frame(item.event) if self.api == "responses" else data_frame(item.event)
        await self.response.write(frame.encode())
        self.recording.event(self.clock(), "server", frame.data, frame.event)

    async def _send_raw(self, data: str | bytes) -> None:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        if text == DONE:
            await self.response.write(DONE_FRAME)
            self.recording.done(self.clock())
            return
        await self.response.write(encode_raw_data(text))
        self.recording.frame(self.clock(), "server", text_frame(text))


async def write_sse(
    request: web.Request,
    recording: Recording,
    session: StreamSession,
    api: StreamApi,
    *,
    check_event: EventCheck | None = None,
    headers: dict[str, str] | None = None,
    clock: Clock = time.monotonic,
) -> web.StreamResponse:
    """Answer with the session's stream, each frame when it is due, until it ends (or is cut)."""
    response = web.StreamResponse(headers={**SSE_HEADERS, **(headers or {})})
    await response.prepare(request)
    transport = SseTransport(
        request, response, recording, api, clock=clock, check_event=check_event
    )
    try:
        await run_pump(session, transport, clock=clock)
    except ConnectionResetError:
        session.client_closed()
        recording.close(clock(), "client", None, note="the client went away mid-stream")
    return response
