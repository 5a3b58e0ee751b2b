"""Choosing a scenario: per connection (`?scenario=ID`), for every connection (control API,
`serve --scenario`), refused with suggestions when unknown, and the client judged from the
transcript in the control API's report (`GET /_mock/connections`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from realtime_conformance.mockserver.app import RunningServer
from realtime_conformance.mockserver.scenarios import ScenarioLibrary
from realtime_conformance.rtproto.scenario import parse_scenario
from realtime_conformance.rtproto.scenario.caller import caller_audio
from tests.support.mock_behaviours import auth_headers, run, serving
from tests.support.vad_caller import text

SCENARIO = """\
id: 9.1.1
title: Greeting
requirement: The client MUST send response.create after session.created.
dialects: [ga]
on_start: [session.created]
expect:
  - when: {type: response.create}
    reply:
      - text_response: {text: "Hello!"}
    times: once
"""


@pytest.fixture
def scenarios_dir(tmp_path: Path) -> Path:
    (tmp_path / "greeting.yaml").write_text(SCENARIO, encoding="utf-8")
    return tmp_path


async def reported(http: aiohttp.ClientSession, server: RunningServer) -> list[dict[str, Any]]:
    """The control API's report of every kept connection."""
    async with http.get(f"{server.http_url}/_mock/connections") as response:
        connections: list[dict[str, Any]] = (await response.json())["connections"]
        return connections


async def text_turn(session: aiohttp.ClientSession, url: str) -> list[str]:
    """Connect, ask for a response, and return the event types up to response.done."""
    async with session.ws_connect(url, headers=auth_headers()) as ws:
        types = [(await ws.receive_json())["type"]]
        await ws.send_json({"type": "response.create"})
        while types[-1] != "response.done":
            types.append((await ws.receive_json())["type"])
        return types


def test_query_parameter_selects_the_scenario(scenarios_dir: Path) -> None:
    async def body() -> None:
        async with serving(scenarios_dir=scenarios_dir) as server, aiohttp.ClientSession() as http:
            url = f"{server.url}/realtime?model=gpt-realtime&scenario=9.1.1"
            types = await text_turn(http, url)
            assert types[0] == "session.created" and types[1] == "response.created"
            assert "response.output_text.delta" in types
            await server.connections[0].finished()
            [summary] = await reported(http, server)
        assert (summary["scenario"], summary["unmatched"], summary["unmet"]) == ("9.1.1", [], [])

    run(body())


def test_unknown_scenario_is_refused_as_a_bad_model_is_with_suggestions(
    scenarios_dir: Path,
) -> None:
    """After the upgrade, one `error` event and a close 4000 (the real API's refusal of a bad
    model), so a client reads why; listed by the control API with the refused handshakes."""

    async def body() -> None:
        async with serving(scenarios_dir=scenarios_dir) as server, aiohttp.ClientSession() as http:
            url = f"{server.url}/realtime?model=gpt-realtime&scenario=9.1.2"
            async with http.ws_connect(url, headers=auth_headers()) as ws:
                event = await ws.receive_json()
                closing = await ws.receive()
            await server.connections[0].finished()
            async with http.get(f"{server.http_url}/_mock/refused") as response:
                [refused] = (await response.json())["refused"]
        assert event["type"] == "error"
        error = event["error"]
        assert (error["type"], error["code"], error["param"]) == (
            "invalid_request_error",
            "unknown_scenario",
            "scenario",
        )
        assert error["message"].startswith("Unknown scenario '9.1.2'. Did you mean '9.1.1'? ")
        assert "--scenarios DIR" in error["message"]
        assert (closing.type, closing.data, closing.extra) == (
            aiohttp.WSMsgType.CLOSE,
            4000,
            "invalid_request_error.unknown_scenario",
        )
        assert (refused["status"], refused["reason"]) == (101, "unknown_scenario")

    run(body())


def test_an_sdk_user_reads_why_the_scenario_was_refused(scenarios_dir: Path) -> None:
    """Through the official openai SDK: the refusal arrives as an `error` event naming the
    scenario and the way out, then the connection closes with the reason."""
    from openai import AsyncOpenAI
    from websockets.exceptions import ConnectionClosedError

    async def body() -> tuple[Any, ConnectionClosedError]:
        async with serving(scenarios_dir=scenarios_dir) as server:
            client = AsyncOpenAI(api_key="sk-test", websocket_base_url=server.url)
            extra = {"scenario": "9.1.2"}
            async with client.realtime.connect(model="gpt-realtime", extra_query=extra) as conn:
                event = await conn.recv()
                with pytest.raises(ConnectionClosedError) as closed:
                    await conn.recv()
        return event, closed.value

    event, closed = run(body())
    assert event.type == "error" and event.error.code == "unknown_scenario"
    assert "'9.1.2'" in event.error.message and "Did you mean '9.1.1'?" in event.error.message
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (
        4000,
        "invalid_request_error.unknown_scenario",
    )


