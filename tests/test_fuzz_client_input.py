"""Fuzzed client input against one real server: every input answered in the API's shape.

Hypothesis (derandomized: the same inputs on every run) makes three kinds of input: random JSON
values, mutations of a valid client event of every type the catalogue lists, and random bytes.
Each goes over a real socket to one mock server: the Realtime WebSocket, the Responses
WebSocket mode, the Responses and Chat HTTP bodies, and (bytes) a raw TCP connection.
Meanwhile a well-behaved Realtime session keeps doing text turns on the same server. After each
frame a probe (an unknown event type) is sent: the server must answer everything before it with
events (errors in the API's shape) and keep the connection open, or close it with a documented
code. Logging is captured: no ERROR and no traceback may appear.

The server runs in its own thread and event loop, so Hypothesis drives a plain function.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime_conformance.mockserver import RunningServer, ServerOptions, running_server
from realtime_conformance.mockserver.options import SimulatedModel
from realtime_conformance.rtproto.catalogue import Api, load_catalogue
from realtime_conformance.rtproto.schema_store import SchemaStore, uri_for
from realtime_conformance.rtproto.server.realtime.timing import Timing
from tests.support.samples import SampleBuilder

T = TypeVar("T")
KEY_HEADERS = {"Authorization": "Bearer sk-fuzz-0123456789abcdef"}
# Per kind of input and channel (60: 480 inputs in ~10 s); FUZZ_EXAMPLES=1000 for a long hunt.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    derandomize=True,
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
DOCUMENTED_CLOSES = {1007, 1009}  # invalid UTF-8 text, a frame over the size limit
ANSWER_TIMEOUT_S = 10.0
NEIGHBOUR_PAUSE_S = 0.05  # between the well-behaved session's turns: a client, not a flood
# Placeholders a value may hold, swapped for raw JSON text no Python value encodes to.
HUGE_INT, DEEP = "\x00huge-int\x00", "\x00deep\x00"
RAW_TEXT = {json.dumps(HUGE_INT): "9" * 5000, json.dumps(DEEP): "[" * 100_000 + "]" * 100_000}

texts = st.text(st.characters(codec=None, categories=None), max_size=12)  # surrogates too
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
    | st.sampled_from([HUGE_INT, DEEP, "\ud800", "x" * 70_000])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


def encode(value: Any, *, ascii_only: bool = True) -> str:
    """JSON text of a fuzz value (surrogates escaped), placeholders swapped for raw text."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    if not text.isascii() and not encodable(text):  # a lone surrogate: only escaped can it go
        text = json.dumps(value)
    for placeholder, raw in RAW_TEXT.items():
        text = text.replace(placeholder, raw)
    return text


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@cache
def valid_client_events(api: Api, dialect: str) -> list[dict[str, Any]]:
    """One valid event of every client event type the catalogue lists (all fields filled)."""
    store = SchemaStore()
    events = []
    for spec in load_catalogue().events(api, dialect):
        if spec.direction == "client":
            uri = uri_for(spec.schema_path)
            resolver = store.registry.resolver(base_uri=uri)
            events.append(SampleBuilder("full").build({"$ref": uri}, resolver))
    return events


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in items:
        yield from paths(child, (*prefix, key))


@st.composite
def mutated(draw: st.DrawFn, events: list[dict[str, Any]]) -> Any:
    """A valid event with one place replaced by a random value, deleted, or given a new key."""
    event = json.loads(json.dumps(draw(st.sampled_from(events))))
    where = draw(st.sampled_from(list(paths(event))))
    if not where:
        return draw(json_values)
    parent = event
    for key in where[:-1]:
        parent = parent[key]
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "delete":
        del parent[where[-1]]
    elif action == "add" and isinstance(parent, dict):
        parent[draw(texts)] = draw(json_values)
    else:
        parent[where[-1]] = draw(json_values)
    return event


@dataclass
class Tally:
    inputs: dict[str, int] = field(default_factory=dict)
    closes: dict[int, int] = field(default_factory=dict)
    turns: int = 0
    lost_turns: list[str] = field(default_factory=list)
    bad_answers: list[str] = field(default_factory=list)

    def count(self, channel: str) -> None:
        self.inputs[channel] = self.inputs.get(channel, 0) + 1


