"""Small behaviours and helpers for testing the mock server's driver without the simulated model.

`ScriptedBehaviour` sends `session.created` on start and answers a few client events with
events taken from the bundled example transcript (so they are real shapes that validate); the
`test.*` client events make it misbehave on purpose (raise, close, abort, send raw frames).
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any, TypeVar

import aiohttp

from realtime_conformance.fixtures import EXAMPLE_TRANSCRIPT
from realtime_conformance.mockserver import (
    ConnectionInfo,
    RunningServer,
    ServerOptions,
    running_server,
)
from realtime_conformance.rtproto.events import (
    EventBuilder,
    RealtimeError,
    supported_values_message,
)
from realtime_conformance.rtproto.ids import IdFactory
from realtime_conformance.rtproto.server.realtime.outbox import (
    Abort,
    Close,
    Outgoing,
    Send,
    SendRaw,
    Timeline,
)

T = TypeVar("T")
# A hang guard, not a timing assertion: generous, since a loaded CI machine may take seconds
# to start a server process (one line to change if a hang ever needs to fail sooner).
TEST_TIMEOUT_S = 30.0
KEY = "sk-test-0123456789abcdefWXYZ"


def _example_server_events() -> dict[str, dict[str, Any]]:
    events: dict[str, dict[str, Any]] = {}
    for line in EXAMPLE_TRANSCRIPT.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("dir") == "server":
            events.setdefault(record["event"]["type"], record["event"])
    return events


EXAMPLE_EVENTS = _example_server_events()


class ScriptedBehaviour:
    """A behaviour for driver tests; it remembers what it was told."""

    def __init__(self, info: ConnectionInfo, response_delay_s: float = 0.05) -> None:
        self.info = info
        self.response_delay_s = response_delay_s
        self.timeline = Timeline()
        self.events = EventBuilder(IdFactory(info.connection_id))
        self.received: list[dict[str, Any]] = []
        self.frame_errors: list[RealtimeError] = []
        self.closed_at: float | None = None

    def example(self, event_type: str) -> dict[str, Any]:
        event = copy.deepcopy(EXAMPLE_EVENTS[event_type])
        return {**event, "event_id": self.events.ids.new("event")}

    def send(self, at: float, *event_types: str) -> None:
        for event_type in event_types:
            self.timeline.schedule(at, Send(self.example(event_type)))

    def start(self, now: float) -> None:
        self.send(now, "session.created")

    def on_client_event(self, event: dict[str, Any], now: float) -> None:
        self.received.append(event)
        kind = event["type"]
        if kind == "test.crash":
            raise RuntimeError("the test behaviour fails on purpose")
        answer = self.answers().get(kind)
        if answer is None:
            supported = sorted(self.answers())
            error = RealtimeError(
                "invalid_value", supported_values_message(kind, supported), "type"
            )
            self.timeline.schedule(now, Send(self.events.error(error)))
            return
        for at, item in answer(event, now):
            self.timeline.schedule(at, item)

    def answers(self) -> dict[str, Any]:
        return {
            "session.update": lambda e, now: [(now, Send(self.example("session.updated")))],
            "conversation.item.create": lambda e, now: [
                (now, Send(self.example("conversation.item.added"))),
                (now, Send(self.example("conversation.item.done"))),
            ],
            "response.create": lambda e, now: [
                (now, Send(self.example("response.created"))),
                (now + self.response_delay_s, Send(self.example("response.done"))),
            ],
            "test.close": lambda e, now: [(now, Close(e["code"], e.get("reason", "")))],
            "test.abort": lambda e, now: [(now, Abort())],
            "test.raw": lambda e, now: [(now, SendRaw(self._raw(e)))],
        }

    @staticmethod
    def _raw(event: dict[str, Any]) -> str | bytes:
        return bytes(event["size"]) if "size" in event else str(event["data"])

    def on_frame_error(self, error: RealtimeError, now: float) -> None:
        self.frame_errors.append(error)
        self.timeline.schedule(now, Send(self.events.error(error)))

    def on_client_closed(self, now: float) -> None:
        self.closed_at = now

    def due(self, now: float) -> list[Outgoing]:
        return self.timeline.due(now)

    def next_deadline(self) -> float | None:
        return self.timeline.next_deadline()


class BehaviourLog:
    """A behaviour factory that keeps every behaviour it made (tests look inside them)."""

    def __init__(self, **settings: Any) -> None:
        self.settings = settings
        self.made: list[ScriptedBehaviour] = []

    def __call__(self, info: ConnectionInfo) -> ScriptedBehaviour:
        behaviour = ScriptedBehaviour(info, **self.settings)
        self.made.append(behaviour)
        return behaviour


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one async test body with a bound, so a broken server fails instead of hanging."""

    async def bounded() -> T:
        return await asyncio.wait_for(coroutine, TEST_TIMEOUT_S)

    return asyncio.run(bounded())


@asynccontextmanager
async def serving(**overrides: Any) -> AsyncIterator[RunningServer]:
    """A test-mode server (every server event validated; no pings unless asked) with the
    scripted behaviour; on leaving, asserts that no invalid server event was sent."""
    options = ServerOptions(
        ping_interval_s=None, validate_events=True, behaviour_factory=BehaviourLog()
    )
    async with running_server(replace(options, **overrides)) as server:
        yield server
        assert not server.invalid_events, "\n".join(map(str, server.invalid_events))


def auth_headers(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@asynccontextmanager
async def aiohttp_client(
    server: RunningServer,
    query: str = "model=gpt-realtime",
    headers: dict[str, str] | None = None,
    path: str = "/realtime",
    **options: Any,
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """An aiohttp WebSocket client connected to the server (Bearer auth unless headers given)."""
    async with aiohttp.ClientSession() as session:
        url = f"{server.url}{path}?{query}" if query else f"{server.url}{path}"
        async with session.ws_connect(
            url, headers=auth_headers() if headers is None else headers, **options
        ) as ws:
            yield ws


async def next_event(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await ws.receive()
    assert message.type is aiohttp.WSMsgType.TEXT, message
    event: dict[str, Any] = json.loads(message.data)
    return event
