"""Record mode (issue 14): the recording proxy between the official SDK and the mock as the
upstream writes the same transcript the mock wrote, event for event, over the Realtime
WebSocket, a streamed Responses request and a streamed Chat request, with no secret in it; and
`record --to-scenario` makes a replay scenario that plays the recorded session back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from realtime_conformance.conformance.record.proxy import ProxyOptions, RunningProxy, running_proxy
from realtime_conformance.conformance.record.to_scenario import dumps, to_scenario
from realtime_conformance.mockserver.app import running_server
from realtime_conformance.mockserver.options import ServerOptions, SimulatedModel
from realtime_conformance.rtproto.scenario import parse_scenario
from realtime_conformance.rtproto.server.realtime.timing import Timing
from tests.support.mock_behaviours import run

openai = pytest.importorskip("openai")

API_KEY = "sk-proj-secret-0123456789abcdef"
MODEL = "gpt-realtime"
HELLO = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi!"}]}
Events = list[tuple[str, dict[str, Any]]]


def events(lines: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The events of a transcript by direction (each direction's order is the wire's)."""
    by_direction: dict[str, list[dict[str, Any]]] = {"client": [], "server": []}
    for line in lines:
        record = json.loads(line)
        if "event" in record:
            by_direction[record["dir"]].append(record["event"])
    return by_direction


async def sdk_session(proxy: RunningProxy) -> list[str]:
    """A text turn over Realtime, a streamed Responses and a streamed Chat request."""
    client = openai.AsyncOpenAI(
        api_key=API_KEY, base_url=f"{proxy.http_url}/v1", websocket_base_url=proxy.url
    )
    seen: list[str] = []
    async with client.realtime.connect(model=MODEL) as connection:
        await connection.conversation.item.create(item=HELLO)
        await connection.response.create()
        async for event in connection:
            seen.append(event.type)
            if event.type == "response.done":
                break
    stream = await client.responses.create(model="gpt-4.1", input="Hello", stream=True)
    seen += [event.type async for event in stream]
    chat = await client.chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "Hello"}], stream=True
    )
    seen += [chunk.object async for chunk in chat]
    await client.close()
    return seen


def test_the_proxy_records_what_the_upstream_mock_recorded(tmp_path: Path) -> None:
    async def body() -> tuple[list[list[str]], list[list[str]], list[str]]:
        options = ServerOptions(
            seed=3, ping_interval_s=None, behaviour_factory=SimulatedModel(timing=Timing.instant())
        )
        async with running_server(options) as mock:
            upstream = ProxyOptions(mock.http_url, output=tmp_path / "recorded")
            async with running_proxy(upstream) as proxy:
                seen = await sdk_session(proxy)
                for exchange in proxy.proxy.exchanges:
                    await exchange.done.wait()
                recorded = [exchange.recording.lines for exchange in proxy.proxy.exchanges]
            for record in mock.connections:
                await record.finished()
            upstream_lines = [record.recording.lines for record in mock.connections]
        return recorded, upstream_lines, seen

    recorded, upstream_lines, seen = run(body())
    assert "response.done" in seen and "response.completed" in seen
    assert "chat.completion.chunk" in seen
    assert len(recorded) == len(upstream_lines) == 3  # Realtime, Responses, Chat
    for proxied, original in zip(recorded, upstream_lines, strict=True):
        assert events(proxied) == events(original)
        assert events(proxied)["server"], proxied
    files = sorted((tmp_path / "recorded").glob("*.jsonl"))
    assert len(files) == 3
    everything = "".join(path.read_text() for path in files)
    assert API_KEY not in everything and "0123456789abcdef" not in everything
    handshake = json.loads(files[0].read_text().splitlines()[0])["meta"]
    assert handshake["kind"] == "handshake" and handshake["request_headers"]["Authorization"]


def test_a_recorded_session_becomes_a_replay_scenario(tmp_path: Path) -> None:
    async def record_then_replay() -> tuple[list[str], list[str]]:
        options = ServerOptions(
            seed=3, ping_interval_s=None, behaviour_factory=SimulatedModel(timing=Timing.instant())
        )
        async with (
            running_server(options) as mock,
            running_proxy(ProxyOptions(mock.http_url, output=tmp_path)) as proxy,
        ):
            first = await realtime_turn(proxy.url)
            await proxy.proxy.exchanges[0].done.wait()
        [transcript] = sorted(tmp_path.glob("*.jsonl"))
        scenario_file = tmp_path / "replay.yaml"
        scenario_file.write_text(dumps(to_scenario(transcript, "900.7")))
        parse_scenario(scenario_file.read_text(), str(scenario_file))  # no problems
        replay_options = ServerOptions(ping_interval_s=None, extra_scenarios=(scenario_file,))
        replay_options.scenario = "900.7"
        async with running_server(replay_options) as replaying:
            again = await realtime_turn(replaying.url)
        return first, again

    first, again = run(record_then_replay())
    assert json.loads(first[-1])["type"] == "response.done"
    assert again == first  # event for event, ids and text as recorded


async def realtime_turn(url: str) -> list[str]:
    client = openai.AsyncOpenAI(api_key=API_KEY, websocket_base_url=url)
    seen: list[str] = []
    async with client.realtime.connect(model=MODEL) as connection:
        await connection.conversation.item.create(item=HELLO)
        await connection.response.create()
        async for event in connection:
            seen.append(json.dumps(event.model_dump(exclude_none=True), sort_keys=True))
            if event.type == "response.done":
                break
    await client.close()
    return seen