class Problems(logging.Handler):
    """Every log record at ERROR or above, or carrying a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


class ServerThread:
    """A mock server and a well-behaved session, in a thread with its own event loop."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.stopping = asyncio.Event()
        self.server: RunningServer | None = None
        self.session: aiohttp.ClientSession | None = None

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        self.ready: Future[None] = Future()
        self.main = asyncio.run_coroutine_threadsafe(self._serve(), self.loop)
        self.ready.result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.main.result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _serve(self) -> None:
        model = SimulatedModel(timing=Timing.instant())
        options = ServerOptions(ping_interval_s=None, behaviour_factory=model)
        async with running_server(options) as server, aiohttp.ClientSession() as session:
            self.server, self.session = server, session
            neighbour = asyncio.create_task(self._well_behaved())
            self.ready.set_result(None)
            await self.stopping.wait()
            await neighbour

    async def _well_behaved(self) -> None:
        """Text turns, one after another, until the fuzzing stops; each must complete."""
        assert self.server is not None and self.session is not None
        url = f"{self.server.url}/realtime?model=gpt-realtime"
        async with self.session.ws_connect(url, headers=KEY_HEADERS) as ws:
            while not self.stopping.is_set():
                try:
                    await asyncio.wait_for(text_turn(ws), ANSWER_TIMEOUT_S)
                    self.tally.turns += 1
                    await asyncio.sleep(NEIGHBOUR_PAUSE_S)
                except Exception as error:
                    self.tally.lost_turns.append(repr(error))
                    return


USER_TEXT = {
    "type": "conversation.item.create",
    "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
}


