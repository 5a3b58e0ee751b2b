"""Helpers for the reference client's tests against the mock: a mock on port 0 with the
simulated model, a listener that records what the client raised, and small event builders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from realtime_conformance.mockserver import RunningServer, ServerOptions, running_server
from realtime_conformance.mockserver.options import SimulatedModel
from realtime_conformance.refclient.events import Events, RealtimeAPIEvents
from realtime_conformance.refclient.realtime import RealtimeAPIClient, create_realtime_api_client
from realtime_conformance.rtproto.handshake import Dialect
from realtime_conformance.rtproto.server.realtime.timing import AudioDelivery, Timing

T = TypeVar("T")
KEY = "sk-test-0123456789abcdefWXYZ"
BOUND_S = 10.0
TEXT_SESSION = {"type": "realtime", "output_modalities": ["text"]}
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def run(body: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(body, BOUND_S))


@asynccontextmanager
async def mock(
    timing: Timing | None = None, delivery: AudioDelivery | None = None, **options: Any
) -> AsyncIterator[RunningServer]:
    model = SimulatedModel(
        timing=timing or Timing.instant(), audio_delivery=delivery or AudioDelivery.burst()
    )
    settings = ServerOptions(
        ping_interval_s=None, validate_events=True, behaviour_factory=model, **options
    )
    async with running_server(settings) as server:
        yield server


class Heard:
    """Every event the client raised to its listeners, in order."""

    def __init__(self, client: RealtimeAPIClient, *names: Any) -> None:
        self.events: list[tuple[str, Any]] = []
        for name in names or [*RealtimeAPIEvents, *Events]:
            client.add_event_listener(name, self._on(str(name)))

    def _on(self, name: str) -> Callable[[Any, Any], None]:
        return lambda _client, data: self.events.append((name, data))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def count(self, name: Any) -> int:
        return self.names().count(str(name))

    async def until(self, name: Any, times: int = 1) -> None:
        while self.count(name) < times:
            await asyncio.sleep(0.005)


async def connect(
    server: RunningServer, dialect: Dialect = "ga", url: str = "", **kw: Any
) -> RealtimeAPIClient:
    return await create_realtime_api_client(
        api_key=KEY, model="gpt-realtime", base_url=url or server.url, dialect=dialect, **kw
    )


def client_events(server: RunningServer, index: int = 0) -> list[dict[str, Any]]:
    records = server.connections[index].recording.records()
    return [r["event"] for r in records if r.get("dir") == "client" and "event" in r]


def server_types(server: RunningServer, index: int = 0) -> list[str]:
    records = server.connections[index].recording.records()
    return [r["event"]["type"] for r in records if r.get("dir") == "server" and "event" in r]


def user_text(text: str) -> dict[str, Any]:
    return {
        "item": {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
    }


async def text_turn(client: RealtimeAPIClient, heard: Heard, text: str = "Hello") -> None:
    await client.session_update({"session": TEXT_SESSION})
    await client.conversation_item_create(user_text(text))
    await client.response_create()
    await heard.until(RealtimeAPIEvents.ResponseDone)
