"""The reference Chat client against the mock's simulated model and a scripted server: a text
turn, a tool call, a refusal, the stored context and its running summary, trace and statistics;
and bad input: unknown arguments, a closed client, a refused connection, HTTP error answers
(400/401/429/500), a mid-stream error, a cut stream, a frame that is no chunk, a raising handler.
Every failure must be an event and the call must return (bounded by BOUND_S)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from realtime_conformance.mockserver import RunningServer, ServerOptions, running_server
from realtime_conformance.refclient.chat import (
    ChatCompletionsAPIClient,
    create_chat_completions_api_client,
)
from realtime_conformance.refclient.chat_context import (
    DEFAULT_SUMMARY_MODEL,
    DEFAULT_SUMMARY_PROMPT,
    SUMMARY_HEADING,
)
from realtime_conformance.refclient.events import ChatCompletionsAPIEvents as Chat
from realtime_conformance.refclient.listeners import ListenerError
from realtime_conformance.refclient.realtime_options import ClientClosedError
from realtime_conformance.rtproto import sse
from realtime_conformance.rtproto.server.pacing import Pacing
from realtime_conformance.rtproto.server.ratelimit import RateLimits
from tests.support.stream_server import (
    Answer,
    api_error,
    json_answer,
    stalling_server,
    stream_server,
)

T = TypeVar("T")
KEY = "sk-test-chat-0123456789"
BOUND_S = 15.0
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def run(body: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(body, BOUND_S))


def ask(text: str, **more: Any) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": [{"role": "user", "content": text}], **more}


@asynccontextmanager
async def mock(**options: Any) -> AsyncIterator[RunningServer]:
    settings = ServerOptions(ping_interval_s=None, http_pacing=Pacing.instant(), **options)
    async with running_server(settings) as server:
        yield server


class Heard:
    def __init__(self, client: ChatCompletionsAPIClient) -> None:
        self.events: list[tuple[Chat, Any]] = []
        for constant in Chat:
            client.add_event_listener(constant, self._on(constant))

    def _on(self, constant: Chat) -> Callable[[Any, Any], None]:
        return lambda _client, data: self.events.append((constant, data))

    def names(self) -> list[Chat]:
        return [name for name, _ in self.events]

    def of(self, name: Chat) -> list[Any]:
        return [data for n, data in self.events if n is name]


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"} | {
        "choices": [choice]
    }


def scripted_answer(text: str, done: bool = True) -> bytes:
    chunks = [chunk({"role": "assistant", "content": ""}), chunk({"content": text})]
    body = b"".join(sse.encode_data(c) for c in [*chunks, chunk({}, "stop")])
    return body + (sse.DONE_FRAME if done else b"")


def completion(text: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": text}
    return {"object": "chat.completion", "choices": [{"index": 0, "message": message}]}


# -- a turn against the simulated model -----------------------------------------------------------


def test_a_text_turn_streams_chunks_and_the_derived_events(tmp_path: Path) -> None:
    trace = tmp_path / "chat.jsonl"

    async def body() -> tuple[Heard, dict[str, Any] | None, dict[str, Any] | None]:
        async with mock() as server:
            client = await create_chat_completions_api_client(
                api_key=KEY, base_url=server.http_url, trace=trace, statistics=True
            )
            heard = Heard(client)
            result = await client.create_chat_completions(ask("Say hello"))
            stats = client.statistics()
            await client.close()
            return heard, result, stats

    heard, result, stats = run(body())
    names = heard.names()
    assert names[0] is Chat.Chunk and Chat.ContentDelta in names
    assert Chat.ChatCompletionsAPIError not in names and Chat.Unknown not in names
    text = heard.of(Chat.ContentDone)[0]["content"]
    assert result is not None and result["choices"][0]["message"]["content"] == text
    assert "".join(d["delta"] for d in heard.of(Chat.ContentDelta)) == text
    assert [d["snapshot"] for d in heard.of(Chat.Content)][-1] == text
    assert stats is not None and stats["received"]["frames"] == names.count(Chat.Chunk) + 1
    assert stats["first_delta_latency"]["count"] == 1
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert lines[0]["meta"]["kind"] == "http_request" and lines[0]["meta"]["body"]["stream"]
    assert lines[0]["meta"]["request_headers"]["Authorization"] == "Bearer <redacted>"
    assert lines[-1] == {"t_ms": lines[-1]["t_ms"], "dir": "server", "done": True}
    assert sum(1 for line in lines if "event" in line) == names.count(Chat.Chunk)


def test_a_tool_call_and_a_refusal_are_derived() -> None:
    async def body() -> tuple[Heard, Heard]:
        async with mock() as server:
            client = await create_chat_completions_api_client(api_key=KEY, base_url=server.http_url)
            tools = Heard(client)
            await client.create_chat_completions(ask("What is the weather?", tools=[WEATHER]))
            await client.close()
            client = await create_chat_completions_api_client(api_key=KEY, base_url=server.http_url)
            refusal = Heard(client)
            await client.create_chat_completions(ask("Please refuse this."))
            await client.close()
            return tools, refusal

    tools, refusal = run(body())
    done = tools.of(Chat.FunctionToolCallArgumentsDone)
    assert [d["name"] for d in done] == ["get_weather"]
    deltas = tools.of(Chat.FunctionToolCallArgumentsDelta)
    assert "".join(d["arguments_delta"] for d in deltas) == done[0]["arguments"]
    assert done[0]["parsed_arguments"] is None  # not a strict tool
    text = refusal.of(Chat.RefusalDone)[0]["refusal"]
    assert text and "".join(d["delta"] for d in refusal.of(Chat.RefusalDelta)) == text


def test_privacy_keeps_the_words_out_of_the_trace(tmp_path: Path) -> None:
    trace = tmp_path / "private.jsonl"

    async def body() -> None:
        async with mock() as server:
            client = await create_chat_completions_api_client(
                api_key=KEY, base_url=server.http_url, trace=trace, privacy=True
            )
            await client.create_chat_completions(ask("my secret plan"))
            await client.close()

    run(body())
    text = trace.read_text()
    assert "secret" not in text and "<redacted" in text


# -- the stored context and its summary -----------------------------------------------------------


def test_store_context_sends_the_history_and_keeps_a_running_summary() -> None:
    async def body() -> list[Any]:
        async with stream_server(
            Answer(scripted_answer("Hi Ann.")),
            json_answer(completion("Ann said hello.")),
            Answer(scripted_answer("You are Ann.")),
            json_answer(completion("Ann asked her name.")),
        ) as server:
            client = await create_chat_completions_api_client(
                api_key=KEY, base_url=server.base_url, store_context=True
            )
            heard = Heard(client)
            system = {"role": "system", "content": "Be brief."}
            await client.create_chat_completions(
                {"model": "gpt-4o", "messages": [system, {"role": "user", "content": "I am Ann"}]}
            )
            await client.create_chat_completions(ask("Who am I?"))
            await client.close()
            infos = heard.of(Chat.ConnectorInformation)
            assert [i["summary"] for i in infos] == ["Ann said hello.", "Ann asked her name."]
            return [request.body for request in server.requests]

    first, summary, second, second_summary = run(body())
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert summary["model"] == DEFAULT_SUMMARY_MODEL and not summary.get("stream")
    assert summary["messages"][0] == {"role": "system", "content": DEFAULT_SUMMARY_PROMPT}
    assert "user: I am Ann" in summary["messages"][1]["content"]
    assert "assistant: Hi Ann." in summary["messages"][1]["content"]
    assert "Be brief" not in summary["messages"][1]["content"]
    assert second["messages"] == [
        {"role": "system", "content": f"{SUMMARY_HEADING}\nAnn said hello."},
        {"role": "user", "content": "Who am I?"},
    ]
    assert "Ann said hello." in second_summary["messages"][1]["content"]


def test_store_context_without_a_summary_model_keeps_every_message() -> None:
    async def body() -> list[Any]:
        async with stream_server(
            Answer(scripted_answer("Hi.")), Answer(scripted_answer("Again."))
        ) as server:
            client = await create_chat_completions_api_client(
                api_key=KEY, base_url=server.base_url, store_context=True, summary_model=None
            )
            await client.create_chat_completions(ask("one"))
            await client.create_chat_completions(ask("two"))
            await client.close()
            return [request.body["messages"] for request in server.requests]

    _, second = run(body())
    assert second == [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "Hi."},
        {"role": "user", "content": "two"},
    ]


def test_a_failed_summary_is_an_error_event_and_keeps_the_messages() -> None:
    async def body() -> tuple[Heard, list[Any]]:
        async with stream_server(
            Answer(scripted_answer("Hi.")),
            api_error(500, "The server had an error", "server_error"),
            Answer(scripted_answer("Again.")),
        ) as server:
            client = await create_chat_completions_api_client(
                api_key=KEY, base_url=server.base_url, store_context=True
            )
            heard = Heard(client)
            await client.create_chat_completions(ask("one"))
            await client.create_chat_completions(ask("two"))
            await client.close()
            return heard, [request.body for request in server.requests]

    heard, requests = run(body())
    error = heard.of(Chat.ChatCompletionsAPIError)[0]
    assert error["status"] == 500 and error["summary"] is True
    assert [m["content"] for m in requests[2]["messages"]] == ["one", "Hi.", "two"]


# -- bad input ------------------------------------------------------------------------------------


def test_misuse_raises_at_once() -> None:
    async def body() -> None:
        with pytest.raises(TypeError, match="unexpected keyword"):
            await create_chat_completions_api_client(api_key=KEY, modell="x")  # type: ignore[call-arg]
        with pytest.raises(ValueError, match="api_key"):
            await create_chat_completions_api_client(api_key="")
        with pytest.raises(ValueError, match="http"):
            await create_chat_completions_api_client(api_key=KEY, base_url="ftp://x")
        client = await create_chat_completions_api_client(api_key=KEY)
        with pytest.raises(ListenerError):
            client.add_event_listener(Chat.Chunk, "not a function")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="mapping"):
            await client.create_chat_completions(["not", "a", "body"])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="unexpected keyword"):
            await client.create_chat_completions(ask("x"), temprature=1)  # type: ignore[call-arg]
        await client.close()
        await client.close()  # twice is harmless
        with pytest.raises(ClientClosedError):
            await client.create_chat_completions(ask("x"))

    run(body())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_refused_connection_is_an_error_event() -> None:
    async def body() -> tuple[Heard, Any]:
        client = await create_chat_completions_api_client(
            api_key=KEY, base_url=f"http://127.0.0.1:{free_port()}"
        )
        heard = Heard(client)
        result = await client.create_chat_completions(ask("hello"))
        await client.close()
        return heard, result

    heard, result = run(body())
    assert result is None and heard.names() == [Chat.ChatCompletionsAPIError]
    error = heard.of(Chat.ChatCompletionsAPIError)[0]
    assert error["status"] is None and error["error"]["type"] == "connection_error"


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, "invalid_request_error"), (429, "rate_limit_exceeded"), (500, "server_error")],
)
def test_an_http_error_answer_is_an_error_event(status: int, kind: str) -> None:
    async def body() -> Heard:
        async with stream_server(api_error(status, "no", kind)) as server:
            client = await create_chat_completions_api_client(
                api_key=KEY,
                base_url=server.base_url,
                max_retries=0,  # retries: test_conformance_http
            )
            heard = Heard(client)
            assert await client.create_chat_completions(ask("hello")) is None
            await client.close()
            return heard

    heard = run(body())
    assert heard.of(Chat.ChatCompletionsAPIError) == [
        {"status": status, "error": {"message": "no", "type": kind, "param": None, "code": None}}
    ]


def test_the_mocks_own_refusals_are_error_events() -> None:
    """A missing model (400), a key the server refuses (401), the rate limit (429)."""

    async def statuses(server: RunningServer, key: str, request: dict[str, Any]) -> list[Any]:
        client = await create_chat_completions_api_client(
            api_key=key, base_url=server.http_url, max_retries=0
        )
        heard = Heard(client)
        await client.create_chat_completions(request)
        await client.create_chat_completions(request)
        await client.close()
        return [d["status"] for d in heard.of(Chat.ChatCompletionsAPIError)]

    async def body() -> list[Any]:
        async with mock(api_keys={KEY}) as server:
            missing_model = await statuses(server, KEY, {"messages": []})
            bad_key = await statuses(server, "sk-wrong", ask("x"))
        async with mock(rate_limits=RateLimits(requests_per_minute=1)) as server:
            limited = await statuses(server, KEY, ask("x"))
        return [missing_model, bad_key, limited]

    assert run(body()) == [[400, 400], [401, 401], [429]]


def test_a_mid_stream_error_and_a_cut_stream_are_error_events() -> None:
    async def body() -> tuple[Heard, Heard]:
        async with mock() as server:
            client = await create_chat_completions_api_client(api_key=KEY, base_url=server.http_url)
            failing = Heard(client)
            assert await client.create_chat_completions(ask("please fail now")) is None
            await client.close()
        async with stream_server(Answer(scripted_answer("cut", done=False), cut=True)) as server:
            client = await create_chat_completions_api_client(api_key=KEY, base_url=server.base_url)
            cut = Heard(client)
            assert await client.create_chat_completions(ask("hello")) is None
            await client.close()
        return failing, cut

    failing, cut = run(body())
    error = failing.of(Chat.ChatCompletionsAPIError)
    assert len(error) == 1 and error[0]["status"] == 200 and error[0]["error"]["message"]
    assert failing.names()[-1] is Chat.ChatCompletionsAPIError
    assert cut.names()[-1] is Chat.ChatCompletionsAPIError
    assert cut.of(Chat.ChatCompletionsAPIError)[0]["error"]["type"] == "stream_cut"
    assert cut.of(Chat.ContentDone) == [{"content": "cut", "parsed": None}]


def test_a_frame_that_is_no_chunk_is_unknown_and_the_stream_goes_on() -> None:
    body_bytes = (
        sse.encode_raw_data("not json")
        + sse.encode_data({"object": "something.else"})
        + scripted_answer("fine")
    )

    async def body() -> tuple[Heard, Any]:
        async with stream_server(Answer(body_bytes)) as server:
            client = await create_chat_completions_api_client(api_key=KEY, base_url=server.base_url)
            heard = Heard(client)
            result = await client.create_chat_completions(ask("hello"))
            await client.close()
            return heard, result

    heard, result = run(body())
    assert heard.of(Chat.Unknown) == [{"data": "not json"}, {"object": "something.else"}]
    assert result is not None and result["choices"][0]["message"]["content"] == "fine"


def test_a_raising_handler_is_reported_and_breaks_nothing() -> None:
    async def body() -> tuple[Heard, list[Any], Any]:
        async with stream_server(Answer(scripted_answer("ok"))) as server:
            client = await create_chat_completions_api_client(api_key=KEY, base_url=server.base_url)

            def broken(_client: Any, _data: Any) -> None:
                raise RuntimeError("handler bug")

            async def broken_later(_client: Any, _data: Any) -> None:
                raise ValueError("async handler bug")

            client.add_event_listener(Chat.ContentDelta, broken)
            client.add_event_listener(Chat.ContentDone, broken_later)
            heard = Heard(client)
            result = await client.create_chat_completions(ask("hello"))
            await asyncio.sleep(0)  # let the coroutine handler run
            client.remove_event_listener(Chat.ContentDelta, broken)
            await client.close()
            return heard, heard.of(Chat.ConnectorInformation), result

    heard, infos, result = run(body())
    assert result is not None
    assert {(i["kind"], i["event"]) for i in infos} == {
        ("handler_error", Chat.ContentDelta.value),
        ("handler_error", Chat.ContentDone.value),
    }
    assert len(heard.of(Chat.ContentDelta)) == 2  # the other handler heard every delta


def test_close_during_a_stream_ends_the_call_quietly() -> None:
    async def body() -> tuple[Heard, Any, float]:
        slow = Pacing(first_output_s=0.0, token_s=0.2)
        settings = ServerOptions(ping_interval_s=None, http_pacing=slow)
        async with running_server(settings) as server:
            client = await create_chat_completions_api_client(api_key=KEY, base_url=server.http_url)
            heard = Heard(client)
            closing: list[asyncio.Task[None]] = []
            client.add_event_listener(
                Chat.ContentDelta, lambda c, _d: closing.append(asyncio.ensure_future(c.close()))
            )
            started = asyncio.get_running_loop().time()
            result = await client.create_chat_completions(ask("Tell me a long story"))
            elapsed = asyncio.get_running_loop().time() - started
            await asyncio.gather(*closing)
            return heard, result, elapsed

    heard, result, elapsed = run(body())
    assert result is None and not heard.of(Chat.ChatCompletionsAPIError)
    # the answer has ~20 words, 0.2 s apart: read to its end it would take about 4 s
    assert elapsed < 2.0 and len(heard.of(Chat.ContentDelta)) <= 3


def test_a_stalled_server_is_an_error_event_not_a_hang() -> None:
    """One server never answers; the other starts a stream and falls silent."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
    started = head + sse.encode_data(chunk({"role": "assistant", "content": ""}))

    async def errors(answer: bytes) -> list[Any]:
        async with stalling_server(answer) as base_url:
            client = await create_chat_completions_api_client(
                api_key=KEY, base_url=base_url, idle_timeout_s=0.3
            )
            heard = Heard(client)
            assert await client.create_chat_completions(ask("hello")) is None
            await client.close()
            return [d["error"]["type"] for d in heard.of(Chat.ChatCompletionsAPIError)]

    async def body() -> list[Any]:
        return [await errors(b""), await errors(started)]

    assert run(body()) == [["connection_error"], ["stream_cut"]]