async def text_turn(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_json(USER_TEXT)
    await ws.send_json({"type": "response.create"})
    while True:
        message = await ws.receive()
        assert message.type is aiohttp.WSMsgType.TEXT, message
        event = json.loads(message.data)
        assert event["type"] != "error", event
        if event["type"] == "response.done":
            assert event["response"]["status"] == "completed", event
            return


def api_shaped_error(event: dict[str, Any]) -> bool:
    error = event.get("error")
    return isinstance(error, dict) and {"type", "code", "message", "param"} <= set(error)


class SocketFuzzer:
    """One fuzzed WebSocket (reopened after a documented close), probed after every input."""

    def __init__(self, server: ServerThread, path: str, channel: str) -> None:
        self.server = server
        self.path = path
        self.channel = channel
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.probes = 0

    async def send(self, data: str | bytes) -> None:
        if self.ws is None or self.ws.closed:
            assert self.server.session is not None and self.server.server is not None
            url = f"{self.server.server.http_url.replace('http', 'ws', 1)}{self.path}"
            self.ws = await self.server.session.ws_connect(url, headers=KEY_HEADERS)
        self.server.tally.count(self.channel)
        self.probes += 1
        probe = f"probe-{self.probes}"
        await (self.ws.send_bytes(data) if isinstance(data, bytes) else self.ws.send_str(data))
        await self.ws.send_str(
            json.dumps({"type": "fuzz.probe", "event_id": probe, "stream_id": probe})
        )
        await asyncio.wait_for(self._answers_until(probe), ANSWER_TIMEOUT_S)

    async def _answers_until(self, probe: str) -> None:
        assert self.ws is not None
        while True:
            message = await self.ws.receive()
            if message.type is not aiohttp.WSMsgType.TEXT:
                code = self.ws.close_code or 0
                self.server.tally.closes[code] = self.server.tally.closes.get(code, 0) + 1
                if code not in DOCUMENTED_CLOSES:
                    self.server.tally.bad_answers.append(f"{self.channel}: closed {code}")
                return
            event = json.loads(message.data)
            if event.get("type") == "error" and not api_shaped_error(event):
                self.server.tally.bad_answers.append(f"{self.channel}: {message.data[:200]}")
            echoed = (event.get("error") or {}).get("event_id") or event.get("stream_id")
            if event.get("type") == "error" and echoed == probe:
                return


async def post_body(server: ServerThread, path: str, data: bytes) -> None:
    """One HTTP request with a fuzzed body: a 200 or an API-shaped 4xx, never a 5xx."""
    assert server.session is not None and server.server is not None
    server.tally.count(f"POST {path}")
    url = f"{server.server.http_url}{path}"
    headers = {**KEY_HEADERS, "Content-Type": "application/json"}
    async with server.session.post(url, data=data, headers=headers) as response:
        body = await response.read()
        if response.status == 200:
            return
        answer = json.loads(body) if body.startswith(b"{") else None
        if response.status >= 500 or not (answer and api_shaped_error(answer)):
            server.tally.bad_answers.append(f"POST {path}: {response.status} {body[:200]!r}")


def fuzz_channel(server: ServerThread, channel: str, events: list[dict[str, Any]]) -> None:
    """Random JSON values, mutated valid events and random bytes, over one kind of socket."""
    socket = SocketFuzzer(server, channel, channel)

    @FUZZ
    @given(json_values, st.booleans())
    def random_values(value: Any, ascii_only: bool) -> None:
        server.call(socket.send(encode(value, ascii_only=ascii_only)))

    @FUZZ
    @given(mutated(events))
    def mutated_events(event: Any) -> None:
        server.call(socket.send(encode(event)))

    @FUZZ
    @given(st.binary(max_size=64), st.booleans())
    def random_bytes(data: bytes, as_text: bool) -> None:
        server.call(socket.send(data.decode("latin-1") if as_text else data))

    for run in (random_values, mutated_events, random_bytes):
        run()


def fuzz_http(server: ServerThread, path: str, bodies: list[dict[str, Any]]) -> None:
    @FUZZ
    @given(json_values | mutated(bodies) | st.binary(max_size=64))
    def requests(value: Any) -> None:
        data = value if isinstance(value, bytes) else encode(value).encode()
        server.call(post_body(server, path, data))

    requests()


async def raw_bytes(server: ServerThread, data: bytes) -> None:
    """Random bytes as the start of an HTTP connection, then end of input: the server closes,
    or answers a status below 500 (in the API's shape when it is an error)."""
    assert server.server is not None
    server.tally.count("raw TCP")
    reader, writer = await asyncio.open_connection("127.0.0.1", server.server.port)
    writer.write(data)
    writer.write_eof()
    answer = await asyncio.wait_for(reader.read(-1), ANSWER_TIMEOUT_S)
    writer.close()
    if not answer:
        return
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else 0
    shaped = status < 400 or api_shaped_error(json.loads(body) if body.startswith(b"{") else {})
    if not 0 < status < 500 or not shaped:
        server.tally.bad_answers.append(f"raw TCP: {answer[:200]!r}")


REQUEST_STARTS = [b"", b"GET / HTTP/1.1\r\n", b"POST /v1/responses HTTP/1.1\r\nHost: x\r\n"]


def fuzz_raw(server: ServerThread) -> None:
    @FUZZ
    @given(st.sampled_from(REQUEST_STARTS), st.binary(max_size=200))
    def connections(start: bytes, data: bytes) -> None:
        server.call(raw_bytes(server, start + data))

    connections()


RESPONSES_BODY = {"model": "gpt-5", "input": "hi", "stream": True}
CHAT_BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}


@pytest.fixture
def problems() -> Iterator[Problems]:
    handler = Problems()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def test_fuzzed_input_gets_api_shaped_answers_and_spares_the_neighbour(problems: Problems) -> None:
    tally = Tally()
    with ServerThread(tally) as server:
        fuzz_channel(
            server, "/v1/realtime?model=gpt-realtime", valid_client_events("realtime", "ga")
        )
        fuzz_channel(server, "/v1/responses", valid_client_events("responses", ""))
        fuzz_http(server, "/v1/responses", [RESPONSES_BODY])
        fuzz_http(server, "/v1/chat/completions", [CHAT_BODY])
        fuzz_raw(server)
    print(f"fuzz inputs {tally.inputs}, closes {tally.closes}, neighbour turns {tally.turns}")
    tracebacks = [f"{r.name}: {r.getMessage()}" for r in problems.records]
    assert tracebacks == []
    assert tally.bad_answers == []
    assert tally.lost_turns == []
    assert tally.turns > 0
    assert sum(tally.inputs.values()) >= 9 * EXAMPLES
