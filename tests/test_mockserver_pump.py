"""The one pump (mockserver.pump) and what its transports record: frames as sent and received.

Timing assertions are about order against recorded times (nothing goes out before it is due)
and a generous lateness bound (0.5 s) that a loaded 2-core machine meets.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Sequence
from typing import Any

import aiohttp
import pytest

from realtime_conformance.mockserver.pump import MIN_WAIT_S, Wakeup, _taker, run_pump
from realtime_conformance.mockserver.recorder import line_safe
from realtime_conformance.mockserver.responses_socket import UnixTimeSession
from realtime_conformance.rtproto.server.pacing import Pacing
from realtime_conformance.rtproto.server.realtime.outbox import Close, Outgoing, Send
from realtime_conformance.rtproto.server.responses.service import ResponsesService
from realtime_conformance.rtproto.server.responses.socket import ResponsesSocketSession
from realtime_conformance.rtproto.sse import SseParser
from tests.support.mock_behaviours import aiohttp_client, auth_headers, next_event, run, serving

LATENESS_BOUND_S = 0.5


def raw_event_text(line: str) -> str:
    """The `event` value of a transcript line exactly as the line spells it."""
    start = line.index('"event":') + len('"event":')
    _, end = json.JSONDecoder().raw_decode(line, start)
    return line[start:end]


class Timed:
    """A session of items due at given times, and a transport noting when each went out."""

    def __init__(self, plan: Sequence[tuple[float, Outgoing]]) -> None:
        self.pending = list(plan)
        self.performed: list[tuple[float, Outgoing]] = []
        self.open = True

    def due(self, now: float) -> list[Outgoing]:
        ready = [item for at, item in self.pending if at <= now]
        self.pending = [(at, item) for at, item in self.pending if at > now]
        return ready

    def next_deadline(self) -> float | None:
        return min((at for at, _ in self.pending), default=None)

    async def perform(self, item: Outgoing) -> None:
        self.performed.append((time.monotonic(), item))
        if isinstance(item, Close):
            self.open = False


def test_each_item_goes_out_when_due_and_never_before() -> None:
    start = time.monotonic()
    plan = [(start + 0.02 * k, Send({"type": f"e{k}"})) for k in range(1, 6)]
    timed = Timed([*plan, (start + 0.12, Close(1000))])
    run(run_pump(timed, timed))
    assert [item for _, item in timed.performed] == [item for _, item in plan] + [Close(1000)]
    for (sent_at, _), (due_at, _) in zip(
        timed.performed, [*plan, (start + 0.12, None)], strict=True
    ):
        assert due_at <= sent_at < due_at + LATENESS_BOUND_S


def test_a_deadline_that_yields_nothing_is_waited_on_not_spun_on() -> None:
    calls: list[float] = []

    class Stuck:
        open = True

        def due(self, now: float) -> list[Outgoing]:
            calls.append(time.monotonic())
            self.open = len(calls) < 10  # the pump stops after the tenth look
            return []

        def next_deadline(self) -> float | None:
            return 0.0  # long past, yet nothing ever falls due

        async def perform(self, item: Outgoing) -> None:
            raise AssertionError(item)

    stuck = Stuck()
    run(run_pump(stuck, stuck))
    assert len(calls) == 10
    assert all(
        later - earlier >= MIN_WAIT_S * 0.999 for earlier, later in itertools.pairwise(calls)
    )


def test_the_responses_socket_session_runs_on_the_monotonic_clock_shifted_once() -> None:
    offset = 1_700_000_000.0
    session = ResponsesSocketSession(ResponsesService(7, Pacing()), connected_at=offset)
    shifted = UnixTimeSession(session, offset)
    shifted.on_json_object({"type": "response.create", "model": "gpt-4.1", "input": "hi"}, 0.0)
    assert shifted.next_deadline() == session.next_deadline() - offset  # type: ignore[operator]
    first = shifted.due(0.0)
    assert [item.event["type"] for item in first][:1] == ["response.created"]
    assert first[0].event["response"]["created_at"] == int(offset)


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "session.update" , "session":{"type":"realtime",'
        '"instructions":"h\u00e9\u2028\U0001f600"}}',
        '{\n  "type": "response.create"\n}',
        '{"event_id":"evt_1"}',
    ],
)
def test_a_client_frame_is_recorded_as_the_text_received(text: str) -> None:
    async def body() -> list[str]:
        async with serving() as server:
            async with aiohttp_client(server) as ws:
                await next_event(ws)
                await ws.send_str(text)
                await next_event(ws)
            return (await server.connections[0].finished()).recording.lines

    lines = [line for line in run(body()) if '"dir":"client","event"' in line]
    assert len(lines) == 1 and lines[0].isascii()
    assert raw_event_text(lines[0]) == line_safe(text)
    assert json.loads(lines[0])["event"] == json.loads(text)


@pytest.mark.parametrize(
    ("path", "body", "non_ascii"),
    [  # Responses echoes the instructions (non-ASCII here); Chat's chunks are ASCII
        (
            "/v1/responses",
            {"model": "gpt-4.1", "input": "Say h\u00e9llo.", "instructions": "\u00e9\u2028"},
            True,
        ),
        (
            "/v1/chat/completions",
            {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
            False,
        ),
    ],
)
def test_sse_events_are_recorded_as_written(
    path: str, body: dict[str, Any], non_ascii: bool
) -> None:
    """Each `data:` line's text as written (made line-safe), and the `event:` name beside it."""

    async def exchange() -> tuple[bytes, list[str]]:
        async with serving(http_pacing=Pacing.instant()) as server, aiohttp.ClientSession() as http:
            url = f"{server.http_url}{path}"
            async with http.post(url, json={**body, "stream": True}, headers=auth_headers()) as r:
                wire = await r.read()
            return wire, (await server.connections[0].finished()).recording.lines

    wire, lines = run(exchange())
    parser = SseParser()
    messages = [*parser.feed(wire), *parser.close()]
    sent = [message for message in messages if not message.is_done]
    recorded = [line for line in lines if '"dir":"server","event"' in line]
    assert len(recorded) == len(sent) > 2
    assert [raw_event_text(line) for line in recorded] == [line_safe(m.data) for m in sent]
    assert [json.loads(line).get("sse_event") for line in recorded] == [m.event for m in sent]
    assert any(not message.data.isascii() for message in sent) == non_ascii
    done = [message for message in messages if message.is_done]
    assert len(done) == sum('"done":true' in line for line in lines)