def test_scenario_of_another_dialect_is_refused(scenarios_dir: Path) -> None:
    library = ScenarioLibrary(scenarios_dir)
    refusal = library.refusal("9.1.1", "beta")
    assert refusal is not None
    assert refusal.message == "Scenario '9.1.1' plays in the GA dialect only."
    assert library.refusal("9.1.1", "ga") is None


def test_control_api_selects_lists_and_clears_the_scenario(scenarios_dir: Path) -> None:
    async def body() -> None:
        async with serving(scenarios_dir=scenarios_dir) as server, aiohttp.ClientSession() as http:
            control = f"{server.http_url}/_mock"
            listing = await (await http.get(f"{control}/scenarios")).json()
            assert [entry["id"] for entry in listing["scenarios"]] == ["9.1.1"]
            refused = await http.put(f"{control}/scenario", json={"id": "9.9.9"})
            assert refused.status == 400
            assert (await http.put(f"{control}/scenario", json={"id": "9.1.1"})).status == 200
            assert (await (await http.get(f"{control}/scenario")).json()) == {"id": "9.1.1"}
            types = await text_turn(http, f"{server.url}/realtime?model=gpt-realtime")
            assert types[1] == "response.created"
            await http.delete(f"{control}/scenario")
            assert (await (await http.get(f"{control}/scenario")).json()) == {"id": None}
            connections = await (await http.get(f"{control}/connections")).json()
        assert connections["connections"][0]["scenario"] == "9.1.1"

    run(body())


@pytest.mark.parametrize("in_memory", [True, False], ids=["in-memory", "file-only"])
def test_unexpected_client_event_is_reported_with_the_expectations(
    scenarios_dir: Path, tmp_path: Path, in_memory: bool
) -> None:
    """Judged from the transcript, whether the mock keeps it in memory or only writes it."""
    kept = {"transcripts_in_memory": in_memory, "record_dir": tmp_path / "transcripts"}

    async def body() -> None:
        async with (
            serving(scenarios_dir=scenarios_dir, **kept) as server,
            aiohttp.ClientSession() as http,
        ):
            url = f"{server.url}/realtime?model=gpt-realtime&scenario=9.1.1"
            async with http.ws_connect(url, headers=auth_headers()) as ws:
                await ws.receive_json()
                await ws.send_json({"type": "input_audio_buffer.clear"})
            await server.connections[0].finished()
            [summary] = await reported(http, server)
        [unmatched] = summary["unmatched"]
        assert "input_audio_buffer.clear" in unmatched and 'type = "response.create"' in unmatched
        assert summary["unmet"] == ['expect[0] (once, matched 0): type = "response.create"']

    run(body())


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_vad_turns_are_judged_from_the_mocks_transcript(tmp_path: Path, dialect: str) -> None:
    """The caller's audio appended over the socket (faster than real time: the VAD runs on the
    audio's own timeline); the control API's verdicts come from the notes the pump recorded."""
    scenario = parse_scenario(text())
    (tmp_path / "vad.yaml").write_text(text(), encoding="utf-8")
    beta = {"OpenAI-Beta": "realtime=v1"} if dialect == "beta" else {}

    async def body() -> dict[str, Any]:
        async with serving(scenarios_dir=tmp_path) as server, aiohttp.ClientSession() as http:
            url = f"{server.url}/realtime?model=gpt-realtime&scenario={scenario.id}"
            async with http.ws_connect(url, headers=auth_headers() | beta) as ws:
                await ws.receive_json()
                for chunk in caller_audio(scenario).chunks:
                    await ws.send_json(chunk.append_event())
                while (await ws.receive_json())["type"] != "response.done":
                    pass  # the answer to the first turn: every append has been heard
            await server.connections[0].finished()
            [summary] = await reported(http, server)
            return summary

    summary = run(body())
    assert [verdict["outcome"] for verdict in summary["vad"]] == ["met", "met"]
    assert (summary["unmatched"], summary["unmet"]) == ([], [])
    assert summary["vad"][1]["audio_ms"] == caller_audio(scenario).duration_ms
