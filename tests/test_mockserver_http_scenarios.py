"""HTTP scenarios through the running server: recorded streams replayed over a real socket, the
scenario chosen per request (`x-mock-scenario`) or for all, the SDK on the other end, and the
client judged over a play's requests in the control API's report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from openai import AsyncOpenAI

from realtime_conformance.rtproto.catalogue import Api
from realtime_conformance.rtproto.scenario.names import REQUEST_TYPES
from tests.support.http_scenarios import CHAT_TURNS, FIRST, SECOND
from tests.support.mock_behaviours import auth_headers, run, serving
from tests.support.shared import require_shared
from tests.test_replay_traces import BODIES, messages, original_bytes, traces

ENDPOINTS = {"responses": "/v1/responses", "chat": "/v1/chat/completions"}


def write_replay(directory: Path, api: Api, trace: Path, scenario_id: str = "9.9.1") -> str:
    text = (
        f"id: {scenario_id}\ntitle: Replay\nrequirement: The client MUST accumulate the stream.\n"
        f"api: {api}\npace_ms: 1\nexpect:\n"
        f"  - when: {{type: {REQUEST_TYPES[api]}}}\n"
        f"    reply: [{{replay: {{file: {json.dumps(str(trace))}, timing: paced}}}}]\n"
    )
    (directory / f"{scenario_id}-replay.yaml").write_text(text, encoding="utf-8")
    return scenario_id


async def streamed_body(url: str, body: dict[str, Any], scenario_id: str) -> bytes:
    headers = auth_headers() | {"x-mock-scenario": scenario_id}
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.read()


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
@pytest.mark.parametrize(
    ("api", "name"), [(api, name) for api in ("responses", "chat") for name in traces(api)]
)
def test_a_recorded_stream_replays_over_the_socket_message_for_message(
    api: Api, name: str, tmp_path: Path
) -> None:
    trace = require_shared("traces", api, name)
    scenario_id = write_replay(tmp_path, api, trace)

    async def body() -> bytes:
        async with serving(scenarios_dir=tmp_path) as server:
            url = f"{server.http_url}{ENDPOINTS[api]}"
            return await streamed_body(url, BODIES[api] | {"stream": True}, scenario_id)

    assert messages(run(body())) == messages(original_bytes(api, trace))


def test_the_sdk_streams_a_replayed_response_chosen_for_every_request(tmp_path: Path) -> None:
    name = "pydantic-ai-test_openai_responses_streaming_usage.jsonl"
    trace = require_shared("traces", "responses", name)
    scenario_id = write_replay(tmp_path, "responses", trace)
    recorded = [json.loads(line)["event"] for line in trace.read_text().splitlines()]

    async def final() -> dict[str, Any]:
        async with serving(scenarios_dir=tmp_path) as server, aiohttp.ClientSession() as http:
            await http.put(f"{server.http_url}/_mock/scenario", json={"id": scenario_id})
            client = AsyncOpenAI(api_key="sk-test", base_url=f"{server.http_url}/v1")
            async with client.responses.stream(**BODIES["responses"]) as stream:
                async for _ in stream:
                    pass
                response = await stream.get_final_response()
        return response.model_dump(mode="json", exclude_unset=True)

    expected = recorded[-1]["response"]
    got = run(final())
    assert (
        got["id"] == expected["id"]
        and got["output"][-1]["arguments"] == (expected["output"][-1]["arguments"])
    )


def test_a_scenario_answers_only_streamed_requests(tmp_path: Path) -> None:
    trace = require_shared("traces", "chat", "openai-python-plain-text.e2aad469b71d.jsonl")
    scenario_id = write_replay(tmp_path, "chat", trace)

    async def answer() -> tuple[int, dict[str, Any]]:
        async with serving(scenarios_dir=tmp_path) as server, aiohttp.ClientSession() as http:
            headers = auth_headers() | {"x-mock-scenario": scenario_id}
            url = f"{server.http_url}/v1/chat/completions"
            async with http.post(url, json=BODIES["chat"], headers=headers) as resp:
                return resp.status, await resp.json()

    status, error = run(answer())
    assert status == 400 and error["error"]["code"] == "scenario_requires_stream"


def test_a_realtime_scenario_is_refused_for_an_http_request(tmp_path: Path) -> None:
    (tmp_path / "rt.yaml").write_text(
        "id: 9.1.1\ntitle: Greeting\nrequirement: The client MUST listen.\ndialects: [ga]\n"
        "on_start: [session.created]\n",
        encoding="utf-8",
    )

    async def answer() -> tuple[int, dict[str, Any]]:
        async with serving(scenarios_dir=tmp_path) as server, aiohttp.ClientSession() as http:
            headers = auth_headers() | {"x-mock-scenario": "9.1.1"}
            url = f"{server.http_url}/v1/responses"
            body = BODIES["responses"] | {"stream": True}
            async with http.post(url, json=body, headers=headers) as resp:
                return resp.status, await resp.json()

    status, error = run(answer())
    assert status == 400 and "not a responses one" in error["error"]["message"]


SCRIPTED = "It is 18 degrees and cloudy in Paris."


def write_scripted(directory: Path, api: Api) -> str:
    text = (
        f"id: 9.8.1\ntitle: Scripted answer\nrequirement: The client MUST show the answer.\n"
        f"api: {api}\nexpect:\n"
        f"  - when: {{type: {REQUEST_TYPES[api]}}}\n"
        f"    reply: [{{simulate: {{text: {json.dumps(SCRIPTED)}}}}}]\n"
    )
    (directory / "scripted.yaml").write_text(text, encoding="utf-8")
    return "9.8.1"


def test_the_sdk_accumulates_what_a_responses_scenario_scripted(tmp_path: Path) -> None:
    scenario_id = write_scripted(tmp_path, "responses")

    async def final_text() -> str:
        async with serving(scenarios_dir=tmp_path) as server:
            client = AsyncOpenAI(api_key="sk-test", base_url=f"{server.http_url}/v1")
            async with client.responses.stream(
                **BODIES["responses"], extra_headers={"x-mock-scenario": scenario_id}
            ) as stream:
                async for _ in stream:
                    pass
                return (await stream.get_final_response()).output_text

    assert run(final_text()) == SCRIPTED


def test_the_sdk_accumulates_what_a_chat_scenario_scripted(tmp_path: Path) -> None:
    scenario_id = write_scripted(tmp_path, "chat")

    async def final_text() -> str | None:
        async with serving(scenarios_dir=tmp_path) as server:
            client = AsyncOpenAI(api_key="sk-test", base_url=f"{server.http_url}/v1")
            async with client.chat.completions.stream(
                **BODIES["chat"], extra_headers={"x-mock-scenario": scenario_id}
            ) as stream:
                async for _ in stream:
                    pass
                return (await stream.get_final_completion()).choices[0].message.content

    assert run(final_text()) == SCRIPTED


def test_the_control_api_judges_an_http_scenario_over_its_requests(tmp_path: Path) -> None:
    """Each exchange is reported with the play so far: an unmet rule after the first request,
    then a refused request as unexpected, then the rules all met."""
    (tmp_path / "chat.yaml").write_text(CHAT_TURNS, encoding="utf-8")

    async def reports() -> list[dict[str, Any]]:
        async with serving(scenarios_dir=tmp_path) as server, aiohttp.ClientSession() as http:
            await http.put(f"{server.http_url}/_mock/scenario", json={"id": "9.3.1"})
            url, statuses = f"{server.http_url}/v1/chat/completions", []
            for body in (FIRST, FIRST, SECOND):
                async with http.post(url, json=body, headers=auth_headers()) as resp:
                    await resp.read()
                    statuses.append(resp.status)
            assert statuses == [200, 400, 200]
            async with http.get(f"{server.http_url}/_mock/connections") as listing:
                connections: list[dict[str, Any]] = (await listing.json())["connections"]
                return connections

    first, refused, last = run(reports())
    waiting = (
        'expect[1] (once, matched 0): type = "chat.completions.create" and messages.2.role = '
        '"tool" and messages.2.tool_call_id = "call_1"'
    )
    assert (first["scenario"], first["unmatched"], first["unmet"]) == ("9.3.1", [], [waiting])
    [unexpected] = refused["unmatched"]
    assert unexpected.startswith("unexpected client event 'chat.completions.create'")
    assert "expect[0] (once, used up)" in unexpected and refused["unmet"] == [waiting]
    assert (last["unmatched"], last["unmet"]) == ([unexpected], [])