class Parked:
    """A session with one deadline, a transport, and the frames handed to it."""

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline
        self.open = True
        self.taken: list[str] = []

    def due(self, now: float) -> list[Outgoing]:
        return []

    def next_deadline(self) -> float | None:
        return self.deadline

    async def perform(self, item: Outgoing) -> None:
        raise AssertionError(item)

    def on_message(self, message: aiohttp.WSMessage, now: float) -> None:
        self.taken.append(message.data)
        if message.data == "create":
            self.deadline = now  # something due at once
        elif message.data == "bye":
            self.open = False


def text(data: str) -> aiohttp.WSMessage:
    return aiohttp.WSMessage(aiohttp.WSMsgType.TEXT, data, None)


@pytest.mark.parametrize(
    ("deadline_in_s", "frame", "taken", "woken"),
    [
        (10.0, "append", True, False),  # nothing due, nothing changed: the pump sleeps on
        (None, "append", True, False),  # the same with no deadline at all
        (10.0, "create", True, True),  # due before the pump's deadline: woken to send it
        (None, "create", True, True),
        (10.0, "bye", True, True),  # the exchange closed: woken to end
        (-1.0, "append", False, False),  # something due already: the pump sends it first
    ],
)
def test_the_reader_hands_over_a_frame_while_the_pump_is_parked(
    deadline_in_s: float | None, frame: str, taken: bool, woken: bool
) -> None:
    async def scenario() -> tuple[bool, list[str], bool]:
        deadline = None if deadline_in_s is None else time.monotonic() + deadline_in_s
        session = Parked(deadline)
        wakeup = Wakeup()
        take = _taker(session, session, time.monotonic, session.on_message, wakeup)
        wakeup.until = deadline
        waiting = asyncio.create_task(wakeup.wait(None))
        await asyncio.sleep(0)
        took = take(text(frame))
        still_parked = wakeup.parked
        waiting.cancel()
        return took, session.taken, not still_parked

    took, handed, was_woken = run(scenario())
    assert took is taken
    assert handed == ([frame] if taken else [])
    assert was_woken is woken


def test_the_reader_queues_a_frame_while_the_pump_is_busy() -> None:
    session = Parked(None)
    take = _taker(session, session, time.monotonic, session.on_message, Wakeup())
    assert take(text("append")) is False
    assert session.taken == []
